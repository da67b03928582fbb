"""A blocking SMTP session (the standard library's smtplib) for the sending process (stage 3).

The sending process (outbound/sending.py) gives each session a thread. Against aiosmtplib in an
event loop, a mail costs a fraction of the CPU: no task, future and callback per round trip, and
with a server that offers PIPELINING (RFC 2920; Postfix does) MAIL, RCPT and DATA go in one write,
two round trips a mail instead of four. This module imports no more than it needs: the process
starts once per `run --once`.

The server's answers become Temporary/PermanentFailure here (`failure`), for aiosmtplib's client
(outbound/smtp.py) as well: 4xx means try again later, 5xx means give up.
"""

from __future__ import annotations

import re
import select
import smtplib
import socket
import ssl
from typing import Protocol

from ..errors import DeliveryFailure, PermanentFailure, TemporaryFailure

PLAIN_ADDRESS = re.compile(r"[^\s<>()\"\\,;:@]+@[^\s<>()\"\\,;:@]+")
LEADING_DOT = re.compile(rb"^\.", re.M)


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
        self._client: smtplib.SMTP | None = None

    def send(self, mail: Envelope) -> str:
        """Send one mail; returns the server's answer or raises Temporary/PermanentFailure."""
        try:
            refused, answer = _transaction(self._session(), mail)
        except smtplib.SMTPRecipientsRefused as exc:
            _reset(self._client)
            worst = max((code for code, _ in exc.recipients.values()), default=550)
            raise failure(worst, _listed(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise failure(exc.smtp_code, _text(exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connection, timeout (an OSError), dropped session, TLS that fails: the server
            # may be back soon.
            self.close()
            raise TemporaryFailure(f"server unreachable: {type(exc).__name__}: {exc}", unreachable=True) from exc
        except Exception as exc:  # noqa: BLE001 - e.g. a non-ASCII address the server cannot take
            # The mail itself cannot be sent, so retrying never helps; left `sending`, it would stop
            # every later drain at the same place.
            self.close()
            raise PermanentFailure(f"cannot be sent: {type(exc).__name__}: {exc}") from exc
        if refused:
            # Some recipients refused, the others took it: still a failure, for those.
            worst = max(code for code, _ in refused.values())
            raise failure(worst, _listed(refused), refused=list(refused))
        return answer

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.sock is not None:
                client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            client.close()

    def _session(self) -> smtplib.SMTP:
        """The open session, or a new one when there is none or the server has closed it (or said
        something unasked, such as a 421 before closing): no mail is started on a dead session."""
        client = self._client
        if client is not None and (client.sock is None or _readable(client.sock)):
            client.close()
            client = None
        if client is None:
            client = self._client = self._connect()
        return client

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context() if s.tls != "none" else None
        if s.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            client.ehlo_or_helo_if_needed()
            if s.tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if s.username:
                client.login(s.username, s.password)
        except BaseException:
            client.close()
            raise
        return client


Refused = dict[str, tuple[int, bytes]]


def _transaction(client: smtplib.SMTP, mail: Envelope) -> tuple[Refused, str]:
    """MAIL, RCPT, DATA, the text: what smtplib's sendmail does, pipelined when the server offers
    it, and keeping the server's final answer (sendmail drops it). Recipients refused while others
    were taken come back; any other refusal raises, the session reset for the next mail."""
    data = _crlf(mail.raw.encode("utf-8"))
    size = f" SIZE={len(data)}" if client.has_extn("size") else ""
    commands = [f"MAIL FROM:{_quoted(mail.mail_from)}{size}"] + [f"RCPT TO:{_quoted(r)}" for r in mail.recipients]
    commands.append("DATA")
    if client.has_extn("pipelining"):
        client.send("".join(f"{c}\r\n" for c in commands))
        replies = [client.getreply() for _ in commands]
    else:
        replies = []
        for i, command in enumerate(commands):
            client.send(f"{command}\r\n")
            replies.append(client.getreply())
            if replies[0][0] != 250 or (i == len(commands) - 2 and all(c not in (250, 251) for c, _ in replies[1:])):
                break  # no recipients for a refused sender, no DATA without a recipient
    code, text = replies[0]
    if code != 250:
        _reset(client)
        raise smtplib.SMTPSenderRefused(code, text, mail.mail_from)
    refused = {r: reply for r, reply in zip(mail.recipients, replies[1:], strict=False) if reply[0] not in (250, 251)}
    if len(refused) == len(mail.recipients):
        if len(replies) == len(commands) and replies[-1][0] == 354:
            client.send(b".\r\n")  # a server that opened DATA with no recipient: an empty mail it drops
            client.getreply()
        raise smtplib.SMTPRecipientsRefused(refused)  # the caller resets the session
    code, text = replies[-1]
    if code != 354:
        _reset(client)
        raise smtplib.SMTPDataError(code, text)
    client.send(LEADING_DOT.sub(b"..", data) + b".\r\n")
    code, text = client.getreply()
    if code != 250:
        _reset(client)
        raise smtplib.SMTPDataError(code, text)
    return refused, _text(text)


def _quoted(address: str) -> str:
    """<address> for MAIL and RCPT; a plain address without parsing it as a header (smtplib's
    quoteaddr does), anything else as smtplib quotes it. Never a line break into the command."""
    quoted = f"<{address}>" if PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)
    if "\r" in quoted or "\n" in quoted:
        raise ValueError(f"line break in address {address!r}")
    return quoted


def _crlf(data: bytes) -> bytes:
    """Every line ending as CRLF, as SMTP wants, and a CRLF at the end; the composed mail has them
    already (three counts cost far less than rewriting the text)."""
    if not (data.count(b"\r\n") == data.count(b"\n") == data.count(b"\r")):
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _readable(sock: socket.socket) -> bool:
    """Whether the server said something (or closed) while nothing was asked of it."""
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    return bool(poll.poll(0))


def _reset(client: smtplib.SMTP | None) -> None:
    """RSET after a refusal, so the session takes the next mail; a session that is gone by now is
    reconnected at the next mail."""
    if client is not None and client.sock is not None:
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            client.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _listed(refused: Refused) -> str:
    return "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items())
