"""Production install: the built wheel, in a clean virtualenv, runs a mail from an empty folder.

Proves the package carries its templates and rules (package data): nothing of the repository is
on the path, the settings name only what an office must say, and the acknowledgement arrives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mailfactory import citizen_mail

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Path:
    """The wheel built once per session from a copy of the sources, installed in a fresh venv.

    The venv sees the machine's packages (--system-site-packages) so the install needs no network;
    `--no-deps --no-index` installs the wheel alone, and the venv's own copy of `helpdesk` comes
    first on its path."""
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "helpdesk", src / "helpdesk", ignore=shutil.ignore_patterns("__pycache__"))
    quiet = {"check": True, "capture_output": True, "env": {**os.environ, "PIP_NO_INDEX": "1"}}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(root / "dist"),
            str(src),
        ],
        **quiet,
    )
    wheel = next((root / "dist").glob("pst_helpdesk-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(root / "venv")], **quiet
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(root / "venv/bin/python"),
            "install",
            "-q",
            "--no-deps",
            # The machine's own (possibly editable) pst-helpdesk must not count as installed already.
            "--ignore-installed",
            str(wheel),
        ],
        **quiet,
    )
    return root / "venv"


def test_the_wheel_installed_in_a_clean_venv_runs_a_mail_from_an_empty_folder(venv, tmp_path, dovecot, smtp_sink):
    office = tmp_path / "kantor"
    office.mkdir()
    user = f"bps3576x{os.getpid()}"
    env = {
        "PATH": f"{venv}/bin:/usr/bin:/bin",
        "HELPDESK_SECRET": "rahasia-kantor-3576-xyz",
        "IMAP_PASSWORD_3576": dovecot.add_user(user),
    }
    (office / "settings.toml").write_text(f"""
[helpdesk]
secret = "env:HELPDESK_SECRET"

[smtp]
port = {smtp_sink.port}

[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"

[offices.imap]
host = "{dovecot.host}"
port = {dovecot.port}
tls = "none"
username = "{user}"
password = "env:IMAP_PASSWORD_3576"
""")

    def helpdesk(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin/helpdesk"), *args], capture_output=True, text=True, env=env, cwd=office, timeout=120
        )

    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import helpdesk; print(helpdesk.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=office,
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr  # not the repository's copy
    assert helpdesk("--version").stdout.strip() == "helpdesk (pst-helpdesk) 0.1.0"
    checked = helpdesk("check")
    assert (checked.returncode, checked.stdout) == (0, "ok: 1 offices, 0 operators\n"), checked.stderr
    dovecot.append(user, citizen_mail(subject="Permintaan data inflasi 2025"))
    ran = helpdesk("run", "--once")
    assert ran.returncode == 0, ran.stderr
    [ack] = smtp_sink.messages
    assert ack.rcpt_tos == ["warga@example.org"]
    assert str(ack.message["Subject"]).startswith("[PST-3576-")
    assert "Terima kasih" in ack.message.get_body(("plain",)).get_content()  # the packaged template
    listed = helpdesk("tickets")
    assert "PST-3576-" in listed.stdout and (office / "var" / "store").is_dir()
