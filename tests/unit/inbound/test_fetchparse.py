"""The round's FETCH answer read by inbound.fetchparse gives what imapclient's parser gives, or
None (and then imapclient's parser reads it): held to imapclient on generated answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from imapclient.response_parser import parse_fetch_response

from helpdesk.inbound.fetchparse import bodies

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@st.composite
def internaldates(draw) -> bytes:
    when = draw(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31)))
    day = draw(st.sampled_from([f"{when.day:02d}", f"{when.day:2d}", str(when.day)]))
    sign = draw(st.sampled_from("+-"))
    hours, minutes = draw(st.integers(0, 14)), draw(st.sampled_from([0, 30, 45]))
    return f"{day}-{MONTHS[when.month - 1]}-{when.year} {when:%H:%M:%S} {sign}{hours:02d}{minutes:02d}".encode()


@st.composite
def answers(draw) -> list[object]:
    """imaplib's list for `UID FETCH ... (BODY.PEEK[] INTERNALDATE)`: per mail a tuple (the line up
    to the literal, the literal) and the rest of the line; items in either order."""
    data: list[object] = []
    uids = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=5, unique=True))
    for seq, uid in enumerate(uids, 1):
        body = draw(st.binary(max_size=300) | st.sampled_from([b")", b"{12}\r\n", b'"', b"BODY[] {3}"]))
        date = b'INTERNALDATE "%s"' % draw(internaldates())
        before, after = [b"UID %d" % uid], [date]
        if draw(st.booleans()):
            before, after = [date], [b"UID %d" % uid]
        if draw(st.booleans()):
            before, after = before + after, []
        head = b"%d (%sBODY[] {%d}" % (seq, b"".join(i + b" " for i in before), len(body))
        data += [(head, body), b"".join(b" " + i for i in after) + b")"]
    return data


def imapclients(data: list[object]) -> dict:
    return {uid: dict(items) for uid, items in parse_fetch_response(data, False, True).items()}


@given(answers())
def test_the_usual_answer_is_read_as_imapclient_reads_it(data):
    fast = bodies(data)
    assert fast is not None
    assert fast == imapclients(data)
    for uid, items in fast.items():
        when = items[b"INTERNALDATE"]
        assert when.utcoffset() == imapclients(data)[uid][b"INTERNALDATE"].utcoffset()
        assert when.tzinfo is not None and when.astimezone(UTC) == when


def with_date(data: list[object], date: bytes) -> list[object]:
    """The first mail's INTERNALDATE replaced, wherever in its answer it stands."""
    (head, body), rest = data[0], data[1]
    swap = re.compile(rb'INTERNALDATE "[^"]*"')
    return [(swap.sub(b'INTERNALDATE "%s"' % date, head), body), swap.sub(b'INTERNALDATE "%s"' % date, rest)] + data[2:]


@given(answers(), st.sampled_from(["flags", "nil", "lower", "extra", "impossible date", "two-digit year", "twice"]))
def test_any_other_answer_is_left_to_imapclient(data, change):
    head, body = data[0]
    if change == "flags":  # an unsolicited FETCH of another mail's flags
        data = data + [b"7 (FLAGS (\\Seen))"]
    elif change == "nil":  # the mail was expunged meanwhile
        data = [head.rsplit(b"BODY[]", 1)[0] + b"BODY[] NIL" + data[1]] + data[2:]
    elif change == "lower":
        data = [(head.replace(b"BODY[]", b"body[]"), body)] + data[1:]
    elif change == "extra":
        data = [(head.replace(b"(", b"(RFC822.SIZE 12 ", 1), body)] + data[1:]
    elif change == "impossible date":
        data = with_date(data, b"31-Feb-2026 10:00:00 +0700")
    elif change == "two-digit year":  # email.utils makes 0026 into 2026
        data = with_date(data, b"01-Dec-0026 10:00:00 +0700")
    else:  # the same mail twice
        data = data + data[:2]
    assert bodies(data) is None
