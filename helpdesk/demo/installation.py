"""A throwaway helpdesk installation on a LocalDovecot and an SmtpSink: settings file, env, mailboxes.

The end-to-end tests and the ingest benchmark both need one; the demo uses the repository's own
settings.toml instead. Each installation gets fresh Dovecot users, so mailboxes never mix.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .dovecot import LocalDovecot

REPO = Path(__file__).resolve().parents[2]
# The five seed offices of DESIGN.md: name, time zone, working days to answer.
SEED_OFFICES = {
    "3576": ("BPS Kota Mojokerto", "Asia/Jakarta", 2),
    "3571": ("BPS Kota Kediri", "Asia/Jakarta", 2),
    "3514": ("BPS Kabupaten Pasuruan", "Asia/Jakarta", 2),
    "8200": ("BPS Provinsi Maluku Utara", "Asia/Jayapura", 3),
    "7604": ("BPS Kabupaten Mamuju", "Asia/Makassar", 3),
}


@dataclass
class Installation:
    root: Path
    settings_path: Path
    env: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)  # office code -> Dovecot user

    @property
    def data_dir(self) -> Path:
        return self.root / "var"


def seed_rules(root: Path, offices: tuple[str, ...]) -> Path:
    """The repository's rules for these offices (and the shared ones) copied to root/rules.

    `helpdesk check` refuses a rules file for an office that is not configured (a mistyped code
    would silently never route), so an installation of some seed offices takes only their files."""
    folder = root / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "rules").glob("*.toml")):
        if tomllib.loads(path.read_text(encoding="utf-8")).get("office", "") in ("", *offices):
            shutil.copyfile(path, folder / path.name)
    return folder


def install(
    root: Path,
    dovecot: LocalDovecot,
    smtp_port: int,
    offices: tuple[str, ...] = ("3576",),
    *,
    imap_port: int | None = None,
    poll_seconds: float = 60.0,
    timeout: float = 30.0,
    user_prefix: str = "bps",
    extra_settings: str = "",
    operators: str = "",
) -> Installation:
    """Write settings for `offices` under `root`; secrets go into the returned env, never the file."""
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HELPDESK_SECRET="test-secret-" + secrets.token_hex(8), PYTHONPATH=str(REPO))
    users: dict[str, str] = {}
    blocks = []
    for code in offices:
        user = f"{user_prefix}{code}x{secrets.token_hex(4)}"
        users[code] = user
        env[f"IMAP_PASSWORD_{code}"] = dovecot.add_user(user)
        # Any other code is a generic Javanese office (the scale benchmark configures hundreds).
        name, tz, days = SEED_OFFICES.get(code, (f"BPS {code}", "Asia/Jakarta", 2))
        blocks.append(f'''
[[offices]]
code = "{code}"
name = "{name}"
address = "bps{code}@bps.go.id"
timezone = "{tz}"
reply_days = {days}
supervisors = ["pst{code}@bps.go.id"]
complaints = "https://www.lapor.go.id"
[offices.imap]
host = "{dovecot.host}"
port = {imap_port or dovecot.port}
tls = "none"
username = "{user}"
password = "env:IMAP_PASSWORD_{code}"
poll_seconds = {poll_seconds}
timeout = {timeout}
''')
    settings_path = root / "settings.toml"
    settings_path.write_text(
        f'''
[helpdesk]
data_dir = "var"
secret = "env:HELPDESK_SECRET"
rules_dir = "{seed_rules(root, offices)}"
{extra_settings}
[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout = {timeout}
backoff_seconds = 60
'''
        + "".join(blocks)
        + operators
    )
    return Installation(root, settings_path, env, users)


def stop_daemon(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop a `helpdesk run` started as a subprocess as systemd would: SIGTERM (it finishes the mail
    in hand and drains the outbox), then SIGKILL if it has not exited within `timeout`."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
