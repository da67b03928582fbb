"""`helpdesk calendar` and `helpdesk deadline` on a small settings file."""

from __future__ import annotations

import json

import pytest

from helpdesk import cli

SETTINGS = '''
[helpdesk]
data_dir = "var"
secret = "0123456789abcdef0123"
[[offices]]
code = "8200"
name = "BPS Provinsi Maluku Utara"
address = "bps8200@bps.go.id"
timezone = "Asia/Jayapura"
reply_days = 3
holidays_add = ["2026-11-23"]
'''


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS)
    return str(path)


def test_deadline_prints_iso_with_the_office_offset_first(settings, capsys):
    assert cli.main(["--config", settings, "deadline", "8200", "--received", "2026-12-23T01:00:00Z"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2026-12-30T10:00:00+09:00"]


def test_deadline_json_explains(settings, capsys):
    assert cli.main(["--config", settings, "deadline", "8200", "--received", "2026-12-23T18:00:00+09:00",
                     "--days", "1", "--json"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    info = json.loads(second)
    assert first == info["deadline"] == "2026-12-29T08:00:00+09:00"   # Nth day after the start
    assert info["clock_start"] == "2026-12-28T08:00:00+09:00"
    assert info["days"] == 1
    assert [s["date"] for s in info["skipped"]] == ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"]


def test_deadline_days_must_be_positive(settings, capsys):
    assert cli.main(["--config", settings, "deadline", "8200", "--received", "2026-12-23T10:00:00+09:00",
                     "--days", "0"]) == 2


def test_calendar_lists_closed_days_with_names_and_settings_additions(settings, capsys):
    assert cli.main(["--config", settings, "calendar", "8200", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026-12-24  Kamis   Cuti Bersama Hari Raya Natal" in out
    assert "2026-11-23  Senin   Libur tambahan (pengaturan kantor)" in out
    assert "2026-11-28" not in out
