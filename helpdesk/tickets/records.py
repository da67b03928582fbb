"""The store's small records besides tickets and outgoing mail: mail in flight, quarantined mail,
mail that made no ticket, a mailbox's high-water mark (pure).

Each converts to and from the JSON-ready dict the store keeps (`to_dict()` / `from_dict()`); keys
a stored file has and these do not know are ignored, missing ones take their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any


def entry_key(office: str, uidvalidity: int, uid: int) -> str:
    """The key of a fetched mail: "3576:1700000000:42" (office, UIDVALIDITY, UID)."""
    return f"{office}:{uidvalidity}:{uid}"


def office_of_key(key: str) -> str:
    """The office code an `entry_key` starts with."""
    return key.split(":", 1)[0]


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class InflightEntry:
    """A fetched mail, its raw bytes in the spool, not yet turned into a ticket (or set aside)."""

    office: str
    uidvalidity: int
    uid: int
    spool: str  # spool-relative path of the raw mail
    received_at: datetime  # IMAP INTERNALDATE
    attempts: int = 0  # processing attempts begun; counted durably before each
    last_error: str = ""

    @property
    def key(self) -> str:
        return entry_key(self.office, self.uidvalidity, self.uid)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("received_at", "quarantined_at"):
            if name in d:
                d[name] = _iso(d[name])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InflightEntry:
        d = _known(cls, d)
        for name in ("received_at", "quarantined_at"):
            if name in d:
                d[name] = _dt(d[name])
        return cls(**d)


@dataclass
class QuarantineEntry(InflightEntry):
    """A mail set aside for a human after it failed (or killed the daemon) MAX_ATTEMPTS times."""

    reason: str = ""
    copy: str = ""  # spool-relative path of its copy under quarantine/
    quarantined_at: datetime | None = None

    @classmethod
    def of(cls, entry: InflightEntry, reason: str, copy: str, at: datetime) -> QuarantineEntry:
        plain = {f.name: getattr(entry, f.name) for f in fields(InflightEntry)}
        return cls(**plain, reason=reason, copy=copy, quarantined_at=at)

    def in_flight(self) -> InflightEntry:
        """The mail back in flight with fresh attempts (`quarantine retry`)."""
        plain = {f.name: getattr(self, f.name) for f in fields(InflightEntry)}
        return InflightEntry(**dict(plain, attempts=0, last_error=""))


@dataclass
class NotTicketed:
    """A mail that became no ticket (robot, duplicate, loop, list), for `helpdesk mails --not-ticketed`."""

    key: str  # the entry_key of the mail it was
    office: str
    received_at: datetime
    spool: str
    sender: str  # stored as "from"
    subject: str
    message_id: str
    reason: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["received_at"] = _iso(self.received_at)
        d["from"] = d.pop("sender")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NotTicketed:
        d = dict(d, sender=d.get("from", ""))
        d = _known(cls, d)
        d["received_at"] = _dt(d["received_at"])
        return cls(**d)


@dataclass
class MailboxState:
    """How far an office's mailbox has been read: UIDs up to `last_uid` of this UIDVALIDITY are stored."""

    office: str
    uidvalidity: int | None = None
    last_uid: int = 0

    def advanced(self, uidvalidity: int, uids: list[int]) -> MailboxState:
        """The state after a batch of these UIDs was recorded (a new UIDVALIDITY starts again)."""
        last = self.last_uid if self.uidvalidity == uidvalidity else 0
        return MailboxState(self.office, uidvalidity, max([last, *uids]))

    def to_dict(self) -> dict[str, Any]:
        return {"office": self.office, "uidvalidity": self.uidvalidity, "last_uid": self.last_uid}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MailboxState:
        return cls(**_known(cls, d))
