"""An SMTP server on 127.0.0.1 that records what it receives (aiosmtpd): the demo's and tests' sink.

Answers can be scripted: `fail_next(1, code=451)` makes the next DATA fail with a 451 reply;
`reject_recipient(address, code=550)` turns a recipient down at RCPT.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from .dovecot import free_port

PLAIN_ADDRESS = re.compile(r"\s*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+)>(.*)", re.S)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @cached_property
    def message(self) -> EmailMessage:
        """The mail parsed, on first use: parsing each mail as it came in (policy.default, some
        milliseconds a mail) made the sink, not the helpdesk, the limit of benchmarks/ingest.py."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


class RecordingHandler:
    def __init__(self, pipelining: bool = True) -> None:
        self.messages: list[Received] = []
        self.data_replies: list[str] = []
        self.refused: dict[str, str] = {}
        self.changed = threading.Condition()
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        # Offered as Postfix offers it (RFC 2920): aiosmtpd answers commands in the order they
        # came, so the commands a client sends together are served as if sent one by one.
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.changed:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.changed.notify_all()
        return "250 2.0.0 Message accepted for delivery"


class SinkServer(SMTP):
    """aiosmtpd's SMTP server with five costs cut, so that the sink (the stand-in for Postfix in
    the benchmarks) weighs on the machine less than the helpdesk it measures: a plain `<a@b>`
    address is read by one pattern (aiosmtpd runs the email package's header parser, and makes a
    class, for each); DATA is found whole in what was read, its dots undone by one replace
    (aiosmtpd reads it a line at a time); the replies to pipelined commands go in one write; the
    idle timeout is set again at most once a second, not at every command; the reader holds a
    whole mail without stopping the socket. The rest is aiosmtpd's: commands, replies, handler
    hooks, the size limit's 552. A line of the text longer than 1,000 octets is accepted
    (aiosmtpd answers 500), as Postfix does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._replies: list[bytes] = []  # held back by push()
        # aiosmtpd sizes its reader for one command line, and the reader stops the socket beyond
        # two (2,002 octets): every mail paused and resumed it, two epoll changes. Command lines
        # are still held to their limits by aiosmtpd's own check (500 Command line too long).
        self._stream_reader._limit = 1 << 16  # type: ignore[attr-defined]  # noqa: SLF001
        self._armed_at = -1.0  # when the idle timeout was last set

    def _reset_timeout(self, duration: float | None = None) -> None:
        now = self.loop.time()
        if duration is None and self._timeout_handle is not None and now - self._armed_at < 1.0:
            return  # a timeout of minutes, set again a second ago
        self._armed_at = now
        super()._reset_timeout(duration)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        found = PLAIN_ADDRESS.fullmatch(arg)
        if found is None or (self.local_part_limit and len(found.group(1).rpartition("@")[0]) > self.local_part_limit):
            return super()._getaddr(arg)
        return found.group(1), found.group(2)

    async def push(self, status: str | bytes) -> None:
        """A reply, held back while the client's next commands are already here (it pipelined
        them): the replies then go in one write, as Postfix sends them (RFC 2920)."""
        if isinstance(status, str):
            status = status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii")
        self._replies.append(status + b"\r\n")
        pending = self._reader._buffer  # type: ignore[attr-defined]  # noqa: SLF001 - asyncio keeps no public count
        if pending and not status.startswith((b"354", b"221")):
            return  # the next command's reply comes with this one
        replies, self._replies = b"".join(self._replies), []
        self._writer.write(replies)
        await self._writer.drain()

    async def smtp_DATA(self, arg: str) -> None:
        if self._decode_data:
            return await super().smtp_DATA(arg)
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            return await self.push("503 Error: need RCPT command")
        if arg:
            return await self.push("501 Syntax: DATA")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            text = await self._read_data()
        except asyncio.CancelledError:  # the connection was lost during DATA
            self._writer.close()
            raise
        if text is None:
            self._set_post_data_state()
            return await self.push("552 Error: Too much mail data")
        # A line's leading dot, doubled by the client (RFC 5321 4.5.2), undone.
        text = text.replace(b"\r\n.", b"\r\n")
        self.envelope.content = self.envelope.original_content = text[1:] if text[:1] == b"." else text
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data(self) -> bytes | None:
        """The mail up to the lone dot that ends it (dots still doubled); None when it was longer
        than the size limit (read to its end all the same, then refused, as aiosmtpd does). The
        end is looked for in the reader's buffer, a whole mail at once: reading up to each
        `.CRLF` stopped at every line that ends a sentence."""
        reader = self._reader
        buffer: bytearray = reader._buffer  # type: ignore[attr-defined]  # noqa: SLF001 - see push()
        pieces: list[bytes] = []
        size = 0
        while True:
            if size == 0 and buffer[:3] == b".\r\n":  # the DATA line's CRLF began the end marker
                end = 0
            else:
                found = buffer.find(b"\r\n.\r\n")
                end = found + 2 if found >= 0 else -1
            if end >= 0:
                pieces.append(bytes(buffer[:end]))
                size += end
                del buffer[: end + 3]
                break
            taken = max(0, len(buffer) - 4)  # an end marker cut in two stays to be found whole
            if taken > 1 << 16:
                size += taken
                pieces.append(bytes(buffer[:taken]))
                del buffer[:taken]
                if self.data_size_limit and size > self.data_size_limit:
                    pieces.clear()
            if reader.at_eof():
                raise asyncio.IncompleteReadError(bytes(buffer), None)
            reader._maybe_resume_transport()  # type: ignore[attr-defined]  # noqa: SLF001
            await reader._wait_for_data("_read_data")  # type: ignore[attr-defined]  # noqa: SLF001
        reader._maybe_resume_transport()  # type: ignore[attr-defined]  # noqa: SLF001
        if self.data_size_limit and size > self.data_size_limit:
            return None
        return b"".join(pieces)


class SinkController(Controller):
    def factory(self) -> SMTP:
        return SinkServer(self.handler, **self.SMTP_kwargs)


class _Authenticator:
    """AUTH PLAIN/LOGIN with one user and password."""

    def __init__(self, user: str, password: str) -> None:
        self.login = LoginPassword(user.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        return AuthResult(success=auth_data == self.login, handled=False)  # aiosmtpd answers 535


class SmtpSink:
    """`start()`/`stop()`; `messages` holds what was accepted, in order."""

    def __init__(
        self,
        port: int | None = None,
        data_size_limit: int = 64 * 1024 * 1024,
        pipelining: bool = True,
        tls: str = "none",
        tls_context: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        login_mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    ) -> None:
        """`tls` as the helpdesk's `smtp.tls` setting (`starttls` or `ssl` with `tls_context`, the
        server's certificate), and `login` (user, password) required before any mail (over TLS
        only), offered as `login_mechanisms`: for the tests of the clients' TLS and login."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler(pipelining)
        # Above data_size_limit aiosmtpd answers 552, as a mail server does for a mail too big.
        self.controller = SinkController(
            self.handler,
            hostname=self.host,
            port=self.port,
            data_size_limit=data_size_limit,
            ssl_context=tls_context if tls == "ssl" else None,
            tls_context=tls_context if tls == "starttls" else None,
            require_starttls=tls == "starttls",
            auth_required=login is not None,
            authenticator=None if login is None else _Authenticator(*login),
            auth_exclude_mechanism={"LOGIN", "PLAIN"} - set(login_mechanisms),
        )

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def cpu_seconds(self) -> float:
        """CPU time the server's thread has used so far (benchmarks: what the sink costs the machine)."""
        thread = self.controller._thread  # noqa: SLF001 - aiosmtpd keeps its server thread there
        if thread is None or thread.ident is None:
            return 0.0
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def clear(self) -> None:
        with self.handler.changed:
            self.handler.messages.clear()
            self.handler.data_replies.clear()
            self.handler.refused.clear()

    def fail_next(self, count: int, code: int = 451) -> None:
        """The next `count` DATA commands are answered with this code instead of accepted."""
        text = "4.3.0 Sistem sibuk, coba lagi nanti" if code < 500 else "5.7.1 Pesan ditolak"
        with self.handler.changed:
            self.handler.data_replies.extend([f"{code} {text}"] * count)

    def reject_recipient(self, address: str, code: int = 550) -> None:
        self.handler.refused[address.lower()] = f"{code} 5.1.1 <{address}>: Recipient address rejected"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` messages arrived (or the timeout); returns them all."""
        with self.handler.changed:
            self.handler.changed.wait_for(lambda: len(self.handler.messages) >= count, timeout)
            return list(self.handler.messages)

    def wait_for_subject(self, words: str, timeout: float = 10.0) -> list[Received]:
        """Block until a message whose subject holds `words` arrived (or the timeout); returns those."""

        def hits() -> list[Received]:
            return [m for m in self.handler.messages if words in str(m.message["Subject"])]

        with self.handler.changed:
            self.handler.changed.wait_for(hits, timeout)
            return hits()
