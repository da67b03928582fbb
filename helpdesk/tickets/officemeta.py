"""What the store remembers of one office besides its tickets and mail (pure).

Offices share nothing: ticket counters, rate-limit counts, the last round-robin picks, the
absences auto-replies revealed and the dates of periodic mail are each an office's own. A sender
writing to two offices is counted by each office apart.

The hot file keeps them in its `meta` table as one section per kind, every key carrying its office
("3576-2026" counters, "3576|<rate-limit key>", "3576/<team>", "3576/<address>", office code for the
rest); `from_doc` / `to_doc` convert between that table and one `OfficeMeta` per office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class OfficeMeta:
    """One office's meta; also the shape of a mail's pending changes (`pipeline.Context.meta`)."""

    counters: dict[int, int] = field(default_factory=dict)  # year -> last ticket number handed out
    ratelimit: dict[str, int] = field(default_factory=dict)  # tickets.ratelimit key -> mails counted
    round_robin: dict[str, str] = field(default_factory=dict)  # team -> operator picked last
    auto_replies: dict[str, str] = field(default_factory=dict)  # operator address -> day an auto-reply came
    failure_notice: datetime | None = None  # supervisors last told of a delivery failure
    monthly_report: str = ""  # last month reported, "YYYY-MM"
    last_digest: date | None = None  # day of the last daily digest

    def touches_anything(self) -> bool:
        """Whether these changes (a mail's pending ones) change anything at all."""
        return bool(
            self.counters
            or self.ratelimit
            or self.round_robin
            or self.auto_replies
            or self.failure_notice
            or self.monthly_report
            or self.last_digest
        )

    def merge(self, changes: OfficeMeta) -> None:
        """Take in `changes`: its mappings update these, its dates and month replace these when set."""
        self.counters.update(changes.counters)
        self.ratelimit.update(changes.ratelimit)
        self.round_robin.update(changes.round_robin)
        self.auto_replies.update(changes.auto_replies)
        self.failure_notice = changes.failure_notice or self.failure_notice
        self.monthly_report = changes.monthly_report or self.monthly_report
        self.last_digest = changes.last_digest or self.last_digest


def from_doc(doc: dict[str, Any]) -> dict[str, OfficeMeta]:
    """The meta table of a hot file, office by office. Rate-limit counts and auto-replies of
    files written before offices were counted apart carry no office: they are dropped (they
    only ever matter for the day they were made)."""
    offices: dict[str, OfficeMeta] = {}

    def of(code: str) -> OfficeMeta:
        return offices.setdefault(code, OfficeMeta())

    for key, n in doc.get("counters", {}).items():
        code, _, year = key.rpartition("-")
        of(code).counters[int(year)] = n
    for key, n in doc.get("ratelimit", {}).items():
        code, _, rest = key.partition("|")
        if "|" in rest:
            of(code).ratelimit[rest] = n
    for name in ("round_robin", "auto_replies"):
        for key, value in doc.get(name, {}).items():
            code, slash, rest = key.partition("/")
            if slash:
                getattr(of(code), name)[rest] = value
    for code, at in doc.get("failure_notices", {}).items():
        of(code).failure_notice = datetime.fromisoformat(at)
    for code, month in doc.get("monthly_report", {}).items():
        of(code).monthly_report = month
    for code, day in doc.get("last_digest", {}).items():
        of(code).last_digest = date.fromisoformat(day)
    return offices


def to_doc(offices: dict[str, OfficeMeta]) -> dict[str, Any]:
    """The meta table of a hot file (the inverse of `from_doc`)."""
    doc: dict[str, dict[str, Any]] = {
        "counters": {},
        "ratelimit": {},
        "round_robin": {},
        "auto_replies": {},
        "failure_notices": {},
        "monthly_report": {},
        "last_digest": {},
    }
    for code, meta in offices.items():
        doc["counters"].update({f"{code}-{year}": n for year, n in meta.counters.items()})
        doc["ratelimit"].update({f"{code}|{key}": n for key, n in meta.ratelimit.items()})
        doc["round_robin"].update({f"{code}/{team}": op for team, op in meta.round_robin.items()})
        doc["auto_replies"].update({f"{code}/{addr}": day for addr, day in meta.auto_replies.items()})
        if meta.failure_notice is not None:
            doc["failure_notices"][code] = meta.failure_notice.isoformat()
        if meta.monthly_report:
            doc["monthly_report"][code] = meta.monthly_report
        if meta.last_digest is not None:
            doc["last_digest"][code] = meta.last_digest.isoformat()
    return doc
