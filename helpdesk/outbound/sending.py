"""The daemon's SMTP sending process: `python -m helpdesk.outbound.sending`, started by the daemon
(outbound/sender.py SenderProcess), never by hand (stage 3).

The SMTP sessions (outbound/session.py) share one thread: each writes, and whichever the server
answered first reads its replies and goes on (select). An asyncio client spent several times as
much CPU a mail on its round trips, a thread per session most of it handing the interpreter
over, and this process shares the machine's cores with the intake. It imports only what it uses
(no asyncio, no settings parser): it starts once per `run --once`.

Protocol, one JSON object a line: the daemon writes the settings, then per batch
`{"batch": [[mail, ...], ...]}` (one list of mails per session, each mail in order); this process
answers one result per mail as it is known and
`{"done": true, "untried": [...]}`. `{"idle": true}`: nothing more for now; the SMTP sessions close
unless a batch comes within IDLE_HOLD seconds.
End of input: finish the mail in hand and exit.
"""

from __future__ import annotations

import json
import queue
import select
import signal
import sys
import threading

from .. import faults
from ..errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from .journal import SentJournal
from .session import WAITING, Outcome, SmtpSession

TYPE_CHECKING = False  # typing itself is not imported: this process starts for each `run --once`
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO

Failure = TemporaryFailure | PermanentFailure
# Seconds the sessions stay open after the daemon said it has nothing more: `run --once` drains
# after each batch the intake stored, and a new session costs both sides more than a mail does.
IDLE_HOLD = 10.0


class Settings:
    """The [smtp] settings this process uses, from the daemon's first line (config.SmtpSettings)."""

    def __init__(self, first: dict[str, Any]) -> None:
        self.host: str = first["host"]
        self.port: int = first["port"]
        self.tls: str = first["tls"]
        self.username: str = first["username"]
        self.password: str = first["password"]
        self.timeout: float = first["timeout"]
        self.sessions: int = first["sessions"]


class Mail:
    """A mail as the daemon hands it over: what goes to the server, and its Message-ID."""

    __slots__ = ("mail_from", "message_id", "raw", "recipients")

    def __init__(self, message_id: str, mail_from: str, recipients: list[str], raw: str) -> None:
        self.message_id, self.mail_from, self.recipients, self.raw = message_id, mail_from, recipients, raw


def accepted(message_id: str, journal: SentJournal, in_sending_process: bool) -> None:
    """The server took the mail: noted in the sent journal before anyone hears of it, so a crash
    after this never sends it again (both processes' lanes call this)."""
    journal.note(message_id)
    faults.failpoint("after_smtp_accept", daemon=in_sending_process)


def failure_kind(exc: DeliveryFailure) -> str:
    return "temporary" if isinstance(exc, TemporaryFailure) else "permanent"


def failure_to_dict(exc: DeliveryFailure) -> dict[str, Any]:
    return {
        "kind": failure_kind(exc),
        "error": str(exc),
        "code": exc.code,
        "refused": exc.refused,
        "unreachable": exc.unreachable,
    }


def failure_from_dict(d: dict[str, Any]) -> Failure:
    kind = TemporaryFailure if d["kind"] == "temporary" else PermanentFailure
    return kind(d["error"], code=d.get("code"), refused=d.get("refused"), unreachable=bool(d.get("unreachable")))


def serve(stdin: BinaryIO, out: BinaryIO) -> None:
    first = json.loads(stdin.readline() or b"null")
    if not isinstance(first, dict):
        sys.exit("helpdesk.outbound.sending: started without settings (the daemon runs it)")
    journal = SentJournal(first["journal"])
    settings = Settings(first)
    sessions = [SmtpSession(settings) for _ in range(max(1, settings.sessions))]
    inbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
    ended = threading.Event()  # the daemon is gone or done: finish the mail in hand, then exit

    def read() -> None:
        for line in stdin:
            inbox.put(json.loads(line))
        ended.set()
        inbox.put(None)

    threading.Thread(target=read, name="daemon-input", daemon=True).start()
    idle = False
    while True:
        try:
            message = inbox.get(timeout=IDLE_HOLD if idle else None)
        except queue.Empty:
            for session in sessions:
                session.close()
            idle = False
            continue
        if message is None:
            break
        idle = "idle" in message
        if "batch" in message:
            lanes = [[Mail(m["id"], m["from"], m["to"], m["raw"]) for m in lane] for lane in message["batch"]]
            try:
                untried = send_batch(lanes, sessions, journal, ended, out)
            finally:
                journal.close()  # the daemon removes the file once its commit holds the outcomes
            out.write(json.dumps({"done": True, "untried": [m.message_id for m in untried]}).encode() + b"\n")
            out.flush()
    for session in sessions:
        session.close()


