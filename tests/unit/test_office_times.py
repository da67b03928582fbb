"""Times a person reads are in the office's zone: a mail received on 1 December WIB (30 November in
UTC, as the IMAP server stamps it) never reads as 30 November."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from helpdesk import cli
from tests.deskharness import Desk
from tests.mailfactory import citizen_mail

UTC_LATE = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # Tuesday 1 December, 01:30 WIB


def desk(tmp_path) -> Desk:
    d = Desk(tmp_path, now=UTC_LATE)
    d.deliver(citizen_mail(), after=timedelta(0))
    d.app.store.commit()
    return d


def helpdesk(tmp_path, capsys, *args: str) -> str:
    assert cli.main(["--config", str(tmp_path / "settings.toml"), *args]) == 0
    return capsys.readouterr().out


def test_export_csv_and_jsonl_write_the_office_zone(tmp_path, capsys):
    desk(tmp_path)
    [row] = csv.DictReader(io.StringIO(helpdesk(tmp_path, capsys, "export", "--format", "csv")))
    assert row["received_at"] == "2026-12-01T01:30:00+07:00"
    events = list(csv.DictReader(io.StringIO(helpdesk(tmp_path, capsys, "export", "--events"))))
    assert events and {e["at"][-6:] for e in events} == {"+07:00"}
    [line] = helpdesk(tmp_path, capsys, "export", "--format", "jsonl").splitlines()
    ticket = json.loads(line)
    assert ticket["received_at"] == "2026-12-01T01:30:00+07:00"
    assert {e["at"][-6:] for e in ticket["events"]} == {"+07:00"}


def test_show_writes_the_office_zone(tmp_path, capsys):
    desk(tmp_path)
    out = helpdesk(tmp_path, capsys, "show", "PST-3576-2026-000001")
    assert "received: 2026-12-01T01:30:00+07:00" in out and "+00:00" not in out


def test_the_reports_computed_line_is_in_the_office_zone(tmp_path, capsys):
    desk(tmp_path)
    out = helpdesk(
        tmp_path, capsys, "report", "--office", "3576", "--month", "2026-12", "--now", "2026-12-31T17:30:00+00:00"
    )
    assert "Dihitung 2027-01-01T00:30+07:00." in out
