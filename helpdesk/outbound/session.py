"""A blocking SMTP session for the sending process (stage 3): the mail pipelined from one
message to the next.

The sending process (outbound/sending.py) drives its sessions in one thread. Against aiosmtplib
in an event loop, a mail costs a fraction of the CPU: no task, future and callback per round
trip. The connection (outbound/wire.py) greets, starts TLS (certificates checked) and logs in.
With a server that offers PIPELINING (RFC 2920; Postfix does), a mail's text and the next mail's
MAIL, RCPT and DATA go in one write (the RFC lets the text begin a group) and their replies are
read together: one round trip a mail, where smtplib's sendmail takes four and reads each reply a
line at a time. A server without PIPELINING gets one command at a time.

The server's answers become Temporary/PermanentFailure here (`failure`), for aiosmtplib's client
(outbound/smtp.py) as well: 4xx means try again later, 5xx means give up.
"""

from __future__ import annotations

import re

from ..errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from .wire import Connection, Refused, Reply

TYPE_CHECKING = False  # typing itself is not imported: the process starts for each `run --once`
if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence
    from typing import Protocol, TypeVar

PLAIN_ADDRESS = re.compile(r"[^\s<>()\"\\,;:@]+@[^\s<>()\"\\,;:@]+")
CLOSING = 421  # the server ends the session (RFC 5321 3.8)
WAITING = None  # a conversation's step: it wrote, and reads the server's replies next
Outcome = str | DeliveryFailure  # the server's answer to an accepted mail, or why it was not


if TYPE_CHECKING:

    class Server(Protocol):
        """What a session needs of the settings (config.SmtpSettings has it)."""

        @property
        def host(self) -> str: ...
        @property
        def port(self) -> int: ...
        @property
        def tls(self) -> str: ...
        @property
        def username(self) -> str: ...
        @property
        def password(self) -> str: ...
        @property
        def timeout(self) -> float: ...

    class Envelope(Protocol):
        """What a session needs of a mail (model.OutgoingMail has it)."""

        @property
        def mail_from(self) -> str: ...
        @property
        def recipients(self) -> list[str]: ...
        @property
        def raw(self) -> str: ...

    E = TypeVar("E", bound=Envelope)


class _Held:
    """A mail whose MAIL, RCPT and DATA the server took: its text goes with the next write."""

    __slots__ = ("at", "refused", "text")

    def __init__(self, at: int, text: bytes, refused: dict[str, Reply]) -> None:
        self.at = at  # its place in the mails being sent
        self.text, self.refused = text, refused


def failure(code: int, text: str, refused: list[str] | None = None) -> DeliveryFailure:
    """4xx means try again later, 5xx means give up: decided from the code, never the text.

    `refused` names the recipients the server turned down when others were accepted, so a retry
    goes to those alone and nobody receives the mail twice.
    """
    cls = TemporaryFailure if 400 <= code < 500 else PermanentFailure
    return cls(f"{code} {text}".strip(), code=code, refused=refused)


