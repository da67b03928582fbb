"""The records that flow through the helpdesk: inbound mail, tickets, their events, outgoing mail (pure).

Everything here is plain data. Records that live in the store convert to and from JSON-ready dicts
with `to_dict()` / `from_dict()`; datetimes are stored as ISO 8601 with their offset.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .kinds import EventType, MailState, Purpose


class Kind(str, enum.Enum):  # noqa: UP042 - values are stored as plain strings
    """What an inbound mail is, decided by `inbound.classify` before anything acts on it."""

    NEW = "new"  # a citizen's first mail: becomes a ticket
    FOLLOW_UP = "follow_up"  # a citizen writing into an existing ticket
    OPERATOR_REPLY = "operator_reply"  # an operator answering a notification
    AUTO_REPLY = "auto_reply"  # vacation responders, RFC 3834 mail: recorded, never answered
    BOUNCE = "bounce"  # delivery status notifications: recorded on the ticket, never answered
    LIST = "list"  # mailing lists and bulk mail: never answered
    LOOP = "loop"  # mail from the helpdesk's own addresses: never answered
    RATING = "rating"  # a citizen's 1-5 answer to the rating request on a closed ticket


@dataclass(frozen=True)
class Verdict:
    """What the mail is, and which header or fact decided it (`inbound.classify`)."""

    kind: Kind
    reason: str
    rule: str = ""


class Status(str, enum.Enum):  # noqa: UP042 - values are stored as plain strings
    """Where a ticket stands in the SLA clock (DESIGN.md, "The clock")."""

    OPEN = "open"  # waiting for an operator: the clock runs
    WAITING_CITIZEN = "waiting_citizen"  # the request is not yet clear: the clock is stopped
    ANSWERED = "answered"  # an operator replied: the clock is stopped
    CLOSED = "closed"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class Attachment:
    """One attachment: the sender's name is kept for display only; bytes live in the spool."""

    filename: str  # as the sender named it, sanitised for display; never a path
    content_type: str
    size: int
    spool_name: str = ""  # generated name inside the spool, set when the bytes are stored
    payload: bytes = field(default=b"", repr=False, compare=False)  # not persisted

    def to_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "spool_name": self.spool_name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attachment:
        return cls(d["filename"], d["content_type"], d["size"], d.get("spool_name", ""))


@dataclass
class InboundMail:
    """A parsed inbound message, normalised so that later stages never touch raw MIME."""

    message_id: str  # "<...>"; minted from a content hash when the mail has none
    received_at: datetime  # IMAP INTERNALDATE: the server's clock, never the Date header
    from_addr: str  # lower-case address, "" when From is missing or unreadable
    from_name: str = ""
    from_trusted_form: bool = False  # exactly one address and a display name that is not an address
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""
    subject: str = ""  # RFC 2047 decoded, control characters removed
    text: str = ""  # plain text; from HTML when the mail has no text part
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    date_header: str = ""  # informational only
    has_message_id: bool = True
    # Signals of automated mail (DESIGN.md, "Threading and trust").
    auto_submitted: str = ""  # RFC 3834 header value, "" when absent
    precedence: str = ""
    list_id: str = ""
    return_path: str | None = None  # None: header absent; "": the null sender "<>"
    x_auto_response_suppress: str = ""
    is_delivery_report: bool = False  # multipart/report; report-type=delivery-status, or similar
    reported_message_ids: list[str] = field(default_factory=list)  # in a bounce: Message-ID etc. of the mail it returns
    report_status: str = ""  # in a bounce: a one-line summary (recipient, status, diagnostic)
    bounce_recipients: list[str] = field(default_factory=list)  # failed recipients flufl.bounce found
    authentication_results: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # a few other raw headers, lower-case names
    language: str = "id"  # "id" or "en"
    size: int = 0
    defects: list[str] = field(default_factory=list)  # what could not be decoded, for the log
    incomplete: str = ""  # why only part of the body was read (time budget), "" when all was

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first (In-Reply-To, then References newest first)."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [r for r in reversed(self.references) if r not in ids]
        return ids


@dataclass
class TicketEvent:
    """One thing that happened to a ticket; the ticket's history is the list of these."""

    at: datetime
    type: EventType | str  # a plain string only for a type this version does not know
    message_id: str = ""
    actor: str = ""  # address of who caused it: citizen, operator, or "helpdesk"
    summary: str = ""
    spool: str = ""  # spool-relative path of the raw .eml, when there is one
    attachments: list[Attachment] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "type": self.type,
            "message_id": self.message_id,
            "actor": self.actor,
            "summary": self.summary,
            "spool": self.spool,
            "attachments": [a.to_dict() for a in self.attachments],
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TicketEvent:
        return cls(
            at=datetime.fromisoformat(d["at"]),
            type=EventType.of(d["type"]),
            message_id=d.get("message_id", ""),
            actor=d.get("actor", ""),
            summary=d.get("summary", ""),
            spool=d.get("spool", ""),
            attachments=[Attachment.from_dict(a) for a in d.get("attachments", [])],
            data=d.get("data", {}),
        )


