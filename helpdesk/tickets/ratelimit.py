"""The keys of an office's rate-limit counts (OfficeMeta.ratelimit), and their pruning (pure).

Every key ends in "|YYYY-MM-DD", the office's local day it counts for, so that old days can be
dropped without knowing what each key counts.
"""

from __future__ import annotations

from datetime import date, datetime

DAYS_KEPT = 2  # an office's days of counts kept (today, and yesterday)


def per_day(address: str, day: date, kind: str = "") -> str:
    """Mails of one kind to one address on a day ("" kind: acknowledgements)."""
    return f"{kind}:{address}|{day.isoformat()}" if kind else f"{address}|{day.isoformat()}"


def per_hour(kind: str, office: str, hour: datetime) -> str:
    """Mails of one kind an office sent in one local wall-clock hour."""
    stamp = hour.isoformat()
    return f"{kind}:{office}:{stamp[11:13]}|{stamp[:10]}"


def once(kind: str, office: str, day: date) -> str:
    """Whether a once-a-day thing (a notice to supervisors) happened on a day."""
    return f"{kind}:{office}|{day.isoformat()}"


def prune(counts: dict[str, int], days: int = DAYS_KEPT) -> None:
    """Drop the counts of all but the latest `days` days, so the store does not grow with every
    citizen who ever wrote."""
    seen = {key.rpartition("|")[2] for key in counts}
    if len(seen) <= days:
        return
    keep = set(sorted(d for d in seen if _is_day(d))[-days:])
    for key in [k for k in counts if _is_day(day := k.rpartition("|")[2]) and day not in keep]:
        del counts[key]


def _is_day(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()
