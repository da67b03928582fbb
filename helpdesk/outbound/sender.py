"""The SMTP conversations in a process of their own, beside the daemon (stage 3).

The daemon's intake holds the interpreter's lock for most of a busy minute; an SMTP session in the
same process waits for it on each of its four round trips a mail, and sending fell behind the
intake. In its own process the sending uses the machine's other core.

The store stays single-writer: the daemon marks a batch `sending` and commits it before handing it
over, and records what comes back. This process only talks SMTP and notes each accepted mail in the
sent journal before reporting it, so a daemon killed in between never sends that mail again.

Protocol, one JSON object a line: the daemon writes the settings, then per batch
`{"lanes": N}`, one `{"lane": i, "mail": {...}}` per mail and `{"go": true}`; this process answers
one result per mail as it is known and `{"done": true, "untried": [...]}`. `{"idle": true}` closes
the SMTP sessions until the next batch. End of input: finish the mail in hand and exit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import faults
from ..config import SmtpSettings
from ..errors import PermanentFailure, TemporaryFailure
from ..model import OutgoingMail
from .journal import SentJournal
from .smtp import SmtpSender

log = logging.getLogger(__name__)
LINE_LIMIT = 1 << 30  # one mail a line, attachments included


class SenderDied(Exception):
    """The sending process ended in the middle of a batch."""


# -- lanes: the same in both processes ----------------------------------------------------------


async def send_lanes(
    lanes: list[list[OutgoingMail]],
    senders: list[SmtpSender],
    send_one: Callable[[SmtpSender, OutgoingMail], Awaitable[bool]],
    stop: asyncio.Event,
) -> list[OutgoingMail]:
    """Each lane's mail in order over its own session, the lanes side by side; returns the mail
    not tried. `send_one` returns False when the server is unreachable: every other mail would
    fail the same way, so the lanes stop after the mail in hand and the rest waits for one retry.

    When one session fails with an exception, the others finish the mail in hand and stop: no
    SMTP conversation is cut off halfway, which could make a copy. The exception then goes on."""
    untried: list[OutgoingMail] = []

    async def lane(sender: SmtpSender, mails: list[OutgoingMail]) -> None:
        for i, mail in enumerate(mails):
            if stop.is_set():
                untried.extend(mails[i:])
                return
            try:
                reachable = await send_one(sender, mail)
            except BaseException:
                stop.set()
                raise
            if not reachable:
                stop.set()
                untried.extend(mails[i + 1 :])
                return

    results = await asyncio.gather(*(lane(s, m) for s, m in zip(senders, lanes, strict=False)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
    return untried


Failure = TemporaryFailure | PermanentFailure


async def attempt(
    sender: SmtpSender, mail: OutgoingMail, journal: SentJournal, in_sending_process: bool
) -> str | Failure:
    """One SMTP attempt: the server's answer, or its failure. An accepted mail is noted in the
    sent journal before anyone hears of it, so a crash after this never sends it again."""
    try:
        reply = await sender.send(mail)
    except (TemporaryFailure, PermanentFailure) as exc:
        return exc
    journal.note(mail.message_id)
    faults.failpoint("after_smtp_accept", daemon=in_sending_process)
    return reply


def failure_kind(exc: Failure) -> str:
    return "temporary" if isinstance(exc, TemporaryFailure) else "permanent"


def failure_to_dict(exc: Failure) -> dict[str, Any]:
    return {
        "kind": failure_kind(exc),
        "error": str(exc),
        "code": getattr(exc, "code", None),
        "refused": getattr(exc, "refused", None),
        "unreachable": bool(getattr(exc, "unreachable", False)),
    }


def failure_from_dict(d: dict[str, Any]) -> Failure:
    kind = TemporaryFailure if d["kind"] == "temporary" else PermanentFailure
    return kind(d["error"], code=d.get("code"), refused=d.get("refused"), unreachable=bool(d.get("unreachable")))


# -- the daemon's side -----------------------------------------------------------------------------


class SenderProcess:
    """The daemon's handle on the sending process: started on first use, one per event loop."""

    def __init__(self, settings: SmtpSettings, journal: Path) -> None:
        self.settings, self.journal = settings, journal
        self._proc: asyncio.subprocess.Process | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        await self._running()

    async def _running(self) -> asyncio.subprocess.Process:
        loop = asyncio.get_running_loop()
        proc = self._proc
        if proc is not None and proc.returncode is None and self._loop is loop:
            return proc
        if proc is not None and self._loop is not loop and proc.returncode is None:
            proc.kill()  # left by a loop that has ended; its pipes are gone with it
        self._proc = proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "helpdesk.outbound.sender",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            env=_child_env(),
        )
        self._loop = loop
        settings = dict(asdict(self.settings), journal=str(self.journal))
        await self._write(proc, [settings])
        log.info("SMTP sender process %d started", proc.pid)
        return proc

    @staticmethod
    async def _write(proc: asyncio.subprocess.Process, messages: list[dict[str, Any]]) -> None:
        # One write and one wait for the lot: each wait hands the interpreter to the intake
        # thread, and getting it back can take a whole switch interval.
        assert proc.stdin is not None
        proc.stdin.write(b"".join(json.dumps(m, ensure_ascii=False).encode() + b"\n" for m in messages))
        await proc.stdin.drain()

    async def send(
        self, lanes: list[list[OutgoingMail]], on_result: Callable[[OutgoingMail, dict[str, Any]], None]
    ) -> list[OutgoingMail]:
        """Send a batch's lanes; `on_result` gets each mail's outcome as it is known. Returns the
        mail not tried; raises SenderDied when the process ended before the batch did."""
        proc = await self._running()
        by_id = {m.message_id: m for lane in lanes for m in lane}
        try:
            await self._write(
                proc,
                [{"lanes": len(lanes)}]
                + [
                    {"lane": i, "mail": {"id": m.message_id, "from": m.mail_from, "to": m.recipients, "raw": m.raw}}
                    for i, lane in enumerate(lanes)
                    for m in lane
                ]
                + [{"go": True}],
            )
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise SenderDied(f"SMTP sender process {proc.pid} is gone: {exc}") from exc
        assert proc.stdout is not None
        while True:
            line = await proc.stdout.readline()
            if not line:
                code = await proc.wait()
                raise SenderDied(f"SMTP sender process {proc.pid} ended (exit {code}) in the middle of a batch")
            message = json.loads(line)
            if message.get("done"):
                return [by_id[i] for i in message["untried"]]
            on_result(by_id[message["id"]], message)

    async def idle(self) -> None:
        """Close the SMTP sessions until the next batch (a server drops an idle session anyway)."""
        if self._proc is not None and self._proc.returncode is None and self._loop is asyncio.get_running_loop():
            try:
                await self._write(self._proc, [{"idle": True}])
            except (BrokenPipeError, ConnectionResetError):
                pass

    async def close(self) -> None:
        """End the process: it finishes the mail in hand, if any, and exits."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        if self._loop is not asyncio.get_running_loop():
            proc.kill()
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), self.settings.timeout + 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _child_env() -> dict[str, str]:
    """This environment, with this very package first on the path: the daemon may run from a
    checkout that is not installed, or from another working directory than the checkout."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    return env


