"""An office's working calendar: weekdays, office hours, Indonesian holidays and cuti bersama (stage 6).

DESIGN.md "Working day": Monday to Friday in the office's zone, minus national holidays and collective
leave (cuti bersama) from the `holidays` package (categories public + government), plus dates the
settings add, minus dates they remove. Holidays are plain local dates: a holiday in a WIT office is
closed from 00:00 to 24:00 WIT. Every datetime this module returns is aware and in the office zone.
Pure but for the national holidays, which sla.holidaycache looks up once a year (in its file, or the package).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import DEFAULT_HOURS, Office
from .holidaycache import national_holidays

ADDED_NAME = "Libur tambahan (pengaturan kantor)"  # a date settings.toml adds, e.g. a new decree
WEEKDAY_NAMES_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
SEARCH_DAYS = 400  # no office is closed for more than a year; beyond that the calendar is broken


def preload(year: int, cache: Path | None = None) -> None:
    """Look the year's national holidays up now (the daemon does it in the background as it starts)."""
    national_holidays(year, cache)


class WorkingCalendar:
    """When one office works: pure, no clock reads; holiday years are looked up once and cached."""

    def __init__(
        self,
        tz: ZoneInfo,
        hours: Mapping[int, tuple[time, time]] | None = None,
        add: tuple[date, ...] = (),
        remove: tuple[date, ...] = (),
        cache: Path | None = None,
    ) -> None:
        self.tz = tz
        self.hours = dict(DEFAULT_HOURS if hours is None else hours)
        self.add = frozenset(add)
        self.remove = frozenset(remove)
        self.cache = cache  # where the national holidays are kept (sla.holidaycache); None: always the package
        self._years: dict[int, dict[date, str]] = {}

    @classmethod
    def for_office(cls, office: Office, cache: Path | None = None) -> WorkingCalendar:
        return cls(office.tz, office.hours, office.holidays_add, office.holidays_remove, cache)

    # -- days ------------------------------------------------------------------------------------
    def holidays(self, year: int) -> dict[date, str]:
        """Closed days of a year (any weekday) with their Indonesian names, after the overrides."""
        if year not in self._years:
            days = {d: n for d, n in national_holidays(year, self.cache) if d not in self.remove}
            days.update({d: ADDED_NAME for d in self.add if d.year == year and d not in days})
            self._years[year] = days
        return self._years[year]

    def holiday_name(self, day: date) -> str | None:
        return self.holidays(day.year).get(day)

    def closed_days(self, year: int) -> list[tuple[date, str]]:
        """The year's holidays and cuti bersama, sorted; ordinary weekends are not listed."""
        return sorted(self.holidays(year).items())

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.hours and day not in self.holidays(day.year)

    def closed_reason(self, day: date) -> str | None:
        """Why a day is not a working day (holiday name, or the weekday), None on a working day."""
        name = self.holiday_name(day)
        if name:
            return name
        if day.weekday() not in self.hours:
            return (
                f"akhir pekan ({WEEKDAY_NAMES_ID[day.weekday()]})"
                if day.weekday() >= 5
                else f"kantor tutup ({WEEKDAY_NAMES_ID[day.weekday()]})"
            )
        return None

    def hours_on(self, day: date) -> tuple[time, time] | None:
        """(opening, closing) on a working day, None on a closed day."""
        return self.hours[day.weekday()] if self.is_working_day(day) else None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {SEARCH_DAYS} days after {day}")

    def previous_working_day(self, day: date) -> date:
        for _ in range(SEARCH_DAYS):
            day -= timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {SEARCH_DAYS} days before {day}")

    # -- instants --------------------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("the working calendar needs timezone-aware datetimes")
        return moment.astimezone(self.tz)

    def opening(self, day: date) -> datetime:
        opens, _ = self.hours[day.weekday()]
        return datetime.combine(day, opens, tzinfo=self.tz)

    def closing(self, day: date) -> datetime:
        _, closes = self.hours[day.weekday()]
        return datetime.combine(day, closes, tzinfo=self.tz)

    def is_open(self, moment: datetime) -> bool:
        """Within office hours: opening inclusive, closing exclusive."""
        local = self.local(moment)
        hours = self.hours_on(local.date())
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself (in the office zone) within office hours, else the next opening."""
        local = self.local(moment)
        hours = self.hours_on(local.date())
        if hours is not None:
            if local.time() < hours[0]:
                return self.opening(local.date())
            if local.time() < hours[1]:
                return local
        return self.opening(self.next_working_day(local.date()))

    def minus_office_time(self, moment: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of office time before `moment` ("2 office hours before" a deadline)."""
        local = self.local(moment)
        day = local.date()
        hours = self.hours_on(day)
        if hours is None or local.time() < hours[0]:
            day = self.previous_working_day(day)
            cursor = self.closing(day)
        else:
            cursor = min(local, self.closing(day))
        left = amount
        while True:
            available = cursor - self.opening(day)
            if available >= left:
                return cursor - left
            left -= available
            day = self.previous_working_day(day)
            cursor = self.closing(day)
