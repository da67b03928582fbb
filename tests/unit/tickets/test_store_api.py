"""The store's typed API: nothing outside tickets/ reaches its containers, its records survive a
commit, old hot files still load, and every office keeps its own meta."""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime
from pathlib import Path

import helpdesk
from helpdesk.tickets import ratelimit
from helpdesk.tickets.officemeta import OfficeMeta
from helpdesk.tickets.records import InflightEntry, NotTicketed, entry_key, office_of_key
from helpdesk.tickets.store import Store
from tests.deskharness import Desk, to_of
from tests.mailfactory import citizen_mail

T0 = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
CONTAINERS = ("tickets", "outbox", "mailboxes", "inflight", "quarantine", "not_ticketed", "meta")
PRIVATE = {f"_{name}" for name in CONTAINERS}


def _is_store(node: ast.expr) -> bool:
    """`store`, `x.store`, `x.store()`: an expression naming the store."""
    if isinstance(node, ast.Call):
        node = node.func
    return (isinstance(node, ast.Name) and node.id == "store") or (
        isinstance(node, ast.Attribute) and node.attr == "store"
    )


def test_no_module_outside_tickets_touches_the_store_containers():
    package = Path(helpdesk.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.parent == package / "tickets":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Attribute):
                continue
            own = isinstance(node.value, ast.Name) and node.value.id == "self"
            if (node.attr in PRIVATE and not own) or (node.attr in CONTAINERS and _is_store(node.value)):
                found.append(f"{path.relative_to(package)}:{node.lineno} .{node.attr}")
    assert found == []


def test_the_guard_sees_an_old_name_and_a_private_one():
    tree = ast.parse("app.store.outbox.values()\nstore._meta\nself._quarantine(x)\nargs.tickets")
    hits = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in PRIVATE | set(CONTAINERS)]
    flagged = [
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and (
            (n.attr in PRIVATE and not (isinstance(n.value, ast.Name) and n.value.id == "self"))
            or (n.attr in CONTAINERS and _is_store(n.value))
        )
    ]
    assert sorted(hits) == ["_meta", "_quarantine", "outbox", "tickets"]
    assert sorted(flagged) == ["_meta", "outbox"]


def test_records_and_meta_survive_a_commit(tmp_path):
    store = Store(tmp_path)
    entry = InflightEntry("3576", 7, 42, "inbound/a.eml", T0)
    store.put_in_flight(entry)
    store.put_in_flight(InflightEntry("3571", 7, 1, "inbound/b.eml", T0, attempts=3, last_error="boom"))
    store.advance_mailbox("3576", 7, [40, 42, 41])
    store.note_not_ticketed(
        NotTicketed(entry_key("3571", 7, 2), "3571", T0, "inbound/c.eml", "r@x", "s", "<m>", "bounce")
    )
    store.update_meta("3576", OfficeMeta(ratelimit={"a@x|2026-11-02": 1}, round_robin={"umum": "rina@bps.go.id"}))
    store.update_meta("3576", OfficeMeta(failure_notice=T0, monthly_report="2026-10", last_digest=date(2026, 11, 2)))
    store.next_number("3576", 2026)
    store.commit()

    again = Store(tmp_path)
    assert again.in_flight("3576") == [entry] and again.in_flight_entry("3576", entry.key) == entry
    [other] = again.in_flight("3571")
    assert (other.attempts, other.last_error) == (3, "boom")
    state = again.mailbox_state("3576")
    assert (state.uidvalidity, state.last_uid) == (7, 42)
    assert again.mailbox_state("3571").last_uid == 0
    assert [r.sender for r in again.not_ticketed_mails("3571")] == ["r@x"] and again.not_ticketed_mails("3576") == []
    meta = again.office_meta("3576")
    assert meta.counters == {2026: 1} and meta.round_robin == {"umum": "rina@bps.go.id"}
    assert (meta.failure_notice, meta.monthly_report, meta.last_digest) == (T0, "2026-10", date(2026, 11, 2))
    assert again.rate_count("3576", "a@x|2026-11-02") == 1
    assert again.rate_count("3571", "a@x|2026-11-02") == 0  # offices share nothing


