"""Dates and deadlines in Indonesian and English, always with the office's zone label."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.outbound.wording import format_date, format_deadline
from tests.unit.sla.seed import UTC, WIB


def test_indonesian_deadline():
    assert (
        format_deadline(datetime(2026, 12, 29, 10, tzinfo=WIB), "WIB", "id")
        == "Selasa, 29 Desember 2026 pukul 10.00 WIB"
    )


def test_english_deadline():
    assert (
        format_deadline(datetime(2026, 12, 29, 10, tzinfo=WIB), "WIB", "en") == "Tuesday, 29 December 2026 at 10:00 WIB"
    )


@pytest.mark.parametrize(
    "tz, label, expected",
    [
        ("Asia/Jakarta", "WIB", "Selasa, 29 Desember 2026 pukul 08.30 WIB"),
        ("Asia/Makassar", "WITA", "Selasa, 29 Desember 2026 pukul 09.30 WITA"),
        ("Asia/Jayapura", "WIT", "Selasa, 29 Desember 2026 pukul 10.30 WIT"),
    ],
)
def test_a_stored_utc_time_is_shown_in_the_office_zone(tz, label, expected):
    stored = datetime(2026, 12, 29, 1, 30, tzinfo=UTC)
    assert format_deadline(stored, label, "id", tz=ZoneInfo(tz)) == expected


def test_dates():
    assert format_date(date(2026, 12, 29), "id") == "Selasa, 29 Desember 2026"
    assert format_date(date(2027, 3, 5), "en") == "Friday, 5 March 2027"
    assert format_date(date(2026, 8, 17)) == "Senin, 17 Agustus 2026"
