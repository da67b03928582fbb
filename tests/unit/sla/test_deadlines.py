"""The deadline as DESIGN.md defines it, for all five seed offices and their three zones (2026-2027)."""

from __future__ import annotations

from datetime import datetime

import pytest

from helpdesk.sla.deadlines import due_at, explain_deadline
from helpdesk.sla.workdays import WorkingCalendar
from tests.unit.sla.seed import OFFICES, UTC, WIB, WIT, WITA

# (office, received, N or None for the office's reply_days, expected deadline, why)
CASES = [
    (
        "3576",
        datetime(2026, 12, 23, 10, tzinfo=WIB),
        None,
        datetime(2026, 12, 29, 10, tzinfo=WIB),
        "DESIGN.md example: cuti bersama 24th, Christmas 25th, weekend",
    ),
    (
        "3576",
        datetime(2026, 12, 23, 10, tzinfo=WIB),
        1,
        datetime(2026, 12, 28, 10, tzinfo=WIB),
        "--days 1 over the same holidays",
    ),
    ("3571", datetime(2026, 11, 23, 9, 15, tzinfo=WIB), None, datetime(2026, 11, 25, 9, 15, tzinfo=WIB), "plain week"),
    ("3514", datetime(2026, 11, 26, 14, tzinfo=WIB), None, datetime(2026, 11, 30, 14, tzinfo=WIB), "over a weekend"),
    (
        "3576",
        datetime(2026, 11, 27, 15, 45, tzinfo=WIB),
        None,
        datetime(2026, 12, 1, 15, 30, tzinfo=WIB),
        "Friday's longer hours: 15:45 clamped to Tuesday's 15:30 closing",
    ),
    (
        "3514",
        datetime(2027, 1, 8, 15, 50, tzinfo=WIB),
        None,
        datetime(2027, 1, 12, 15, 30, tzinfo=WIB),
        "Friday clamp, 2027",
    ),
    (
        "3571",
        datetime(2026, 11, 25, 15, 20, tzinfo=WIB),
        None,
        datetime(2026, 11, 27, 15, 20, tzinfo=WIB),
        "lands on a Friday: no clamp needed",
    ),
    (
        "3576",
        datetime(2026, 11, 23, 16, tzinfo=WIB),
        None,
        datetime(2026, 11, 26, 8, tzinfo=WIB),
        "after closing: counts from Tuesday's opening",
    ),
    (
        "3576",
        datetime(2026, 11, 23, 15, 30, tzinfo=WIB),
        None,
        datetime(2026, 11, 26, 8, tzinfo=WIB),
        "exactly at closing is after hours",
    ),
    (
        "3576",
        datetime(2026, 11, 23, 6, 30, tzinfo=WIB),
        None,
        datetime(2026, 11, 25, 8, tzinfo=WIB),
        "before opening: counts from opening",
    ),
    (
        "3576",
        datetime(2026, 11, 28, 11, tzinfo=WIB),
        None,
        datetime(2026, 12, 2, 8, tzinfo=WIB),
        "Saturday: counts from Monday's opening",
    ),
    (
        "3576",
        datetime(2026, 8, 17, 10, tzinfo=WIB),
        None,
        datetime(2026, 8, 20, 8, tzinfo=WIB),
        "received on Independence Day",
    ),
    (
        "3571",
        datetime(2026, 8, 24, 10, tzinfo=WIB),
        None,
        datetime(2026, 8, 27, 10, tzinfo=WIB),
        "Maulid Nabi on the Tuesday",
    ),
    (
        "8200",
        datetime(2026, 3, 17, 10, tzinfo=WIT),
        None,
        datetime(2026, 3, 27, 10, tzinfo=WIT),
        "Nyepi and Idul Fitri 2026 with their cuti bersama",
    ),
    (
        "8200",
        datetime(2026, 11, 23, 1, tzinfo=UTC),
        None,
        datetime(2026, 11, 26, 10, tzinfo=WIT),
        "received in UTC by a WIT office",
    ),
    (
        "8200",
        datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
        None,
        datetime(2026, 11, 26, 8, 30, tzinfo=WIT),
        "a Sunday in UTC is Monday 08:30 in WIT",
    ),
    (
        "8200",
        datetime(2026, 11, 23, 7, tzinfo=WIB),
        None,
        datetime(2026, 11, 26, 9, tzinfo=WIT),
        "a WIB time for a WIT office: 07:00 WIB is 09:00 WIT",
    ),
    (
        "8200",
        datetime(2026, 11, 23, 14, tzinfo=WIB),
        None,
        datetime(2026, 11, 27, 8, tzinfo=WIT),
        "14:00 WIB is 16:00 WIT, after closing in Ternate",
    ),
    (
        "8200",
        datetime(2026, 8, 16, 16, tzinfo=UTC),
        None,
        datetime(2026, 8, 21, 8, tzinfo=WIT),
        "01:00 WIT on Independence Day",
    ),
    (
        "3576",
        datetime(2026, 8, 16, 16, tzinfo=UTC),
        None,
        datetime(2026, 8, 20, 8, tzinfo=WIB),
        "the same instant is Sunday 23:00 in WIB",
    ),
    (
        "8200",
        datetime(2026, 5, 13, 11, tzinfo=WIT),
        None,
        datetime(2026, 5, 20, 11, tzinfo=WIT),
        "Ascension and its cuti bersama 2026",
    ),
    (
        "7604",
        datetime(2026, 12, 31, 13, tzinfo=WITA),
        None,
        datetime(2027, 1, 7, 13, tzinfo=WITA),
        "New Year 2027 and Isra Mikraj 2027, across the year",
    ),
    (
        "7604",
        datetime(2027, 3, 5, 9, tzinfo=WITA),
        None,
        datetime(2027, 3, 18, 9, tzinfo=WITA),
        "Nyepi and Idul Fitri 2027 with their cuti bersama",
    ),
    (
        "7604",
        datetime(2026, 11, 23, 8, tzinfo=WIB),
        None,
        datetime(2026, 11, 26, 9, tzinfo=WITA),
        "a WIB time for a WITA office",
    ),
    (
        "3571",
        datetime(2027, 12, 23, 15, tzinfo=WIB),
        None,
        datetime(2027, 12, 28, 15, tzinfo=WIB),
        "cuti bersama Natal 2027 on the Friday",
    ),
    (
        "3576",
        datetime(2027, 5, 14, 10, tzinfo=WIB),
        None,
        datetime(2027, 5, 24, 10, tzinfo=WIB),
        "Idul Adha, cuti bersama and Waisak 2027",
    ),
]


