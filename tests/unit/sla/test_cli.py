"""`helpdesk calendar` and `helpdesk deadline` on a small settings file."""

from __future__ import annotations

import json

import pytest

from helpdesk import cli

SETTINGS = """
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
"""


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS)
    return str(path)


def test_deadline_prints_iso_with_the_office_offset_first(settings, capsys):
    assert cli.main(["--config", settings, "deadline", "8200", "--received", "2026-12-23T01:00:00Z"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2026-12-30T10:00:00+09:00"]


def test_deadline_json_explains(settings, capsys):
    assert (
        cli.main(
            [
                "--config",
                settings,
                "deadline",
                "8200",
                "--received",
                "2026-12-23T18:00:00+09:00",
                "--days",
                "1",
                "--json",
            ]
        )
        == 0
    )
    first, second = capsys.readouterr().out.splitlines()
    info = json.loads(second)
    assert first == info["deadline"] == "2026-12-29T08:00:00+09:00"  # Nth day after the start
    assert info["clock_start"] == "2026-12-28T08:00:00+09:00"
    assert info["days"] == 1
    assert [s["date"] for s in info["skipped"]] == ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"]


def test_deadline_days_must_be_positive(settings, capsys):
    assert (
        cli.main(["--config", settings, "deadline", "8200", "--received", "2026-12-23T10:00:00+09:00", "--days", "0"])
        == 2
    )


def test_calendar_lists_closed_days_with_names_and_settings_additions(settings, capsys):
    assert cli.main(["--config", settings, "calendar", "8200", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026-12-24  Kamis   Cuti Bersama Hari Raya Natal" in out
    assert "2026-11-23  Senin   Libur tambahan (pengaturan kantor)" in out
    assert "2026-11-28" not in out


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["deadline", "8200", "--received", "2026-13-01"], "'2026-13-01' is not a date and time"),
        (["run", "--once", "--now", "besok"], "'besok' is not a date and time"),
        (["export", "--since", "yesterday"], "'yesterday': expected YYYY-MM-DD"),
        (["report", "--office", "8200", "--now", "nanti"], "'nanti' is not a date and time"),
    ],
)
def test_a_bad_date_is_named_in_the_error_not_a_function(settings, capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--config", settings, *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "fromisoformat" not in err and "_parse_now" not in err


def test_output_cut_short_by_a_pipe_is_no_traceback(settings):
    """`helpdesk calendar 8200 | head -1`: the reader closing the pipe early is not a crash."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(cli.__file__).resolve().parents[1]))
    with subprocess.Popen(
        [sys.executable, "-m", "helpdesk", "--config", settings, "calendar", "8200", "--year", "2026"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        bufsize=0,
    ) as proc:
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_tickets_for_an_unknown_office_says_so(settings, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--config", settings, "tickets", "--office", "9999"])
    assert "no office '9999'" in str(exit_.value.code)
    assert cli.main(["--config", settings, "tickets", "--office", "8200"]) == 0


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["deadline", "8200", "--received", "9999-12-31T10:00:00+09:00"], "year must be 1950-2999"),
        (
            ["deadline", "8200", "--received", "2026-12-23T10:00:00+09:00", "--days", "1000000"],
            "at most 366 working days",
        ),
        (["calendar", "8200", "--year", "0"], "'0': year must be 1950-2999"),
        (["calendar", "8200", "--year", "99999"], "year must be 1950-2999"),
        (["report", "--office", "8200", "--month", "9999-12"], "expected YYYY-MM"),
    ],
)
def test_dates_out_of_range_are_refused_not_a_traceback(settings, capsys, argv, expected):
    """Year 0 listed the current year; 9999-12-31 and month 9999-12 ended in OverflowError."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--config", settings, *argv])
    assert exit_.value.code == 2
    assert expected in capsys.readouterr().err
