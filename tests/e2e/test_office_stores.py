"""One store per office, against the real Dovecot and SMTP sink: a broken office stops alone and
its supervisors hear it once; a one-file data directory is migrated, also when killed midway."""

from __future__ import annotations

import shutil
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

WIB = timezone(timedelta(hours=7))
MON_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
OLD = Path(__file__).parents[1] / "corpus" / "store-v1"
OFFICES = ("3576", "3571")
TO_3571 = "bps3571@bps.go.id"


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink, offices=OFFICES)


def to_supervisors(hd: Helpdesk, code: str) -> list:
    return [m for m in hd.sink.messages if f"pst{code}@bps.go.id" in m.rcpt_tos]


def test_a_broken_office_stops_alone_and_its_supervisors_hear_it_once(hd):
    hd.append(citizen_mail(subject="Sebelum", to=TO_3571), office="3571", date=MON_0900)
    assert hd.cli("run", "--once").returncode == 0
    broken = hd.data_dir / "store" / "3571" / "hot.json"
    broken.write_bytes(broken.read_bytes()[:40])  # cut short, as a disk fault might leave it
    damaged = broken.read_bytes()
    uid_ok = hd.append(citizen_mail(subject="Data inflasi", sender="a@example.org"), office="3576", date=MON_0900)
    uid_stopped = hd.append(citizen_mail(subject="Data penduduk", sender="b@example.org", to=TO_3571), office="3571")

    first = hd.cli("run", "--once")

    assert first.returncode == 3, first.stderr
    assert "office 3571 stopped, its store cannot be read" in first.stderr
    # The other office went on: ticketed and acknowledged, flagged on its server.
    acks = [m for m in hd.to_citizens() if "a@example.org" in m.rcpt_tos]
    assert len(acks) == 1 and acks[0].message["Subject"].startswith("[PST-3576-2026-")
    assert b"$PSTProcessed" in hd.flags("3576")[uid_ok]
    # The broken one: its mailbox not read, its file not written over, its supervisors told.
    assert b"$PSTProcessed" not in hd.flags("3571")[uid_stopped]
    assert not [m for m in hd.to_citizens() if "b@example.org" in m.rcpt_tos]
    assert broken.read_bytes() == damaged
    [notice] = to_supervisors(hd, "3571")[-1:]
    assert "kantor 3571 berhenti" in str(notice.message["Subject"])
    status = hd.cli("status")
    assert "3571 bps3571@bps.go.id: STOPPED, its store cannot be read" in status.stdout
    check = hd.cli("check")
    assert "offices[3571]: store cannot be read" in check.stdout + check.stderr

    sent_after_first = len(hd.sink.messages)
    again = hd.cli("run", "--once")  # cron, a minute later
    assert again.returncode == 3
    assert len([m for m in to_supervisors(hd, "3571") if "berhenti" in str(m.message["Subject"])]) == 1
    assert len(hd.sink.messages) == sent_after_first  # nothing more, the notice above all


def test_a_repaired_office_takes_in_what_waited(hd):
    hd.append(citizen_mail(subject="Sebelum", to=TO_3571), office="3571", date=MON_0900)
    hd.cli("run", "--once")
    hot = hd.data_dir / "store" / "3571" / "hot.json"
    good = hot.read_bytes()
    hot.write_bytes(b"")
    uid = hd.append(citizen_mail(subject="Data penduduk", sender="b@example.org", to=TO_3571), office="3571")
    assert hd.cli("run", "--once").returncode == 3
    hot.write_bytes(good)  # restored from a backup
    assert hd.cli("run", "--once").returncode == 0
    assert [str(t.subject) for t in hd.tickets() if t.office == "3571"] == ["Sebelum", "Data penduduk"]
    assert b"$PSTProcessed" in hd.flags("3571")[uid]
    assert len([m for m in hd.to_citizens() if "b@example.org" in m.rcpt_tos]) == 1


def install_old_store(hd: Helpdesk) -> None:
    """The one-file data directory written by the store before one store per office."""
    shutil.copytree(OLD / "store", hd.data_dir / "store")
    shutil.copytree(OLD / "spool", hd.data_dir / "spool")


def assert_migrated(hd: Helpdesk) -> None:
    store = hd.store()
    numbers = sorted(t.number for t in hd.tickets())
    # The two open tickets, the archived one, and the mail that was in flight, now a ticket.
    assert numbers == [
        "PST-3571-2026-000001",
        "PST-3576-2026-000001",
        "PST-3576-2026-000002",
        "PST-3576-2026-000003",
    ]
    assert store.ticket("PST-3576-2026-000003").requester == "dua@example.org"
    assert store.in_flight() == [] and [e.key for e in store.quarantined()] == ["3571:1:2"]
    # The acknowledgement that waited in the old outbox went once, the new ticket's once.
    to = sorted(r for m in hd.to_citizens() for r in m.rcpt_tos)
    assert to == ["dua@example.org", "warga@example.org"]
    shown = hd.cli("show", "PST-3576-2026-000002")
    assert "Data PDRB 2024" in shown.stdout
    aside = list((hd.data_dir / "store").glob("migrated-*"))
    assert len(aside) == 1 and (aside[0] / "hot.json").read_bytes() == (OLD / "store" / "hot.json").read_bytes()
    assert not (hd.data_dir / "store" / "hot.json").exists()


def test_a_one_file_data_directory_is_migrated_at_the_first_start(hd):
    install_old_store(hd)
    result = hd.cli("run", "--once")
    assert result.returncode == 0, result.stderr
    assert "store migrated to one store per office" in result.stderr
    assert_migrated(hd)


@pytest.mark.parametrize("point", ["migration_staged", "migration_moving", "migration_aside"])
def test_a_migration_killed_at_any_step_is_finished_by_the_next_start(hd, point):
    install_old_store(hd)
    killed = hd.cli("run", "--once", env={"HELPDESK_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL
    assert hd.sink.messages == []
    hd.cli("run", "--once")
    assert_migrated(hd)
