"""The SMTP conversations in a process of their own, beside the daemon (stage 3): the daemon's side.

The daemon's intake holds the interpreter's lock for most of a busy minute; an SMTP session in the
same process waits for it on each of its round trips a mail, and sending fell behind the intake.
In its own process (outbound/sending.py) the sending uses the machine's other core.

The store stays single-writer: the daemon marks a batch `sending` and commits it before handing it
over, and records what comes back. The sending process only talks SMTP and notes each accepted
mail in the sent journal before reporting it, so a daemon killed in between never sends that mail
again. `send_lanes` and `attempt` are the same lanes in the daemon's own event loop, for
`[smtp] process = false`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..config import SmtpSettings
from ..errors import PermanentFailure, TemporaryFailure
from ..model import OutgoingMail
from .journal import SentJournal
from .sending import Failure, accepted
from .smtp import SmtpSender

log = logging.getLogger(__name__)
LINE_LIMIT = 1 << 24  # the longest answer line the daemon reads (a result, or the mail left untried)
# Without `site` (-S): the sending process uses the standard library and this package alone (on
# its path by child_env), and the site-packages' start-up hooks cost it a third of its start.
COMMAND = (sys.executable, "-S", "-m", "helpdesk.outbound.sending")


class SenderDied(Exception):
    """The sending process ended in the middle of a batch."""


# -- lanes in the daemon's own event loop ([smtp] process = false; outbound/sending.py has its own) --


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


async def attempt(
    sender: SmtpSender, mail: OutgoingMail, journal: SentJournal, in_sending_process: bool
) -> str | Failure:
    """One SMTP attempt: the server's answer, or its failure. An accepted mail is noted in the
    sent journal before anyone hears of it, so a crash after this never sends it again."""
    try:
        reply = await sender.send(mail)
    except (TemporaryFailure, PermanentFailure) as exc:
        return exc
    accepted(mail.message_id, journal, in_sending_process)
    return reply


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
            *COMMAND,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            env=child_env(),
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
            batch = [
                [{"id": m.message_id, "from": m.mail_from, "to": m.recipients, "raw": m.raw} for m in lane]
                for lane in lanes
            ]
            await self._write(proc, [{"batch": batch}])
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
        """Nothing more for now: the sending process closes its SMTP sessions unless a batch follows
        within seconds (sending.IDLE_HOLD; a session the server dropped meanwhile is opened again)."""
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


def child_env() -> dict[str, str]:
    """This environment, with this very package first on the path: the daemon may run from a
    checkout that is not installed, or from another working directory than the checkout."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    return env
