"""The working calendar: weekdays, office hours, holidays as local dates, settings overrides."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from helpdesk.sla.workdays import ADDED_NAME, WorkingCalendar
from tests.unit.sla.seed import OFFICES, UTC, WIB, WIT


def cal(code: str = "3576", **changes) -> WorkingCalendar:
    return WorkingCalendar.for_office(replace(OFFICES[code], **changes))


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 8, 17), False),  # Hari Kemerdekaan
        (date(2026, 12, 24), False),  # cuti bersama Natal
        (date(2026, 12, 25), False),  # Natal
        (date(2026, 3, 23), False),  # cuti bersama Idul Fitri
        (date(2026, 12, 28), True),
        (date(2027, 1, 5), False),  # Isra Mikraj 2027
        (date(2027, 3, 15), False),  # cuti bersama Idul Fitri 2027
        (date(2027, 5, 19), False),  # cuti bersama Waisak 2027
        (date(2027, 12, 24), False),  # cuti bersama Natal 2027
    ],
)
def test_working_days(day, working):
    assert cal().is_working_day(day) is working


def test_closed_days_have_indonesian_names_and_no_plain_weekends():
    days = dict(cal().closed_days(2026))
    assert days[date(2026, 12, 24)] == "Cuti Bersama Hari Raya Natal"
    assert days[date(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
    assert days[date(2026, 1, 1)] == "Tahun Baru Masehi"
    assert date(2026, 11, 28) not in days  # an ordinary Saturday
    assert list(days) == sorted(days)
    assert all(d.year == 2026 for d in days)


def test_settings_add_and_remove_dates():
    c = cal(holidays_add=(date(2026, 11, 23),), holidays_remove=(date(2026, 12, 24),))
    assert not c.is_working_day(date(2026, 11, 23))
    assert c.is_working_day(date(2026, 12, 24))
    days = dict(c.closed_days(2026))
    assert days[date(2026, 11, 23)] == ADDED_NAME
    assert date(2026, 12, 24) not in days


def test_office_hours_per_weekday():
    c = cal("3514")
    assert c.hours_on(date(2026, 11, 26)) == (time(8), time(15, 30))  # Thursday
    assert c.hours_on(date(2026, 11, 27)) == (time(8), time(16))  # Friday
    assert c.hours_on(date(2026, 11, 28)) is None
    assert c.hours_on(date(2026, 12, 25)) is None


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 11, 23, 10, tzinfo=WIB), datetime(2026, 11, 23, 10, tzinfo=WIB)),  # open: itself
        (datetime(2026, 11, 23, 7, 59, tzinfo=WIB), datetime(2026, 11, 23, 8, tzinfo=WIB)),
        (datetime(2026, 11, 23, 15, 30, tzinfo=WIB), datetime(2026, 11, 24, 8, tzinfo=WIB)),  # closing excl.
        (datetime(2026, 11, 27, 15, 45, tzinfo=WIB), datetime(2026, 11, 27, 15, 45, tzinfo=WIB)),  # Fri
        (datetime(2026, 11, 27, 16, 0, tzinfo=WIB), datetime(2026, 11, 30, 8, tzinfo=WIB)),
        (datetime(2026, 12, 23, 18, tzinfo=WIB), datetime(2026, 12, 28, 8, tzinfo=WIB)),  # over Christmas
        (datetime(2026, 11, 23, 3, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=WIB)),  # UTC in
    ],
)
def test_next_opening(moment, expected):
    got = cal().next_opening(moment)
    assert got == expected
    assert got.utcoffset() == timedelta(hours=7)


def test_holidays_are_local_dates_in_a_wit_office():
    c = cal("8200")
    # 2026-08-17 is a holiday from 00:00 to 24:00 WIT, whatever the UTC date says.
    assert not c.is_open(datetime(2026, 8, 16, 23, 30, tzinfo=UTC))  # 08:30 WIT on the 17th
    assert not c.is_open(datetime(2026, 8, 17, 1, 0, tzinfo=UTC))  # 10:00 WIT on the 17th
    assert c.is_open(datetime(2026, 8, 17, 23, 30, tzinfo=UTC))  # 08:30 WIT on the 18th
    assert c.next_opening(datetime(2026, 8, 17, 1, tzinfo=UTC)) == datetime(2026, 8, 18, 8, tzinfo=WIT)


@pytest.mark.parametrize(
    "deadline, hours, expected",
    [
        (datetime(2026, 12, 29, 14, tzinfo=WIB), 2, datetime(2026, 12, 29, 12, tzinfo=WIB)),
        (datetime(2026, 12, 29, 10, tzinfo=WIB), 2, datetime(2026, 12, 29, 8, tzinfo=WIB)),
        (datetime(2026, 11, 24, 9, tzinfo=WIB), 2, datetime(2026, 11, 23, 14, 30, tzinfo=WIB)),  # Mon close
        (datetime(2026, 11, 30, 9, tzinfo=WIB), 2, datetime(2026, 11, 27, 15, tzinfo=WIB)),  # Fri close
        (datetime(2026, 12, 28, 9, tzinfo=WIB), 2, datetime(2026, 12, 23, 14, 30, tzinfo=WIB)),  # holidays
    ],
)
def test_office_hours_before(deadline, hours, expected):
    assert cal().minus_office_time(deadline, timedelta(hours=hours)) == expected


def test_closed_reason():
    c = cal()
    assert c.closed_reason(date(2026, 11, 28)) == "akhir pekan (Sabtu)"
    assert c.closed_reason(date(2026, 12, 25)) == "Hari Raya Natal"
    assert c.closed_reason(date(2026, 11, 23)) is None


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        cal().next_opening(datetime(2026, 11, 23, 10))