class _Lane:
    __slots__ = ("answered", "mails", "session", "steps")

    def __init__(self, session: SmtpSession, mails: list[Mail], go_on: Callable[[], bool]) -> None:
        self.session, self.mails = session, mails
        self.steps = session.conversation(mails, go_on)
        self.answered: set[str] = set()


def send_batch(
    lanes: list[list[Mail]], sessions: list[SmtpSession], journal: SentJournal, ended: threading.Event, out: BinaryIO
) -> list[Mail]:
    """The lanes side by side, each lane's mail in order over its session, all in this one thread:
    each session writes, and whichever the server answered first goes on (a thread per session
    spent more CPU handing the interpreter over than on the mail). The answers known together go
    to the daemon in one write. Returns the mail not tried: after a mail that found the server
    unreachable (every other would fail the same way), or once the daemon went away. When a lane
    fails with an exception, the others finish the mail in hand and stop (no SMTP conversation cut
    halfway), then it goes on."""
    untried: list[Mail] = []
    errors: list[BaseException] = []
    stop = threading.Event()  # this batch's own: an unreachable server ends this batch only
    timeout = sessions[0].settings.timeout

    def go_on() -> bool:
        return not (stop.is_set() or ended.is_set())

    waiting = [_Lane(session, mails, go_on) for session, mails in zip(sessions, lanes, strict=False)]
    ready, late = list(waiting), False
    try:
        while waiting:
            answers: list[bytes] = []
            for lane in ready:
                waiting.remove(lane)
                try:
                    if _advance(lane, journal, answers, stop, late):
                        waiting.append(lane)
                        continue
                except BaseException as exc:  # noqa: BLE001 - raised again once the other lanes are done
                    stop.set()
                    errors.append(exc)
                else:
                    untried.extend(m for m in lane.mails if m.message_id not in lane.answered)
            if answers:
                out.write(b"".join(answers))
                out.flush()
            ready, late = [lane for lane in waiting if lane.session.has_unread()], False
            if not ready and waiting:
                readable = select.select([lane.session for lane in waiting], [], [], timeout)[0]
                ready = [lane for lane in waiting if lane.session in readable]
                ready, late = ready or list(waiting), not ready
    finally:
        for lane in waiting:
            lane.steps.close()  # a session with commands in flight is closed
    if errors:
        raise errors[0]
    return untried


def _advance(lane: _Lane, journal: SentJournal, answers: list[bytes], stop: threading.Event, late: bool) -> bool:
    """Take a lane's conversation to its next write (`late`: the server did not answer within the
    timeout); its outcomes meanwhile go to `answers`, an unreachable server sets `stop`. False
    once it has ended."""
    try:
        step = lane.steps.throw(TimeoutError("the server did not answer in time")) if late else next(lane.steps)
        while step is not WAITING:
            mail, reply = step
            lane.answered.add(mail.message_id)
            if isinstance(reply, str):
                accepted(mail.message_id, journal, in_sending_process=True)
            answers.append(json.dumps(_answer(mail, reply)).encode() + b"\n")
            if not isinstance(reply, str) and reply.unreachable:
                stop.set()
            step = next(lane.steps)
    except StopIteration:
        return False
    return True


def _answer(mail: Mail, reply: Outcome) -> dict[str, Any]:
    if isinstance(reply, str):
        return {"id": mail.message_id, "kind": "sent", "answer": reply}
    return dict(failure_to_dict(reply), id=mail.message_id)


def main() -> None:
    # The daemon decides when sending stops (it closes this process's input): a SIGTERM to the
    # whole service must not cut an SMTP conversation halfway.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