class SmtpSession:
    """One SMTP session reused for a batch of mail, by one thread at a time; reconnects when the
    server dropped it. `timeout` bounds every call, TLS as configured (certificates checked),
    login when a username is set: as aiosmtplib's client does with the same settings."""

    def __init__(self, settings: Server) -> None:
        self.settings = settings
        self._server: Connection | None = None
        self._pipelining = self._size = False

    def send(self, mail: Envelope) -> str:
        """Send one mail; returns the server's answer or raises Temporary/PermanentFailure."""
        [(_, outcome)] = self.send_many([mail])
        if isinstance(outcome, DeliveryFailure):
            raise outcome
        return outcome

    def send_many(self, mails: Sequence[E], go_on: Callable[[], bool] = lambda: True) -> Iterator[tuple[E, Outcome]]:
        """The conversation, each mail's outcome as it is known (see `conversation`)."""
        return (step for step in self.conversation(mails, go_on) if step is not WAITING)

    def conversation(
        self, mails: Sequence[E], go_on: Callable[[], bool]
    ) -> Generator[tuple[E, Outcome] | None, None, None]:
        """Send `mails` in order, yielding each one's outcome as it is known, and WAITING after
        each write whose replies it reads next: a caller with several sessions writes to each
        before it waits for any (outbound/sending.py), one thread for them all. `go_on` is asked
        before each mail is begun; a mail begun is finished (no conversation cut halfway). After
        a mail that found the server unreachable it stops: the mails after it are not tried (every
        one would fail the same way) and not yielded."""
        held: _Held | None = None
        i = 0
        try:
            while True:
                mail = mails[i] if i < len(mails) and go_on() else None
                if mail is None and held is None:
                    return
                if held is None:
                    assert mail is not None
                    try:
                        self._open()
                    except Exception as exc:  # noqa: BLE001 - each kind becomes its failure
                        refused = _failure_of(exc)
                        yield mail, refused
                        if refused.unreachable:
                            return
                        i += 1  # a refused login: the next mail tries again, and is refused too
                        continue
                commands: list[bytes] = []
                if mail is not None:
                    try:
                        commands, text = self._prepared(mail)
                    except Exception as exc:  # noqa: BLE001 - e.g. a non-ASCII address the server cannot take
                        # The mail itself cannot be sent, so retrying never helps; left `sending`, it
                        # would stop every later drain at the same place.
                        yield mail, PermanentFailure(f"cannot be sent: {type(exc).__name__}: {exc}")
                        i += 1
                        continue
                try:
                    if held is not None:
                        self._write([held.text, *commands] if self._pipelining else [held.text])
                        yield WAITING
                        code, answer = self._reply()
                        yield mails[held.at], _delivered(code, answer, held.refused)
                        held = None
                        if code == CLOSING:  # the server is gone: the next mail goes over a new session
                            self._abort()
                            continue
                    elif self._pipelining and mail is not None:
                        self._write(commands)
                        yield WAITING
                    if mail is None:
                        return
                    if self._pipelining:
                        replies = [self._reply() for _ in commands]
                    else:
                        # One command at a time: no RCPT for a refused sender, no DATA without a recipient.
                        replies = []
                        for n, command in enumerate(commands):
                            self._write([command])
                            yield WAITING
                            replies.append(self._reply())
                            if replies[0][0] != 250 or (
                                n == len(commands) - 2 and all(c not in (250, 251) for c, _ in replies[1:])
                            ):
                                break
                except OSError as exc:
                    # A dropped session, a timeout (an OSError): the server may be back soon.
                    self._abort()
                    culprit = mails[held.at] if held is not None else mail
                    assert culprit is not None
                    yield culprit, _failure_of(exc)
                    return
                i += 1
                refusal = _refusal(mail, replies, len(commands))
                if refusal is None:
                    held = _Held(i - 1, text, _refused(mail, replies))
                    continue
                yield mail, refusal
                self._after_refusal(replies, len(commands))
        except GeneratorExit:  # the caller stopped with commands in flight: their replies go nowhere
            self._abort()
            raise

    def fileno(self) -> int:
        """The socket the conversation waits on after it yielded WAITING (for select)."""
        assert self._server is not None
        return self._server.sock.fileno()

    def has_unread(self) -> bool:
        """Whether what the conversation waits for may be read already (no select would say so)."""
        return self._server is not None and self._server.has_unread()

    def close(self) -> None:
        """QUIT and close; the next mail opens a new session."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def _abort(self) -> None:
        """Close without QUIT: the session is gone, or in the middle of something."""
        server, self._server = self._server, None
        if server is not None:
            server.close(quit=False)

    def _open(self) -> Connection:
        """The open session, or a new one when there is none or the server has closed it (or said
        something unasked, such as a 421 before closing): no mail is started on a dead session."""
        if self._server is not None and not self._server.readable():
            return self._server
        self._abort()
        self._server = server = Connection(self.settings)
        self._pipelining, self._size = "pipelining" in server.features, "size" in server.features
        return server

    def _prepared(self, mail: Envelope) -> tuple[list[bytes], bytes]:
        """MAIL, RCPT and DATA, and the text as it goes on the wire: CRLF line endings, leading
        dots doubled, the end marker."""
        data = _crlf(mail.raw.encode("utf-8"))
        size = f" SIZE={len(data)}" if self._size else ""
        commands = [f"MAIL FROM:{_quoted(mail.mail_from)}{size}\r\n"]
        commands += [f"RCPT TO:{_quoted(r)}\r\n" for r in mail.recipients]
        commands.append("DATA\r\n")
        stuffed = data.replace(b"\r\n.", b"\r\n..")
        return [c.encode("ascii") for c in commands], (b"." if stuffed[:1] == b"." else b"") + stuffed + b".\r\n"

    def _write(self, pieces: list[bytes]) -> None:
        assert self._server is not None
        self._server.write(b"".join(pieces))

    def _reply(self) -> Reply:
        assert self._server is not None
        return self._server.reply()

    def _after_refusal(self, replies: list[Reply], commands: int) -> None:
        """RSET, so the session takes the next mail; a server that opened DATA for a mail with no
        recipient gets an empty text first (it drops it). A session that is gone by now, or that
        the server is closing, is opened again for the next mail."""
        if any(code == CLOSING for code, _ in replies):
            self._abort()
            return
        try:
            opened = len(replies) == commands and replies[-1][0] == 354
            self._write([b".\r\nRSET\r\n" if opened else b"RSET\r\n"])
            for _ in range(2 if opened else 1):
                self._reply()
        except OSError:
            self._abort()


def _failure_of(exc: BaseException) -> DeliveryFailure:
    """What an exception while talking to the server means for the mail in hand."""
    if isinstance(exc, Refused):  # a refused login, a failed STARTTLS
        return failure(exc.code, exc.text)
    if isinstance(exc, OSError):
        # Refused connection, timeout (an OSError), dropped session, TLS that fails: the server
        # may be back soon.
        return TemporaryFailure(f"server unreachable: {type(exc).__name__}: {exc}", unreachable=True)
    return PermanentFailure(f"cannot be sent: {type(exc).__name__}: {exc}")


def _refusal(mail: Envelope, replies: list[Reply], commands: int) -> DeliveryFailure | None:
    """Why the server will not take the mail's text (sender refused, every recipient refused,
    DATA refused), or None when it waits for the text."""
    code, text = replies[0]
    if code != 250:
        return failure(code, _text(text))
    refused = _refused(mail, replies)
    if len(refused) == len(mail.recipients):
        worst = max((c for c, _ in refused.values()), default=550)
        return failure(worst, _listed(refused))
    code, text = replies[-1]
    if len(replies) < commands or code != 354:
        return failure(code, _text(text))
    return None


def _refused(mail: Envelope, replies: list[Reply]) -> dict[str, Reply]:
    return {r: reply for r, reply in zip(mail.recipients, replies[1:], strict=False) if reply[0] not in (250, 251)}


def _delivered(code: int, text: bytes, refused: dict[str, Reply]) -> Outcome:
    """The outcome of a mail from the reply to its text: the server's answer when it took it for
    every recipient; a failure naming the refused recipients when it took it for the others."""
    if code != 250:
        return failure(code, _text(text))
    if refused:
        worst = max(c for c, _ in refused.values())
        return failure(worst, _listed(refused), refused=list(refused))
    return _text(text)


def _quoted(address: str) -> str:
    """<address> for MAIL and RCPT; a plain address without parsing it as a header (smtplib's
    quoteaddr does), anything else as smtplib quotes it. Never a line break into the command."""
    if PLAIN_ADDRESS.fullmatch(address):
        quoted = f"<{address}>"
    else:
        import smtplib  # rare: the email package's address parser, at the first such address

        quoted = smtplib.quoteaddr(address)
    if "\r" in quoted or "\n" in quoted:
        raise ValueError(f"line break in address {address!r}")
    return quoted


def _crlf(data: bytes) -> bytes:
    """Every line ending as CRLF, as SMTP wants, and a CRLF at the end; the composed mail has them
    already (three counts cost far less than rewriting the text)."""
    if not (data.count(b"\r\n") == data.count(b"\n") == data.count(b"\r")):
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _listed(refused: dict[str, Reply]) -> str:
    return "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items())
