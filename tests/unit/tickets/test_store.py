"""The store: atomic commits, archives by month, and refusing to start over an unreadable file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.errors import StoreCorrupt
from helpdesk.model import OutgoingMail, Status, Ticket
from helpdesk.tickets.store import Store

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def make_ticket(store: Store, n: int = 0, status: Status = Status.OPEN) -> Ticket:
    number = store.next_number("3576", 2026)
    return Ticket(
        number=number,
        office="3576",
        requester=f"c{n}@example.org",
        subject=f"s{n}",
        received_at=T0 + timedelta(minutes=n),
        status=status,
        message_ids=[f"<m{n}@example.org>"],
        closed_at=T0 if status is Status.CLOSED else None,
    )


def acknowledgement(ticket: str = "") -> OutgoingMail:
    """One queued acknowledgement of office 3576, to a citizen."""
    return OutgoingMail(
        message_id="<a@x>",
        office="3576",
        mail_from="bps3576@bps.go.id",
        recipients=["c0@example.org"],
        raw="Subject: x\n\nhi",
        purpose="acknowledgement",
        ticket=ticket,
        created_at=T0,
    )


def test_committed_ticket_survives_reopen(tmp_path):
    store = Store(tmp_path)
    ticket = make_ticket(store)
    store.save_ticket(ticket)
    store.commit()
    again = Store(tmp_path)
    assert again.ticket(ticket.number) == ticket
    assert again.ticket_for_message("<m0@example.org>") == ticket.number


def test_uncommitted_changes_are_not_on_disk(tmp_path):
    store = Store(tmp_path)
    store.save_ticket(make_ticket(store))
    assert Store(tmp_path).open_tickets() == []


def test_numbers_are_never_reused_across_restarts(tmp_path):
    store = Store(tmp_path)
    first = store.next_number("3576", 2026)
    store.commit()
    second = Store(tmp_path).next_number("3576", 2026)
    assert (first, second) == ("PST-3576-2026-000001", "PST-3576-2026-000002")


def test_numbers_count_per_office_and_year(tmp_path):
    store = Store(tmp_path)
    assert [store.next_number("3576", 2026), store.next_number("3571", 2026), store.next_number("3576", 2027)] == [
        "PST-3576-2026-000001",
        "PST-3571-2026-000001",
        "PST-3576-2027-000001",
    ]


def test_closed_ticket_moves_to_month_archive_and_stays_findable(tmp_path):
    store = Store(tmp_path)
    ticket = make_ticket(store, status=Status.CLOSED)
    store.save_ticket(ticket)
    store.commit()
    assert (tmp_path / "store" / "3576" / "archive" / "2026-11.json").exists()
    again = Store(tmp_path)
    assert again.open_tickets() == []
    assert ticket.number not in (tmp_path / "store" / "3576" / "hot.json").read_text()
    assert again.ticket(ticket.number) == ticket
    assert again.ticket_for_message("<m0@example.org>") == ticket.number


def test_unarchived_ticket_returns_to_hot_file(tmp_path):
    store = Store(tmp_path)
    ticket = make_ticket(store, status=Status.CLOSED)
    store.save_ticket(ticket)
    store.commit()
    again = Store(tmp_path)
    back = again.unarchive(ticket.number)
    back.status = Status.OPEN
    again.save_ticket(back)
    again.commit()
    third = Store(tmp_path)
    assert [t.number for t in third.open_tickets()] == [ticket.number]
    assert [t.number for t in third.all_tickets()] == [ticket.number]


@pytest.mark.parametrize("content", [b"", b"   ", b'{"tickets": {"1": {"numb', b"\x00\x01garbage"])
def test_unreadable_office_file_stops_that_office_only_and_is_left_untouched(tmp_path, content):
    path = tmp_path / "store" / "3571" / "hot.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    store = Store(tmp_path, ["3576", "3571"])
    assert list(store.broken) == ["3571"] and store.offices() == ["3576"]
    store.save_ticket(make_ticket(store))
    store.commit()
    with pytest.raises(StoreCorrupt):
        store.next_number("3571", 2026)
    assert path.read_bytes() == content
    assert [t.office for t in Store(tmp_path).open_tickets()] == ["3576"]


@pytest.mark.parametrize("content", [b"", b"   ", b'{"tickets": {"1": {"numb', b"\x00\x01garbage"])
def test_unreadable_one_file_store_is_not_migrated_and_left_untouched(tmp_path, content):
    path = tmp_path / "store" / "hot.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt):
        Store(tmp_path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["hot.json"]


def test_office_file_with_wrong_shape_is_corrupt(tmp_path):
    path = tmp_path / "store" / "3576" / "hot.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"tickets": {"1": {"number": "x"}}}')
    assert "3576" in Store(tmp_path).broken


def test_outbox_is_committed_with_the_ticket(tmp_path):
    store = Store(tmp_path)
    ticket = make_ticket(store)
    store.save_ticket(ticket)
    store.queue_mail(acknowledgement(ticket=ticket.number))
    store.commit()
    again = Store(tmp_path)
    assert [m.message_id for m in again.outgoing()] == ["<a@x>"]
    assert again.ticket_for_message("<a@x>") == ticket.number


def test_commit_leaves_no_temporary_files(tmp_path):
    store = Store(tmp_path)
    store.save_ticket(make_ticket(store))
    store.commit()
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == ["store/3576/hot.json"]


def test_a_hot_file_without_its_counters_is_unreadable_not_empty(tmp_path):
    hot = tmp_path / "store" / "3576" / "hot.json"
    hot.parent.mkdir(parents=True)
    hot.write_text('{"_default": {}}')
    assert "no meta table" in Store(tmp_path).broken["3576"]
    assert hot.read_text() == '{"_default": {}}'


def written(monkeypatch) -> list[str]:
    """The files each durable write of the store replaces, in order."""
    from helpdesk.tickets import tinystore

    paths: list[str] = []
    real = tinystore.write_atomic
    monkeypatch.setattr(tinystore, "write_atomic", lambda path, data: paths.append(path) or real(path, data))
    return paths


def test_a_commit_writes_only_the_office_it_changed_once(tmp_path, monkeypatch):
    store = Store(tmp_path)
    for office in ("3576", "3571", "3514"):
        store.save_ticket(
            dataclasses.replace(make_ticket(store), office=office, number=store.next_number(office, 2026))
        )
    store.commit()
    paths = written(monkeypatch)
    [ticket] = store.open_tickets("3571")
    ticket.subject = "changed"
    store.save_ticket(ticket)
    store.commit()
    store.commit()  # nothing changed since: nothing written
    assert [str(p.relative_to(tmp_path)) for p in paths] == ["store/3571/hot.json"]


def test_a_queued_mail_changed_in_place_is_written_by_the_next_commit(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.queue_mail(acknowledgement())
    store.commit()
    paths = written(monkeypatch)
    [mail] = store.outgoing(states=["queued"])
    mail.status, mail.attempts = "sending", 1  # as the outbox does, with no call to the store
    store.commit()
    assert [str(p.relative_to(tmp_path)) for p in paths] == ["store/3576/hot.json"]
    assert [m.status for m in Store(tmp_path).outgoing()] == ["sending"]


def test_the_office_that_takes_mail_out_of_flight_is_written_last(tmp_path, monkeypatch):
    from helpdesk.tickets.records import InflightEntry

    store = Store(tmp_path)
    entry = InflightEntry("3571", 7, 1, "in/x.mbox:0:1", T0)
    store.put_in_flight(entry)
    store.save_ticket(make_ticket(store))
    store.commit()
    paths = written(monkeypatch)
    # A mail in 3571's mailbox written To 3576: its ticket is 3576's, its in-flight entry 3571's.
    store.done_in_flight(entry)
    store.save_ticket(dataclasses.replace(make_ticket(store, 1), number=store.next_number("3576", 2026)))
    store.commit()
    assert [p.parent.name for p in paths] == ["3576", "3571"]
