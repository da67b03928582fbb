"""INTERNALDATE as the intake keeps it (inbound.mailbox._aware): imapclient's FixedOffset becomes a
datetime.timezone with the same instant, offset and ISO text; a naive time is taken as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st
from imapclient.fixed_offset import FixedOffset

from helpdesk.inbound.mailbox import _aware

when = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))


@given(when, st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
def test_an_imap_offset_becomes_a_timezone_with_the_same_instant_and_text(naive, minutes):
    fetched = naive.replace(tzinfo=FixedOffset(minutes))
    kept = _aware(fetched)
    assert type(kept.tzinfo) is timezone
    assert kept == fetched and kept.utcoffset() == fetched.utcoffset()
    assert kept.isoformat() == fetched.isoformat()
    assert datetime.fromisoformat(kept.isoformat()) == kept  # as the store reads it back


@given(when)
def test_a_time_without_offset_is_taken_as_utc(naive):
    assert _aware(naive) == naive.replace(tzinfo=UTC)
