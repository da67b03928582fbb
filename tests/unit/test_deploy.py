"""The systemd unit in deploy/ uses the paths and the user the README's production install sets up."""

from __future__ import annotations

import configparser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_unit_matches_the_documented_install():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string((REPO / "deploy" / "pst-helpdesk.service").read_text())
    service = unit["Service"]
    readme = (REPO / "README.md").read_text()
    assert service["User"] == "pst-helpdesk" and "useradd --system" in readme and "pst-helpdesk" in readme
    assert service["StateDirectory"] == "pst-helpdesk"  # systemd makes /var/lib/pst-helpdesk
    env = (REPO / "deploy" / "pst-helpdesk.service").read_text()
    for path in ("HELPDESK_CONFIG=/etc/pst-helpdesk/settings.toml", "HELPDESK_DATA_DIR=/var/lib/pst-helpdesk"):
        assert f"Environment={path}" in env
    assert service["EnvironmentFile"] == "/etc/pst-helpdesk/env"
    assert service["ExecStart"] == "/opt/pst-helpdesk/bin/helpdesk run"
    assert service["ExecStartPre"] == "/opt/pst-helpdesk/bin/helpdesk check"
    for documented in (
        "/etc/pst-helpdesk/settings.toml",
        "/etc/pst-helpdesk/env",
        "/var/lib/pst-helpdesk",
        "python3 -m venv /opt/pst-helpdesk",
        "deploy/pst-helpdesk.service",
    ):
        assert documented in readme, documented


def test_the_template_unit_runs_one_daemon_per_settings_file():
    text = (REPO / "deploy" / "pst-helpdesk@.service").read_text()
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string(text)
    service = unit["Service"]
    single = configparser.ConfigParser(strict=False, interpolation=None)
    single.optionxform = str
    single.read_string((REPO / "deploy" / "pst-helpdesk.service").read_text())
    # The instance name picks the settings, the secrets and a data folder of its own (one run lock each).
    assert "Environment=HELPDESK_CONFIG=/etc/pst-helpdesk/%i.toml" in text
    assert "Environment=HELPDESK_DATA_DIR=/var/lib/pst-helpdesk/%i" in text
    assert service["StateDirectory"] == "pst-helpdesk/%i" and service["EnvironmentFile"] == "/etc/pst-helpdesk/%i.env"
    for same in ("User", "ExecStart", "ExecStartPre", "RestartPreventExitStatus", "KillSignal"):
        assert service[same] == single["Service"][same], same
    readme = (REPO / "README.md").read_text()
    assert "deploy/pst-helpdesk@.service" in readme and "systemctl enable --now pst-helpdesk@" in readme
