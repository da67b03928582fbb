"""The shortcuts of compose and acknowledge give what the code before them gave (issue 12 item 5)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.outbound.acknowledge import _LINKISH, SUBJECT_LIMIT, short_subject
from helpdesk.outbound.compose import _CONTROL, _date, header_safe, random_hex


def test_random_hex_is_fresh_hex_of_the_length_asked():
    seen = [random_hex(8) for _ in range(2000)]  # several 4 KB reads
    assert all(len(v) == 16 and int(v, 16) >= 0 for v in seen)
    assert len(set(seen)) == len(seen)
    assert len(random_hex(5000)) == 10000  # more than a pool at once


def test_a_forked_child_never_hands_out_its_parents_bytes():
    random_hex(8)  # the pool is filled: the next bytes are known to this process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, random_hex(8).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert len(child) == 16 and child != random_hex(8)


def test_the_date_header_is_format_datetime_whatever_the_zone_and_second():
    base = datetime(2026, 12, 23, 3, 0, 59, 999_000, tzinfo=UTC)
    zones = [UTC, timezone(timedelta(hours=7)), ZoneInfo("Asia/Jayapura"), ZoneInfo("Asia/Makassar")]
    for step in (0, 1, 1500, 86_400_000):
        for zone in zones:
            moment = (base + timedelta(milliseconds=step)).astimezone(zone)
            assert _date(moment) == format_datetime(moment)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["Data", "www", ".", "@", "://", "http", "x.id", "/", " ", "é", "a" * 70]), max_size=12)
)
def test_the_short_subject_is_the_one_the_link_pattern_gives(pieces):
    subject = "".join(pieces)
    text = " ".join(_LINKISH.sub(" ", subject).split())
    if len(text) > SUBJECT_LIMIT:
        text = text[:SUBJECT_LIMIT].rsplit(" ", 1)[0] + " ..."
    assert short_subject(subject) == (text or "(tanpa perihal)")


@settings(max_examples=500, deadline=None)
@given(
    st.text(st.sampled_from(list("aZ9 .<>@") * 4 + ["\t", "\r", "\n", "\x00", "\x7f", "\x85", "\xa0", "\u2028", "é"]))
)
def test_a_header_value_is_made_safe_as_the_substitution_and_split_did(value):
    assert header_safe(value, 20) == " ".join(_CONTROL.sub(" ", value).split())[:20]
