"""Threading: In-Reply-To/References first, then the subject number, only from the ticket's citizen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.model import InboundMail
from helpdesk.tickets.conversation import match_thread
from helpdesk.tickets.numbering import number_in_subject, tag_subject

INDEX = {"<ack1@bps.go.id>": "PST-3576-2026-000001", "<q2@x.org>": "PST-3576-2026-000002"}
REQUESTERS = {"PST-3576-2026-000001": "citizen@example.org", "PST-3576-2026-000002": "b@x.org"}


def mail(**kw) -> InboundMail:
    base = dict(message_id="<new@x>", received_at=datetime(2026, 11, 2, tzinfo=UTC), from_addr="citizen@example.org")
    base.update(kw)
    return InboundMail(**base)


@pytest.mark.parametrize(
    "kw, number, how",
    [
        ({"in_reply_to": "<ack1@bps.go.id>"}, "PST-3576-2026-000001", "in-reply-to"),
        ({"references": ["<q2@x.org>", "<other@x>"]}, "PST-3576-2026-000002", "references"),
        ({"in_reply_to": "<unknown@x>", "references": ["<ack1@bps.go.id>"]}, "PST-3576-2026-000001", "references"),
        ({"subject": "Re: [PST-3576-2026-000001] data"}, "PST-3576-2026-000001", "subject"),
        ({"subject": "Re: [PST-3576-2026-000001] data", "from_addr": "stranger@evil.example"}, None, None),
        ({"subject": "[PST-3576-2026-000099] unknown"}, None, None),
        ({"subject": "Permintaan data"}, None, None),
        ({"reported_message_ids": ["<ack1@bps.go.id>"]}, "PST-3576-2026-000001", "report"),
    ],
)
def test_match_thread(kw, number, how):
    found = match_thread(mail(**kw), INDEX.get, REQUESTERS.get)
    assert found.number == number
    if how:
        assert found.how == how


def test_subject_number_from_citizen_is_case_insensitive_on_address():
    found = match_thread(
        mail(subject="[PST-3576-2026-000001]", from_addr="citizen@example.org"),
        INDEX.get,
        lambda n: "Citizen@Example.org",
    )
    assert found.number == "PST-3576-2026-000001"


def test_tag_subject_once():
    assert tag_subject("PST-3576-2026-000001", "Re: [PST-3576-2026-000001] data") == "[PST-3576-2026-000001] Re: data"
    assert number_in_subject("no tag PST-3576-2026-000001") is None
