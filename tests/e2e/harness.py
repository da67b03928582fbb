"""A helpdesk wired to the test Dovecot and SMTP sink: settings in a temp dir, run once or as a daemon."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from helpdesk import config
from helpdesk.app import App
from helpdesk.clock import FixedClock, SystemClock
from helpdesk.daemon import Daemon
from helpdesk.demo.installation import install
from helpdesk.tickets.store import Store


class Helpdesk:
    """One helpdesk installation under test: its settings file, data dir and mailboxes."""

    def __init__(
        self,
        root: Path,
        dovecot,
        smtp_sink,
        offices=("3576",),
        imap_port: int | None = None,
        extra_settings: str = "",
        operators: str = "",
    ) -> None:
        self.root, self.dovecot, self.sink = root, dovecot, smtp_sink
        made = install(
            root,
            dovecot,
            smtp_sink.port,
            tuple(offices),
            imap_port=imap_port,
            poll_seconds=0.5,
            timeout=10,
            extra_settings=extra_settings,
            operators=operators,
        )
        self.settings_path, self.env, self.users = made.settings_path, made.env, made.users
        self.data_dir = made.data_dir

    def settings(self) -> config.Settings:
        return config.load(self.settings_path, env=self.env)

    def append(self, raw: bytes, office: str = "3576", date: datetime | None = None) -> int:
        return self.dovecot.append(self.users[office], raw, date=date)

    def flags(self, office: str = "3576") -> dict:
        return self.dovecot.fetch_flags(self.users[office])

    def run_once(self, now: datetime | None = None) -> None:
        clock = FixedClock(now) if now else SystemClock()
        asyncio.run(Daemon(App.build(self.settings(), clock)).run_once())

    def store(self) -> Store:
        return Store(self.data_dir)

    def tickets(self):
        return sorted(self.store().all_tickets(), key=lambda t: t.number)

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60):
        return subprocess.run(
            [sys.executable, "-m", "helpdesk", "--config", str(self.settings_path), *args],
            capture_output=True,
            text=True,
            env=dict(self.env, **(env or {})),
            timeout=timeout,
            cwd=self.root,
        )

    def spawn(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "helpdesk", "--config", str(self.settings_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(self.env, **(env or {})),
            cwd=self.root,
        )

    def sent(self, purpose_subject: str = "") -> list:
        return [m for m in self.sink.messages if purpose_subject in str(m.message["Subject"])]

    def staff(self) -> set[str]:
        settings = self.settings()
        return {s for o in settings.offices for s in o.supervisors} | {o.address for o in settings.operators}

    def to_citizens(self, count: int = 0, timeout: float = 10.0) -> list:
        """Mail the SMTP server accepted for citizens (not for supervisors or operators)."""
        staff = self.staff()

        def citizens() -> list:
            return [m for m in self.sink.messages if not set(m.rcpt_tos) & staff]

        with self.sink.handler.changed:
            self.sink.handler.changed.wait_for(lambda: len(citizens()) >= count, timeout)
            return citizens()

    def to_staff(self, address: str | None = None) -> list:
        staff = {address} if address else self.staff()
        return [m for m in self.sink.messages if set(m.rcpt_tos) & staff]
