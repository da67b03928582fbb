"""The MIME tree of a raw mail, readable however deep it nests (stage 1, inbound; pure).

The standard library's parser recurses once per nesting level: a mail nested 1,200 multipart
levels deep raised RecursionError, and the whole mail was lost to a fallback that had no From.
Past a few dozen container parts the tree is read "shallow" instead: each part's headers alone,
its children split off by boundary only when the walk reaches them, so nothing recurses and
the walk stops at its depth limit with what it reached. The headers of the mail itself never
depend on the body: `headers_only` reads them apart.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser

MAX_DEPTH = 40  # deeper nesting is an attack or a loop of forwards; nothing useful below it
_CONTAINERS = re.compile(rb"(?im)^content-type:[ \t]*(?:multipart|message)/")


def headers_only(raw: bytes) -> Message:
    """The top-level headers, the body left unread as one string payload."""
    return BytesHeaderParser().parsebytes(raw)


def read_tree(raw: bytes) -> tuple[Message, bool]:
    """(root, shallow): the parsed mail, and whether its parts are to be read one level at a time."""
    if len(_CONTAINERS.findall(raw)) > MAX_DEPTH:
        return headers_only(raw), True
    try:
        return email.message_from_bytes(raw), False
    except RecursionError:
        return headers_only(raw), True


def children(part: Message, shallow: bool) -> list[Message] | None:
    """The parts inside `part`, or None when it is a leaf (text, attachment, or a broken container)."""
    if part.is_multipart():
        return [p for p in part.get_payload() if isinstance(p, Message)]
    payload = part.get_payload()
    if not shallow or not isinstance(payload, str):
        return None
    if part.get_content_maintype() == "multipart":
        boundary = part.get_boundary()
        return [_shallow(body) for body in _split(payload, boundary)] if boundary else None
    if part.get_content_type() in ("message/rfc822", "message/global"):
        return [_shallow(payload)]
    return None


def _shallow(text: str) -> Message:
    return HeaderParser().parsestr(text)


def _split(body: str, boundary: str) -> list[str]:
    """The bodies between `--boundary` lines (RFC 2046 5.1.1), up to the closing `--boundary--`."""
    delimiter = re.compile(r"^--" + re.escape(boundary) + r"(--)?[ \t]*\r?$", re.M)
    bodies: list[str] = []
    start = None
    for m in delimiter.finditer(body):
        if start is not None:
            end = m.start()
            # The line break before a delimiter belongs to the delimiter.
            end -= 2 if body[max(0, end - 2) : end] == "\r\n" else 1 if body[end - 1 : end] == "\n" else 0
            bodies.append(body[start : max(start, end)])
        if m.group(1):
            break
        start = m.end() + (2 if body[m.end() : m.end() + 2] == "\r\n" else 1)
    return bodies
