"""Dates and deadlines as citizens and staff read them, in Indonesian or English (stage 3, pure).

"Selasa, 29 Desember 2026 pukul 10.00 WIB": Indonesian writes the time with a dot (PUEBI); the
zone label (WIB, WITA, WIT) is always shown, since offices and citizens span three zones.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Office

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "id"


def format_date(day: date, lang: str = "id") -> str:
    """ "Selasa, 29 Desember 2026" / "Tuesday, 29 December 2026"."""
    lang = _lang(lang)
    return f"{DAYS[lang][day.weekday()]}, {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def when_text(office: Office, moment: datetime | None, lang: str = "id") -> str:
    """A moment in the office's zone with its label (WIB, WITA, WIT); "-" for none."""
    return format_deadline(moment, office.zone_label, lang, tz=office.tz) if moment else "-"


def format_deadline(moment: datetime, zone_label: str, lang: str = "id", tz: tzinfo | None = None) -> str:
    """ "Selasa, 29 Desember 2026 pukul 10.00 WIB"; pass `tz` (the office zone) to convert first.

    Without `tz` the moment is shown in its own offset, so callers holding a stored datetime of
    unknown offset must pass the office zone (or convert) for the label to be true.
    """
    if tz is not None:
        moment = moment.astimezone(tz)
    lang = _lang(lang)
    # The hour and minute as %H and %M write them, without strftime's cost (every acknowledgement).
    hour, minute = f"{moment.hour:02d}", f"{moment.minute:02d}"
    if lang == "en":
        return f"{format_date(moment.date(), lang)} at {hour}:{minute} {zone_label}"
    return f"{format_date(moment.date(), lang)} pukul {hour}.{minute} {zone_label}"
