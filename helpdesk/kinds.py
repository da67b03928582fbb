"""The closed vocabularies of stored records: ticket event types, outgoing mail purposes, outbox
states (pure).

Values are stored as the plain strings they always were, so files written before these existed
load unchanged, and a member equals its string (`EventType.REPLY == "reply"`).
"""

from __future__ import annotations

import enum


class _Word(str, enum.Enum):  # noqa: UP042 - values are stored as plain strings
    def __str__(self) -> str:  # in f-strings, logs and templates: the stored word
        return self.value

    @classmethod
    def of(cls, value: str) -> _Word | str:
        """The member for a stored value; an unknown one (a newer file's) stays a plain string."""
        try:
            return cls(value)
        except ValueError:
            return value


class EventType(_Word):
    """What a TicketEvent records."""

    RECEIVED = "received"  # the citizen's first mail
    FOLLOW_UP = "follow_up"  # the citizen wrote again
    AUTO_REPLY = "auto_reply"  # a vacation responder answered (recorded, never answered)
    BOUNCE = "bounce"  # a delivery failure report came back
    RATING = "rating"  # the citizen's 1-5 answer to the rating request
    RATING_REFUSED = "rating_refused"  # a rating that does not answer the request
    REPLY = "reply"  # an operator's answer that reached the citizen
    NOTE = "note"  # an operator's internal note
    HANDOVER = "handover"  # a hand-over note to another operator
    COMMAND = "command"  # an operator's mail with commands only
    STATUS = "status"  # the ticket's status changed
    ROUTED = "routed"  # rules chose team, category, operator
    ASSIGNED = "assigned"  # the ticket went to another operator
    NOTIFIED = "notified"  # an operator was sent the ticket
    MAIL_SENT = "mail_sent"
    MAIL_FAILED = "mail_failed"
    RELAY_REFUSED = "relay_refused"  # an operator's reply was not relayed
    REMINDER = "reminder"
    ESCALATION = "escalation"
    CLOSE_NOTICE = "close_notice"  # the citizen was told the ticket closes


class Purpose(_Word):
    """Why an OutgoingMail is sent."""

    ACKNOWLEDGEMENT = "acknowledgement"  # to the citizen: the ticket number and deadline
    ANSWER = "answer"  # to the citizen: an operator's reply, relayed
    CLOSE_NOTICE = "close_notice"
    RATING_REQUEST = "rating_request"
    NOTIFICATION = "notification"  # to an operator: a ticket to answer
    OPERATOR_NOTICE = "operator_notice"  # to an operator: a reply refused, an answer too big
    DESK_REPLY = "desk_reply"  # to an operator: a command's answer
    REMINDER = "reminder"
    ESCALATION = "escalation"  # to supervisors: a deadline breached
    DIGEST = "digest"
    REPORT = "report"  # the monthly report
    ACK_LIMIT = "ack_limit"  # to supervisors: acknowledgements held back by the hourly cap
    DELIVERY_FAILURE = "delivery_failure"
    QUARANTINE_NOTICE = "quarantine_notice"
    DISK_ALERT = "disk_alert"


class MailState(_Word):
    """Where an OutgoingMail stands: queued -> sending -> sent (it leaves the outbox) | failed."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
