"""Commits made under the store's lock and written after it: in the order staged, and again after a failed write."""

from __future__ import annotations

import errno
import threading
import time
from datetime import date

import pytest

from helpdesk.errors import LocalFault
from helpdesk.model import Status
from helpdesk.tickets import office, ratelimit, tinystore
from helpdesk.tickets.officemeta import OfficeMeta
from helpdesk.tickets.store import Store, Turns
from tests.unit.tickets.test_store import make_ticket


def full_disk(path, data):  # noqa: ANN001 - stands in for tinystore.write_atomic
    raise LocalFault("data disk full", path, OSError(errno.ENOSPC, "No space left on device"))


def test_a_commit_after_a_failed_write_writes_the_office_again_though_nothing_changed(tmp_path, monkeypatch):
    store = Store(tmp_path)
    first, second = make_ticket(store, 1), make_ticket(store, 2)
    store.save_ticket(first)
    store.commit()
    store.save_ticket(second)
    with monkeypatch.context() as m:
        m.setattr(tinystore, "write_atomic", full_disk)
        with pytest.raises(LocalFault):
            store.commit()
    assert store.fault == "data disk full"
    store.commit()  # the disk has room again; nothing changed in memory since the failed write
    assert sorted(t.number for t in Store(tmp_path).open_tickets()) == [first.number, second.number]
    assert store.fault == ""


def test_a_closed_ticket_whose_commit_failed_leaves_the_hot_file_at_the_next(tmp_path, monkeypatch):
    store = Store(tmp_path)
    ticket = make_ticket(store, 1)
    store.save_ticket(ticket)
    store.commit()
    ticket.status, ticket.closed_at = Status.CLOSED, ticket.received_at
    store.save_ticket(ticket)
    with monkeypatch.context() as m:
        m.setattr(tinystore, "write_atomic", full_disk)  # the hot file only: the month file is written
        with pytest.raises(LocalFault):
            store.commit()
    store.commit()
    again = Store(tmp_path)
    assert again.open_tickets() == []
    assert again.ticket(ticket.number).status is Status.CLOSED


def test_commits_are_written_in_the_order_they_were_staged(tmp_path, monkeypatch):
    store = Store(tmp_path)
    first, second = make_ticket(store, 1), make_ticket(store, 2)
    written: list[list[str]] = []
    save = tinystore.CommitStorage.save

    def recorded(storage, text):  # noqa: ANN001
        whole = b"".join(text)
        written.append([n for n in (first.number, second.number) if n.encode() in whole])
        save(storage, text)

    monkeypatch.setattr(tinystore.CommitStorage, "save", recorded)
    with store.lock:
        store.save_ticket(first)
        older = store.stage()
        store.save_ticket(second)
        newer = store.stage()
    later = threading.Thread(target=newer.wait)
    later.start()
    deadline = time.monotonic() + 10
    while not store._turns.changed._waiters:  # noqa: SLF001 - the newer commit waits for its turn
        assert later.is_alive() and time.monotonic() < deadline, "the newer commit did not wait"
        time.sleep(0.001)
    assert written == []
    older.wait()
    later.join()
    assert written == [[first.number], [first.number, second.number]]
    assert sorted(t.number for t in Store(tmp_path).open_tickets()) == [first.number, second.number]


def test_the_meta_is_rebuilt_only_by_a_commit_that_changed_it(tmp_path, monkeypatch):
    # The meta is one document holding every rate-limit count of the day's senders: rebuilding it
    # at the outbox's commits too cost 0.3 ms a commit at 300 senders, 0.7 ms at 1,000.
    store = Store(tmp_path)
    key = ratelimit.per_day("warga@example.org", date(2026, 12, 2))
    store.update_meta("3576", OfficeMeta(ratelimit={key: 1}))
    store.commit()
    built = []
    to_doc = office.officemeta.to_doc
    monkeypatch.setattr(office.officemeta, "to_doc", lambda offices: (built.append(1), to_doc(offices))[1])
    store.update_meta("3576", OfficeMeta())  # a mail that counted nothing, or an outbox's commit
    store.commit()
    assert built == []
    store.update_meta("3576", OfficeMeta(ratelimit={key: 2}))
    store.commit()
    assert built == [1]
    assert Store(tmp_path).rate_count("3576", key) == 2


def test_a_staged_commit_dropped_unwritten_neither_blocks_the_next_nor_loses_its_changes(tmp_path):
    store = Store(tmp_path)
    ticket = make_ticket(store, 1)
    with store.lock:
        store.save_ticket(ticket)
        staged = store.stage()
    del staged  # an exception between stage() and wait()
    later = threading.Thread(target=store.commit, daemon=True)
    later.start()
    later.join(timeout=30)
    assert not later.is_alive(), "the next commit waited for a turn that never comes"
    assert [t.number for t in Store(tmp_path).open_tickets()] == [ticket.number]


def test_a_turn_ended_early_waits_for_the_ones_before_it():
    turns = Turns()
    turns.end(2)  # dropped while turn 1 is still writing
    assert turns.done == 0
    turns.end(1)
    assert turns.done == 2
