"""A mailbox that could not be read, said in words a person reads (stage 1, pure).

imapclient reports a refused login as a Python bytes literal
(`b'[AUTHENTICATIONFAILED] Authentication failed.'`); logs, `status` and `check --connect` say
"login to bps3576@imap.example:993 refused: Authentication failed" instead.
"""

from __future__ import annotations

import re

from imapclient.exceptions import LoginError

from ..config import Office


def server_text(exc: BaseException) -> str:
    """The server's words in an exception, without bytes-literal quoting or a response code."""
    text = str(exc).strip()
    m = re.fullmatch(r"b(['\"])(.*)\1", text)
    if m:
        text = m.group(2)
    return re.sub(r"^\[[A-Z-]+\]\s*", "", text).strip().rstrip(".") or type(exc).__name__


def refused(exc: BaseException) -> bool:
    """A login the server refused: trying again with the same password cannot help."""
    return isinstance(exc, LoginError)


def imap_failure(office: Office, exc: BaseException) -> str:
    """One line for a mailbox that could not be read."""
    imap = office.imap
    who = f"{imap.username or office.address}@{imap.host}:{imap.port}" if imap else office.address
    if refused(exc):
        return f"login to {who} refused: {server_text(exc)}"
    return f"cannot read {who}: {type(exc).__name__}: {server_text(exc)}"
