"""Event types, mail purposes and outbox states: enums stored as the plain strings they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from helpdesk.kinds import EventType, MailState, Purpose
from helpdesk.model import OutgoingMail, TicketEvent

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def test_stored_words_load_as_members_and_are_written_back_unchanged():
    event = TicketEvent.from_dict({"at": T0.isoformat(), "type": "follow_up"})
    mail = OutgoingMail.from_dict(
        {"message_id": "<a@x>", "office": "3576", "mail_from": "b@x", "recipients": [], "raw": "", "purpose": "answer"}
    )
    assert event.type is EventType.FOLLOW_UP
    assert (mail.purpose, mail.status) == (Purpose.ANSWER, MailState.QUEUED) and mail.status is MailState.QUEUED
    assert json.loads(json.dumps(event.to_dict()))["type"] == "follow_up"
    assert json.loads(json.dumps(mail.to_dict()))["status"] == "queued"
    assert f"{mail.purpose} {mail.status}" == "answer queued"  # logs, views and templates show the word


def test_a_word_this_version_does_not_know_stays_a_string():
    event = TicketEvent.from_dict({"at": T0.isoformat(), "type": "from_a_newer_version"})
    assert event.type == "from_a_newer_version" and not isinstance(event.type, EventType)