@pytest.mark.parametrize("code, received, days, expected, why", CASES, ids=[c[4] for c in CASES])
def test_deadline(code, received, days, expected, why):
    office = OFFICES[code]
    got = due_at(received, WorkingCalendar.for_office(office), days or office.reply_days)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()  # shown in the office's own offset


def test_explain_lists_the_skipped_days_and_why():
    info = explain_deadline(datetime(2026, 12, 23, 10, tzinfo=WIB), WorkingCalendar.for_office(OFFICES["3576"]), 2)
    assert info["deadline"] == datetime(2026, 12, 29, 10, tzinfo=WIB)
    assert info["clock_start"] == info["received"]
    assert info["skipped"] == [
        {"date": "2026-12-24", "reason": "Cuti Bersama Hari Raya Natal"},
        {"date": "2026-12-25", "reason": "Hari Raya Natal"},
        {"date": "2026-12-26", "reason": "akhir pekan (Sabtu)"},
        {"date": "2026-12-27", "reason": "akhir pekan (Minggu)"},
    ]


def test_explain_shows_the_clock_start_for_mail_after_hours():
    info = explain_deadline(datetime(2026, 11, 27, 20, tzinfo=WIB), WorkingCalendar.for_office(OFFICES["3576"]), 2)
    assert info["clock_start"] == datetime(2026, 11, 30, 8, tzinfo=WIB)
    assert [s["date"] for s in info["skipped"]] == ["2026-11-28", "2026-11-29"]


def test_zero_days_is_refused():
    with pytest.raises(ValueError):
        due_at(datetime(2026, 11, 23, 10, tzinfo=WIB), WorkingCalendar.for_office(OFFICES["3576"]), 0)
