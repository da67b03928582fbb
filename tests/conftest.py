"""Shared fixtures: a real Dovecot and a real SMTP server (aiosmtpd) on 127.0.0.1, started here.

Dovecot is started once per test session (each test gets fresh users, so mailboxes never mix);
the SMTP sink is emptied before each test. A test that needs them and finds Dovecot missing fails:
scripts/test.sh installs it, and a skipped end-to-end test must never pass for a proven feature.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from helpdesk.demo.dovecot import LocalDovecot
from helpdesk.demo.sink import SmtpSink
from tests.proxy import CuttingProxy


@pytest.fixture(scope="session")
def dovecot():
    # Not under pytest's tmp_path: its parents are private to root, and Dovecot's mail processes
    # run as the unprivileged `dovecot` user, which must reach the mail folders.
    root = Path(tempfile.mkdtemp(prefix="pst-dovecot-"))
    server = LocalDovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _smtp_server():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(_smtp_server):
    _smtp_server.clear()
    yield _smtp_server
    _smtp_server.clear()


@pytest.fixture
def cut_proxy():
    """Makes TCP proxies that can cut a connection in the middle of a server's response."""
    proxies: list[CuttingProxy] = []

    def make(host: str, port: int) -> CuttingProxy:
        proxies.append(CuttingProxy(host, port).start())
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.stop()