# -- the sending process ---------------------------------------------------------------------------


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    first = json.loads(await reader.readline() or b"null")
    if not isinstance(first, dict):
        sys.exit("helpdesk.outbound.sender: started without settings (the daemon runs it)")
    journal_path = Path(first.pop("journal"))
    settings = SmtpSettings(**first)
    out = sys.stdout.buffer
    senders = [SmtpSender(settings) for _ in range(max(1, settings.sessions))]
    batches: asyncio.Queue[list[list[OutgoingMail]] | None] = asyncio.Queue()
    ended = asyncio.Event()  # the daemon is gone or done: finish the mail in hand, then exit

    def answer(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    async def read() -> None:
        lanes: list[list[OutgoingMail]] = []
        while line := await reader.readline():
            message = json.loads(line)
            if "lanes" in message:
                lanes = [[] for _ in range(message["lanes"])]
            elif "lane" in message:
                m = message["mail"]
                lanes[message["lane"]].append(
                    OutgoingMail(
                        message_id=m["id"], office="", mail_from=m["from"], recipients=m["to"], raw=m["raw"], purpose=""
                    )
                )
            elif "go" in message:
                await batches.put(lanes)
            elif "idle" in message:
                await batches.put([])
        ended.set()
        await batches.put(None)

    journal = SentJournal(journal_path)

    async def send_one(sender: SmtpSender, mail: OutgoingMail) -> bool:
        reply = await attempt(sender, mail, journal, in_sending_process=True)
        if isinstance(reply, str):
            answer({"id": mail.message_id, "kind": "sent", "answer": reply})
            return True
        answer(dict(failure_to_dict(reply), id=mail.message_id))
        return not getattr(reply, "unreachable", False)

    reading = asyncio.create_task(read())
    while (lanes := await batches.get()) is not None:
        if not lanes:
            for sender in senders:
                await sender.close()
            continue
        # This batch's own stop: an unreachable server ends this batch, never the ones after it.
        stop = asyncio.Event()
        relay = asyncio.create_task(_set_when(ended, stop))
        try:
            untried = await send_lanes(lanes, senders, send_one, stop)
        finally:
            relay.cancel()
            journal.close()  # the daemon removes the file once its commit holds the outcomes
        answer({"done": True, "untried": [m.message_id for m in untried]})
    for sender in senders:
        await sender.close()
    await reading


async def _set_when(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def main() -> None:
    # The daemon decides when sending stops (it closes this process's input): a SIGTERM to the
    # whole service must not cut an SMTP conversation halfway.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format=f"%(asctime)s sender[{os.getpid()}] %(levelname)s %(message)s"
    )
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