_TICKET_TIMES = ("received_at", "due_at", "clock_started_at", "updated_at", "closed_at", "waiting_since", "answered_at")


@dataclass
class Ticket:
    """A citizen's consultation: one thread, one number, one SLA clock."""

    number: str  # PST-3576-2026-000123
    office: str  # office code
    requester: str  # the citizen's address
    subject: str
    received_at: datetime  # first mail's INTERNALDATE
    status: Status = Status.OPEN
    requester_name: str = ""
    language: str = "id"
    due_at: datetime | None = None
    clock_started_at: datetime | None = None
    reply_days: int | None = None  # None: the office's reply_days
    assignee: str = ""  # operator address, "" when unassigned
    team: str = ""
    category: str = ""
    priority: str = "normal"
    tags: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    waiting_since: datetime | None = None
    answered_at: datetime | None = None  # first operator answer, for the service-standard report
    rating: int | None = None
    public: bool = False  # an operator marked the answer public (#publik)
    public_answer: str = ""  # the answer #publik published, frozen at that moment
    message_ids: list[str] = field(default_factory=list)  # every Message-ID of the thread, in and out
    sla_done: list[str] = field(default_factory=list)  # keys of reminders/escalations already sent
    # Fingerprints (outbound.staffcopy) of what the helpdesk wrote to staff about this ticket, and of
    # its internal-only blocks: an operator's reply is cleaned of them before it reaches the citizen.
    staff_prints: str = ""
    internal_prints: str = ""
    events: list[TicketEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _TICKET_FIELDS}
        for name in _TICKET_TIMES:
            d[name] = _iso(d[name])
        d["status"] = self.status.value
        d["tags"] = list(self.tags)
        d["message_ids"] = list(self.message_ids)
        d["sla_done"] = list(self.sla_done)
        d["events"] = [e.to_dict() for e in self.events]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ticket:
        d = dict(d)
        for name in _TICKET_TIMES:
            d[name] = _dt(d.get(name))
        d["status"] = Status(d["status"])
        d["events"] = [TicketEvent.from_dict(e) for e in d.get("events", [])]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def copy(self) -> Ticket:
        """A private copy, through the stored form: a step's changes reach the store only when applied."""
        return Ticket.from_dict(self.to_dict())

    @property
    def reply_language(self) -> str:
        """The language of mail to the citizen: English when they wrote English, else Indonesian."""
        return "en" if self.language == "en" else "id"

    @property
    def year(self) -> int:
        return int(self.number.split("-")[2])


# Field names in order, made once: dataclasses.fields() builds them anew at each call, a tenth of
# a ticket's to_dict (twice a mail).
_TICKET_FIELDS = tuple(f.name for f in fields(Ticket))
_MAIL_TIMES = ("next_attempt_at", "created_at", "sent_at", "failed_at")


@dataclass
class OutgoingMail:
    """A mail the helpdesk will send; stored in the outbox before any SMTP conversation."""

    message_id: str  # minted by the helpdesk before sending: the idempotency key
    office: str
    mail_from: str  # SMTP envelope sender
    recipients: list[str]
    raw: str  # the whole message, as text (RFC 5322, CRLF-free is fine)
    purpose: Purpose | str  # "" for a mail the sender process sends for another
    ticket: str = ""  # ticket number, "" for mail that belongs to none (digests)
    status: MailState | str = MailState.QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    failed_at: datetime | None = None  # when it was given up; the digest forgets it a week later
    spool: str = ""  # where the raw text went when it failed ("" raw in the store)

    def to_dict(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, whose deep copy dominated a commit.
        d = {name: getattr(self, name) for name in _MAIL_FIELDS}
        d["recipients"] = list(self.recipients)
        for name in _MAIL_TIMES:
            d[name] = _iso(d[name])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutgoingMail:
        d = dict(d)
        for name in _MAIL_TIMES:
            d[name] = _dt(d.get(name))
        d["purpose"] = Purpose.of(d.get("purpose", ""))
        d["status"] = MailState.of(d.get("status", MailState.QUEUED))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


_MAIL_FIELDS = tuple(f.name for f in fields(OutgoingMail))
