"""The answer to a round's FETCH of whole mails, read without imapclient's general parser (stage 1; pure).

A round asks for `(BODY.PEEK[] INTERNALDATE)` by UID. For each mail the server answers
`* <seq> FETCH (UID <uid> BODY[] {<n>}` CRLF `<n bytes> INTERNALDATE "<date>")`, the items in
the order it likes; imaplib hands that over as `(b'<seq> (... BODY[] {<n>}', <the bytes>)`
followed by the rest of the line. imapclient's parser reads the text around the mail one
character at a time in Python and the date through email.utils: about 0.1 ms a mail, most of
what the thread that fetches ahead of the intake spends. `bodies()` reads exactly that shape
with regular expressions, and answers None for anything else (an unsolicited FETCH of flags, an
item it does not know, a mail the server no longer has): the caller then gives the whole answer to
imapclient's parser, so what it returns never depends on which of the two read it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

Parsed = dict[int, dict[bytes, object]]  # UID -> {b"SEQ": seq, b"BODY[]": bytes, b"INTERNALDATE": datetime}

_HEAD = re.compile(rb'(\d+) \(((?:[A-Z]+ (?:\d+|"[^"\\]*") )*)BODY\[\] \{(\d+)\}')
_TAIL = re.compile(rb'((?: [A-Z]+ (?:\d+|"[^"\\]*"))*)\)')
_ITEM = re.compile(rb'([A-Z]+) (\d+|"[^"\\]*")')
_DATE = re.compile(rb"( ?\d|\d\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
_MONTHS = {m: i for i, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def bodies(data: list[object]) -> Parsed | None:
    """The mails of a FETCH answer (as imaplib gives it) by UID, or None when it is not exactly
    the expected shape (the caller then uses imapclient's parser)."""
    out: Parsed = {}
    if len(data) % 2:
        return None
    for literal, rest in zip(data[::2], data[1::2], strict=True):
        if not (isinstance(literal, tuple) and len(literal) == 2 and isinstance(rest, bytes)):
            return None
        head, body = literal
        if not (isinstance(head, bytes) and isinstance(body, bytes)):
            return None
        opened, closed = _HEAD.fullmatch(head), _TAIL.fullmatch(rest)
        if opened is None or closed is None or int(opened.group(3)) != len(body):
            return None
        items = _ITEM.findall(opened.group(2)) + _ITEM.findall(closed.group(1))
        found = dict(items)
        if len(found) != len(items) or found.keys() != {b"UID", b"INTERNALDATE"}:
            return None
        uid, stamp = found[b"UID"], found[b"INTERNALDATE"]
        when = _internaldate(stamp[1:-1]) if stamp.startswith(b'"') and uid.isdigit() else None
        if when is None or int(uid) in out:
            return None
        out[int(uid)] = {b"SEQ": int(opened.group(1)), b"BODY[]": body, b"INTERNALDATE": when}
    return out


def _internaldate(text: bytes) -> datetime | None:
    """RFC 3501's date-time ("01-Dec-2026 14:33:58 +0700"), its offset kept; None otherwise."""
    found = _DATE.fullmatch(text)
    month = _MONTHS.get(found.group(2).lower()) if found else None
    if found is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, off_h, off_m = found.groups()
    if int(year) < 100:
        return None  # email.utils, which imapclient asks, reads a year below 100 as 19xx or 20xx
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        return datetime(
            int(year),
            month,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(-offset if sign == b"-" else offset),
        )
    except ValueError:
        return None  # 31 February, hour 25, an offset of a day or more: imapclient decides
