"""The one-file store becomes one store per office, once, and a crash at any step is redone."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from tinydb import Query, TinyDB

from helpdesk import faults
from helpdesk.tickets.migrate import migrate
from helpdesk.tickets.store import Store

OLD = Path(__file__).parents[2] / "corpus" / "store-v1"
TODAY = date(2026, 12, 1)


@pytest.fixture
def data_dir(tmp_path):
    shutil.copytree(OLD, tmp_path / "data")
    return tmp_path / "data"


def snapshot(data_dir: Path) -> dict:
    """Everything each office's store holds, as plain TinyDB reads it."""
    found = {}
    for hot in sorted((data_dir / "store").glob("[0-9]*/hot.json")):
        db = TinyDB(hot)
        found[hot.parent.name] = {name: db.table(name).all() for name in sorted(db.tables())}
        for month in sorted((hot.parent / "archive").glob("*.json")):
            found[hot.parent.name][month.name] = TinyDB(month).table("tickets").all()
    return found


def test_each_office_gets_its_tickets_mail_and_mailbox_state(data_dir):
    assert migrate(data_dir / "store", TODAY)
    store = Store(data_dir)
    assert store.offices() == ["3571", "3576"]
    assert [t.number for t in store.open_tickets("3576")] == ["PST-3576-2026-000001"]
    assert [t.number for t in store.open_tickets("3571")] == ["PST-3571-2026-000001"]
    assert store.ticket("PST-3576-2026-000002").subject == "Data PDRB 2024"  # from 3576's own archive
    assert [m.message_id for m in store.outgoing("3576")] == ["<pst.ack.1@bps.go.id>"]
    assert store.outgoing("3571") == []
    assert [e.key for e in store.in_flight()] == ["3576:1:5"]
    assert [e.key for e in store.quarantined()] == ["3571:1:2"]
    assert [r.key for r in store.not_ticketed_mails()] == ["3576:1:4"]
    assert (store.mailbox_state("3576").last_uid, store.mailbox_state("3571").last_uid) == (5, 2)
    assert store.office_meta("3576").round_robin == {"data": "operator@bps.go.id"}
    # Counters carried: a number once handed out is never handed out again.
    assert [store.next_number("3576", 2026), store.next_number("3571", 2026)] == [
        "PST-3576-2026-000003",
        "PST-3571-2026-000002",
    ]
    assert store.ticket_for_message("<q2@example.org>") == "PST-3576-2026-000002"
    assert store.ticket_for_message("<pst.ack.1@bps.go.id>") == "PST-3576-2026-000001"


def test_old_files_are_set_aside_not_deleted(data_dir):
    migrate(data_dir / "store", TODAY)
    aside = data_dir / "store" / "migrated-2026-12-01"
    assert (aside / "hot.json").read_bytes() == (OLD / "store" / "hot.json").read_bytes()
    assert (aside / "archive" / "2026-11.json").exists()
    assert sorted(p.name for p in (data_dir / "store").iterdir()) == ["3571", "3576", "migrated-2026-12-01"]


def test_a_second_start_finds_nothing_to_migrate(data_dir):
    migrate(data_dir / "store", TODAY)
    before = snapshot(data_dir)
    assert not migrate(data_dir / "store", TODAY)
    assert snapshot(data_dir) == before


def test_every_store_file_opens_with_plain_tinydb(data_dir):
    migrate(data_dir / "store", TODAY)
    tickets = TinyDB(data_dir / "store" / "3576" / "archive" / "2026-11.json").table("tickets")
    assert [t["requester"] for t in tickets.search(Query().status == "closed")] == ["lama@example.org"]


class Killed(BaseException):
    """Stands for SIGKILL at a failpoint: nothing after it runs (the e2e tests kill for real)."""


@pytest.mark.parametrize("point", ["migration_staged", "migration_moving", "migration_aside"])
def test_a_start_killed_at_any_step_is_finished_by_the_next_one(data_dir, tmp_path, monkeypatch, point):
    clean = tmp_path / "clean"
    shutil.copytree(OLD, clean)
    migrate(clean / "store", TODAY)

    def kill(name, daemon=False):
        if name == point:
            raise Killed

    monkeypatch.setattr(faults, "failpoint", kill)
    with pytest.raises(Killed):
        migrate(data_dir / "store", TODAY)
    monkeypatch.undo()
    assert migrate(data_dir / "store", TODAY)
    assert snapshot(data_dir) == snapshot(clean)
    assert sorted(p.name for p in (data_dir / "store").iterdir()) == ["3571", "3576", "migrated-2026-12-01"]
    assert json.loads((data_dir / "store" / "migrated-2026-12-01" / "hot.json").read_bytes())["tickets"]
