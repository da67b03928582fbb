"""TinyDB in memory, written once per flush: the file is plain TinyDB, unchanged documents are not
serialised again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tinydb import Query, TinyDB

from helpdesk.errors import StoreCorrupt
from helpdesk.tickets import tinystore
from helpdesk.tickets.tinystore import open_db, replace_docs


def test_changes_reach_the_file_only_at_flush(tmp_path):
    db, storage = open_db(tmp_path / "hot.json")
    db.table("tickets").insert({"number": "PST-3576-2026-000001"})
    assert not (tmp_path / "hot.json").exists()
    storage.flush()
    assert TinyDB(tmp_path / "hot.json").table("tickets").search(Query().number == "PST-3576-2026-000001")


def test_plain_tinydb_reads_what_the_storage_wrote_table_by_table(tmp_path):
    db, storage = open_db(tmp_path / "hot.json")
    replace_docs(db.table("tickets"), {1: {"number": "a", "status": "open"}, 2: {"number": "b", "status": "closed"}})
    db.table("meta").insert({"counters": {"3576-2026": 2}})
    storage.flush()
    plain = TinyDB(tmp_path / "hot.json")
    assert [d["number"] for d in plain.table("tickets").search(Query().status == "open")] == ["a"]
    assert plain.table("meta").get(doc_id=1)["counters"] == {"3576-2026": 2}


def test_a_replaced_document_is_written_anew_and_the_others_from_cache(tmp_path, monkeypatch):
    db, storage = open_db(tmp_path / "hot.json")
    table = db.table("tickets")
    replace_docs(table, {i: {"number": str(i), "subject": "x"} for i in range(1, 101)})
    storage.flush()
    dumped = []
    real = tinystore.dumps
    monkeypatch.setattr(tinystore, "dumps", lambda doc: dumped.append(doc) or real(doc))
    replace_docs(table, {7: {"number": "7", "subject": "changed"}})
    storage.flush()
    assert [d for d in dumped if isinstance(d, dict)] == [{"number": "7", "subject": "changed"}]
    data = json.loads((tmp_path / "hot.json").read_bytes())
    assert data["tickets"]["7"]["subject"] == "changed" and len(data["tickets"]) == 100


def test_a_removed_document_leaves_the_file(tmp_path):
    db, storage = open_db(tmp_path / "hot.json")
    replace_docs(db.table("inflight"), {1: {"key": "a"}, 2: {"key": "b"}})
    storage.flush()
    replace_docs(db.table("inflight"), {}, remove=[1])
    storage.flush()
    assert [d["key"] for d in TinyDB(tmp_path / "hot.json").table("inflight").all()] == ["b"]


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b'{"tickets": [1]}', b"\xff{"])
def test_a_file_that_is_not_tinydb_is_refused_and_kept(tmp_path, content):
    path = tmp_path / "hot.json"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt):
        open_db(path)
    assert path.read_bytes() == content


def test_the_readme_example_reads_a_store_the_helpdesk_wrote(tmp_path, capsys):
    from datetime import UTC, datetime

    from helpdesk.model import Status, Ticket
    from helpdesk.tickets.store import Store

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    example = readme.split("**The store is TinyDB.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    store = Store(tmp_path)
    for _ in range(122):
        store.next_number("3576", 2026)
    at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for subject, status in (("Data PDRB", Status.CLOSED), ("Data inflasi", Status.OPEN)):
        number = store.next_number("3576", 2026)
        store.save_ticket(
            Ticket(number, "3576", "warga@example.org", subject, at, status=status, closed_at=at, message_ids=[])
        )
    store.commit()
    exec(example.replace("/var/lib/pst-helpdesk", str(tmp_path)))  # noqa: S102 - the README's own code
    out = capsys.readouterr().out
    assert "PST-3576-2026-000124" in out and "Data PDRB" in out and "'3576-2026': 124" in out


def test_the_file_written_in_pieces_is_whole_even_when_a_write_stops_short(tmp_path, monkeypatch):
    # The file goes out as its pieces (never joined); a write that takes only part of them, as a
    # write may, goes on from where it stopped.
    db, storage = open_db(tmp_path / "hot.json")
    replace_docs(db.table("tickets"), {i: {"n": i, "text": "ü" * i} for i in range(1, 300)})
    real = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, pieces: real(fd, [bytes(pieces[0])[:100]]))
    storage.flush()
    assert json.loads((tmp_path / "hot.json").read_bytes()) == {
        "tickets": {str(i): {"n": i, "text": "ü" * i} for i in range(1, 300)}
    }
