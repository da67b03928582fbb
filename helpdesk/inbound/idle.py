"""What an IMAP server says during IDLE, read without waiting (stage 1, for inbound/waiter.py).

imapclient's `idle_check()` polls the socket itself and cannot tell a closed connection from a
quiet one; the waiter already knows the socket is readable, so it only needs the lines.
"""

from __future__ import annotations

import re
import ssl

from imapclient import IMAPClient

NEWS = re.compile(rb"\* \d+ (EXISTS|RECENT)\b", re.I)
BYE = re.compile(rb"\* BYE\b", re.I)


class ConnectionLost(ConnectionError):
    """The server closed the connection while the mailbox was idling."""


def idle_news(lines: list[bytes]) -> bool:
    """True when lines a server sent during IDLE announce new mail (EXISTS, RECENT).

    Keep-alives (`* OK Still here`), flag changes and expunges are no news; `* BYE` means the
    server is closing the connection (RFC 3501: it may do so at any time)."""
    bye = next((line for line in lines if BYE.match(line)), None)
    if bye is not None:
        raise ConnectionLost(bye.decode("ascii", "replace").strip())
    return any(NEWS.match(line) for line in lines)


def read_idle(client: IMAPClient, timeout: float) -> list[bytes]:
    """Every whole line the server has sent, from imaplib's buffer and the socket, without
    waiting for more ([] when none came); the socket's `timeout` is restored after."""
    imap, sock = client._imap, client.socket()
    lines: list[bytes] = []
    sock.setblocking(False)
    try:
        while True:
            try:
                line = imap.readline()
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            if not line:
                break
            if not line.endswith(b"\r\n"):
                # Half a line: the server writes whole lines, so the rest follows at once.
                sock.settimeout(timeout)
                line += imap.readline()
                sock.setblocking(False)
            lines.append(line)
    finally:
        sock.settimeout(timeout)
    return lines
