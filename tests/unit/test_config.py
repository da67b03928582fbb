"""Settings: env: values, defaults, and every problem reported with its file and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk import config
from helpdesk.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SEED_ENV = {
    "HELPDESK_SECRET": "s" * 32,
    **{f"IMAP_PASSWORD_{c}": "pw" for c in ("3576", "3571", "3514", "8200", "7604")},
}

MINIMAL = """
[helpdesk]
secret = "env:HELPDESK_SECRET"
[smtp]
port = 8025
[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"
[offices.imap]
host = "127.0.0.1"
password = "env:IMAP_PASSWORD_3576"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def test_the_repository_settings_load_for_the_five_seed_offices():
    settings = config.load(REPO / "settings.toml", env=SEED_ENV)
    assert [o.code for o in settings.offices] == ["3576", "3571", "3514", "8200", "7604"]
    assert {o.code: o.timezone for o in settings.offices}["8200"] == "Asia/Jayapura"
    assert {o.code: o.reply_days for o in settings.offices} == {"3576": 2, "3571": 2, "3514": 2, "8200": 3, "7604": 3}


def test_secrets_come_from_the_environment(tmp_path):
    settings = config.load(write(tmp_path, MINIMAL), env={"HELPDESK_SECRET": "x" * 20, "IMAP_PASSWORD_3576": "rahasia"})
    assert settings.secret == "x" * 20
    assert settings.offices[0].imap.password == "rahasia"
    assert "rahasia" not in repr(settings)


def test_defaults_are_the_documented_ones(tmp_path):
    settings = config.load(write(tmp_path, MINIMAL), env={"HELPDESK_SECRET": "x" * 20, "IMAP_PASSWORD_3576": "p"})
    office = settings.offices[0]
    assert (office.timezone, office.reply_days, office.imap.port, office.imap.tls) == ("Asia/Jakarta", 2, 993, "ssl")
    assert settings.data_dir == tmp_path / "var"
    assert (settings.smtp.sessions, settings.smtp.process) == (8, True)


def test_smtp_sessions_must_be_at_least_one(tmp_path):
    path = write(tmp_path, MINIMAL.replace("port = 8025", "port = 8025\nsessions = 0"))
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={"HELPDESK_SECRET": "x" * 20, "IMAP_PASSWORD_3576": "p"})
    assert f"{path}: smtp.sessions: must be at least 1" in caught.value.problems


def test_every_problem_is_reported_with_file_and_key(tmp_path):
    bad = (
        MINIMAL.replace('address = "bps3576@bps.go.id"', 'address = "not-an-address"')
        .replace("port = 8025", 'port = "many"')
        .replace("[offices.imap]", 'timezone = "Mars/Olympus"\n[offices.imap]')
    )
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={})
    problems = caught.value.problems
    assert f"{path}: helpdesk.secret: environment variable HELPDESK_SECRET is not set" in problems
    assert f"{path}: smtp.port: expected int, got 'many'" in problems
    assert any(p.startswith(f"{path}: offices[0].address: not an email address") for p in problems)
    assert any(p.startswith(f"{path}: offices[0].timezone: unknown time zone") for p in problems)
    assert f"{path}: offices[0].imap.password: environment variable IMAP_PASSWORD_3576 is not set" in problems


def test_check_command_lists_problems_and_fails(tmp_path):
    path = write(tmp_path, MINIMAL)
    result = subprocess.run(
        [sys.executable, "-m", "helpdesk", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 2
    assert "HELPDESK_SECRET is not set" in result.stdout


def test_check_command_passes_on_the_repository_settings():
    result = subprocess.run(
        [sys.executable, "-m", "helpdesk", "--config", str(REPO / "settings.toml"), "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **SEED_ENV},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 5 offices")


def test_commands_that_never_log_in_need_no_mailbox_passwords(tmp_path, capsys):
    """The repo's settings with only some offices' secrets set: reports and listings still work."""
    path = tmp_path / "settings.toml"
    path.write_text(MINIMAL + MINIMAL.split("[[offices]]")[1].replace("3576", "3571").join(["[[offices]]", ""]))
    env = {"HELPDESK_SECRET": "s" * 32, "IMAP_PASSWORD_3576": "pw"}
    with pytest.raises(ConfigError) as exc:
        config.load(path, env=env)
    assert exc.value.problems == [
        f"{path}: offices[1].imap.password: environment variable IMAP_PASSWORD_3571 is not set"
    ]
    settings = config.load(path, env=env, need_passwords=False)
    assert [o.imap.password for o in settings.offices] == ["pw", ""]
    with pytest.raises(ConfigError):  # the secret is still required
        config.load(path, env={"IMAP_PASSWORD_3576": "pw"}, need_passwords=False)


def test_cli_reads_need_no_passwords_but_run_and_check_do(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(MINIMAL)
    env = {"HELPDESK_SECRET": "s" * 32, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "helpdesk", "--config", str(path), *a],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    assert run("tickets").returncode == 0
    assert run("calendar", "3576", "--year", "2026").returncode == 0
    checked = run("check")
    assert checked.returncode == 2 and "IMAP_PASSWORD_3576 is not set" in checked.stdout


def test_the_environments_data_dir_wins_over_the_files(tmp_path):
    """The systemd unit sets HELPDESK_DATA_DIR=/var/lib/pst-helpdesk beside a settings file that may name one."""
    path = write(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\ndata_dir = "data"'))
    env = {"HELPDESK_SECRET": "x" * 20, "IMAP_PASSWORD_3576": "p"}
    assert config.load(path, env=env).data_dir == tmp_path / "data"
    assert config.load(path, env={**env, "HELPDESK_DATA_DIR": "/var/lib/pst-helpdesk"}).data_dir == Path(
        "/var/lib/pst-helpdesk"
    )