def test_quarantine_and_retry_move_one_entry(tmp_path):
    store = Store(tmp_path)
    entry = InflightEntry("3576", 7, 42, "inbound/a.eml", T0, attempts=3, last_error="boom")
    store.put_in_flight(entry)
    kept = store.set_aside(entry, "boom", "quarantine/a.eml", T0)
    assert store.in_flight() == [] and store.quarantined("3576") == [kept] and store.quarantined("3571") == []
    store.commit()
    again = Store(tmp_path)
    [back] = again.quarantined()
    assert (back.reason, back.copy, back.quarantined_at, office_of_key(back.key)) == (
        "boom",
        "quarantine/a.eml",
        T0,
        "3576",
    )
    retried = again.retry_quarantined(back)
    assert again.quarantined() == [] and again.in_flight() == [retried]
    assert (retried.attempts, retried.last_error, retried.spool) == (0, "", "inbound/a.eml")


def test_an_old_hot_file_loads(tmp_path):
    """A hot file written before the typed API: sections of meta without offices in their keys,
    records with keys this version does not know."""
    hot = tmp_path / "store" / "hot.json"
    hot.parent.mkdir(parents=True)
    entry = {"key": "3576:7:42", "office": "3576", "uidvalidity": 7, "uid": 42, "spool": "inbound/a.eml"}
    entry |= {"received_at": T0.isoformat(), "attempts": 1, "last_error": "", "unknown": 1}
    meta = {
        "counters": {"3576-2026": 12},
        "ratelimit": {"a@x|2026-11-02": 2},
        "round_robin": {"3576/umum": "rina@bps.go.id"},
        "auto_replies": {"rina@bps.go.id": "2026-11-02"},
        "failure_notices": {"3576": T0.isoformat()},
        "monthly_report": {"3576": "2026-10"},
        "last_digest": {"3576": "2026-11-01"},
    }
    doc = {
        "inflight": {"1": entry},
        "quarantine": {"1": dict(entry, reason="boom", copy="quarantine/a.eml")},
        "mailboxes": {"1": {"office": "3576", "uidvalidity": 7, "last_uid": 42}},
        "meta": {"1": meta},
    }
    hot.write_text(json.dumps(doc))
    store = Store(tmp_path)
    assert store.in_flight()[0].attempts == 1
    assert store.quarantined()[0].quarantined_at is None
    office = store.office_meta("3576")
    assert office.round_robin == {"umum": "rina@bps.go.id"} and office.last_digest == date(2026, 11, 1)
    assert office.ratelimit == {} and office.auto_replies == {}  # no office in their keys: a day's worth, dropped
    assert store.next_number("3576", 2026).endswith("-000013")


def test_rate_limit_counts_keep_each_office_two_days():
    counts = {ratelimit.per_day("a@x", date(2026, 11, d)): 1 for d in (1, 2, 3)}
    counts[ratelimit.per_hour("ack_hour", "3576", datetime(2026, 11, 3, 9))] = 4
    counts[ratelimit.once("ack_limit_told", "3576", date(2026, 11, 1))] = 1
    ratelimit.prune(counts)
    assert counts == {"a@x|2026-11-02": 1, "a@x|2026-11-03": 1, "ack_hour:3576:09|2026-11-03": 4}


def test_a_sender_is_counted_by_each_office_apart(tmp_path):
    desk = Desk(tmp_path)
    for n in range(6):  # one more than the per-day limit of acknowledgements, to one office
        desk.deliver(citizen_mail(subject=f"Data {n}"), office="3576")
    assert len([m for m in desk.take() if to_of(m) == ["warga@example.org"]]) == 5
    desk.deliver(citizen_mail(subject="Data lain", to="bps3571@bps.go.id"), office="3571")
    [ack] = [m for m in desk.take() if to_of(m) == ["warga@example.org"]]
    assert ack["From"].addresses[0].addr_spec == "bps3571@bps.go.id"
    day = desk.clock.now().astimezone(desk.app.settings.office("3576").tz).date()
    key = ratelimit.per_day("warga@example.org", day)
    assert (desk.app.store.rate_count("3576", key), desk.app.store.rate_count("3571", key)) == (5, 1)
