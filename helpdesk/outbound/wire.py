"""An SMTP connection over a socket, for the sending process's sessions (stage 3): the greeting,
EHLO, STARTTLS and login, then commands written as given and replies read in bulk.

The standard library's smtplib did the opening before; importing it (with the email package,
ssl and hmac it pulls in) took about half the sending process's start-up, which `run --once` pays
each time. ssl is imported here only when TLS is configured. The opening does what smtplib's does
with the same settings: EHLO (HELO when refused), STARTTLS or TLS from the start with the
system's trusted authorities and the host name checked, AUTH PLAIN (LOGIN when PLAIN is not
offered) over it.
"""

from __future__ import annotations

import binascii
import functools
import select
import socket

LONGEST_REPLY_LINE = 8192  # as smtplib's _MAXLINE
TYPE_CHECKING = False  # typing itself is not imported: the process starts for each `run --once`
if TYPE_CHECKING:
    import ssl

    from .session import Server

Reply = tuple[int, bytes]


class Dropped(OSError):
    """The server closed the session, or said something that is no SMTP reply."""


class Unusable(ConnectionError):
    """The server lacks what the settings ask for (STARTTLS, a login mechanism)."""


class Refused(Exception):
    """The server refused a step of the opening (the greeting, EHLO, STARTTLS, the login)."""

    def __init__(self, code: int, text: bytes) -> None:
        super().__init__(f"{code} {text.decode('utf-8', 'replace')}")
        self.code, self.text = code, text.decode("utf-8", "replace")


class Connection:
    """An open, greeted session (TLS and login as configured); `features` from the EHLO reply,
    names lower-cased."""

    def __init__(self, s: Server) -> None:
        self.features: dict[str, str] = {}
        self._buffer, self._at = b"", 0  # what the server said and is not read yet, from _at
        self.sock = socket.create_connection((s.host, s.port), s.timeout)
        try:
            if s.tls == "ssl":
                self.sock = _context().wrap_socket(self.sock, server_hostname=s.host)
            self._expect(None, 220)
            name = _local_name()
            self._hello(name)
            if s.tls == "starttls":
                if "starttls" not in self.features:
                    raise Unusable("the server offers no STARTTLS")
                self._expect(b"STARTTLS\r\n", 220)
                self.sock = _context().wrap_socket(self.sock, server_hostname=s.host)
                self._buffer, self._at = b"", 0
                self._hello(name)
            if s.username:
                self._login(s.username, s.password)
        except BaseException:
            self.sock.close()
            raise

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> Reply:
        """The server's next reply, its lines joined (as smtplib's getreply); from what was read
        already when the server answered several commands at once."""
        lines = []
        while True:
            end = self._buffer.find(b"\n", self._at)
            while end < 0:
                if len(self._buffer) - self._at > LONGEST_REPLY_LINE:
                    raise Dropped("reply line too long")
                more = self.sock.recv(65536)
                if not more:
                    raise Dropped("the server closed the session")
                self._buffer, self._at = self._buffer[self._at :] + more, 0
                end = self._buffer.find(b"\n")
            line, self._at = self._buffer[self._at : end], end + 1
            lines.append(line[4:].strip(b" \t\r"))
            if line[3:4] != b"-":
                break
        if not line[:3].isdigit():
            raise Dropped(f"not an SMTP reply: {line[:80]!r}")
        return int(line[:3]), b"\n".join(lines)

    def has_unread(self) -> bool:
        """Whether a reply may be read without the socket saying so: read already, or decrypted
        and kept by TLS."""
        pending = getattr(self.sock, "pending", None)
        return self._at < len(self._buffer) or (pending is not None and pending() > 0)

    def readable(self) -> bool:
        """Whether the server said something (or closed) while nothing was asked of it."""
        if self._at < len(self._buffer):
            return True
        poll = select.poll()
        poll.register(self.sock, select.POLLIN)
        return bool(poll.poll(0))

    def close(self, quit: bool = True) -> None:
        """QUIT (unless the session is in the middle of something) and close."""
        try:
            if quit:
                self._expect(b"QUIT\r\n", 221)
        except (OSError, Refused):
            pass
        finally:
            self.sock.close()

    def _expect(self, command: bytes | None, *codes: int) -> Reply:
        if command is not None:
            self.write(command)
        code, text = self.reply()
        if code not in codes:
            raise Refused(code, text)
        return code, text

    def _hello(self, name: str) -> None:
        self.write(f"EHLO {name}\r\n".encode("ascii"))
        code, text = self.reply()
        self.features = {}
        if code != 250:
            self._expect(f"HELO {name}\r\n".encode("ascii"), 250)
            return
        for line in text.decode("ascii", "replace").split("\n")[1:]:
            keyword, _, params = line.partition(" ")
            keyword = keyword.lower()
            if keyword.startswith("auth="):  # the old form some servers still send
                keyword, params = "auth", f"{keyword[5:]} {params}"
            if keyword == "auth":
                params = f"{self.features.get('auth', '')} {params}"
            self.features[keyword] = params.strip()

    def _login(self, user: str, password: str) -> None:
        offered = self.features.get("auth", "").upper().split()
        if "PLAIN" in offered:
            self._expect(b"AUTH PLAIN " + _b64(f"\0{user}\0{password}") + b"\r\n", 235)
        elif "LOGIN" in offered:
            self._expect(b"AUTH LOGIN\r\n", 334)
            self._expect(_b64(user) + b"\r\n", 334)
            self._expect(_b64(password) + b"\r\n", 235)
        else:
            raise Unusable(f"the server offers no login this client speaks ({' '.join(offered) or 'none'})")


@functools.cache
def _local_name() -> str:
    """This machine's name for EHLO, as smtplib gives it: its FQDN, else its address literal
    (looked up once: every session greets with it)."""
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except socket.gaierror:
        return "[127.0.0.1]"


def _b64(text: str) -> bytes:
    return binascii.b2a_base64(text.encode("utf-8"), newline=False)


def _context() -> ssl.SSLContext:
    import ssl

    return ssl.create_default_context()
