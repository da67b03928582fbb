"""The intake's promises without servers: one message one event, leftovers, a store that fails."""

from __future__ import annotations

import pytest

from helpdesk.errors import StoreCorrupt
from helpdesk.tickets.records import InflightEntry
from tests.deskharness import Desk, to_of
from tests.mailfactory import citizen_mail


def test_same_mail_delivered_twice_is_one_ticket(tmp_path):
    desk = Desk(tmp_path)
    raw = citizen_mail(message_id="<form@web.example>")
    desk.deliver(raw)
    desk.deliver(raw)
    assert [t.number for t in desk.app.store.open_tickets()] == ["PST-3576-2026-000001"]


def test_a_message_id_reused_by_another_sender_is_another_question(tmp_path):
    # Some web-form mailers give every mail the same Message-ID; the second citizen must not vanish.
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail(message_id="<fixed@form.example>", sender="A <a@example.org>"))
    desk.deliver(citizen_mail(message_id="<fixed@form.example>", sender="B <b@example.org>", subject="Data kemiskinan"))
    tickets = sorted(desk.app.store.open_tickets(), key=lambda t: t.number)
    assert [t.requester for t in tickets] == ["a@example.org", "b@example.org"]
    acks = [m for m in desk.take() if m["Auto-Submitted"] == "auto-replied"]
    assert sorted(a for m in acks for a in to_of(m)) == ["a@example.org", "b@example.org"]


def test_leftovers_of_a_crash_are_charged_one_at_a_time(tmp_path):
    desk = Desk(tmp_path)
    store = desk.app.store
    for uid in range(1, 6):  # five mails in flight after a crash that charged each one attempt
        spool = desk.app.spool.put_inbound(citizen_mail(subject=f"Data {uid}"), desk.clock.now())
        store.put_in_flight(InflightEntry("3576", 1, uid, spool, desk.clock.now(), attempts=1))
    commits = []
    real_stage = store.stage
    store.stage = lambda: (commits.append([e.attempts for e in store.in_flight()]), real_stage())[1]
    handled = desk.intake.process_pending()
    assert len(handled) == 5 and store.in_flight() == []
    # Before each mail runs, only that mail's count went up: a mail that kills the process is the
    # only one to gather attempts towards quarantine.
    assert commits[0] == [2, 1, 1, 1, 1]
    assert len(store.open_tickets()) == 5


def test_a_store_that_fails_while_processing_is_not_blamed_on_the_mail(tmp_path, monkeypatch):
    desk = Desk(tmp_path)

    def broken(number):
        raise StoreCorrupt("archive/2026-11.json: not valid JSON")

    monkeypatch.setattr(desk.app.store, "ticket", broken)
    raw = citizen_mail(subject="Re: [PST-3576-2026-000009] data")
    with pytest.raises(StoreCorrupt):
        desk.deliver(raw)
    assert desk.app.store.quarantined() == []
    assert len(desk.app.store.in_flight()) == 1  # still owed: processed once the store is mended
