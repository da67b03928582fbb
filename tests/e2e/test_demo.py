"""The demo shows the whole loop on free ports, and KEEP_DEMO=1 says how to look around."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def demo(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpdesk.demo"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )


def test_the_demo_shows_each_step_of_the_loop_and_keeps_its_folder_on_request():
    out = demo(KEEP_DEMO="1")
    assert out.returncode == 0, out.stdout + out.stderr
    steps = re.findall(r"^(\d)\. (.*)$", out.stdout, re.M)
    assert [n for n, _ in steps] == ["1", "2", "3", "4", "5", "6"]
    assert "receives the acknowledgement" in steps[1][1] and "(operator) is notified" in steps[2][1]
    assert "#tutup" in steps[3][1] and "receives the answer" in steps[4][1] and "rating" in steps[5][1]
    assert "2 acknowledgements (none for the auto-reply)" in out.stdout
    folder = Path(re.search(r"^The demo folder is kept: (\S+)$", out.stdout, re.M)[1])
    try:
        exports = re.search(
            r"^  export (HELPDESK_CONFIG=\S+) (HELPDESK_SECRET=\S+) (PYTHONPATH=\S+)$", out.stdout, re.M
        )
        env = dict(item.split("=", 1) for item in exports.groups())
        number = re.search(r"PST-3576-\d{4}-000001", out.stdout)[0]
        looked = subprocess.run(
            [sys.executable, "-m", "helpdesk", "show", number.lower()],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", **env},
            cwd="/",
        )
        assert looked.returncode == 0 and "[closed]" in looked.stdout, looked.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_busy_port_is_one_line_and_a_non_zero_exit():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = demo(DEMO_IMAP_PORT=str(port))
    assert out.returncode == 2
    assert out.stderr == (
        f"demo: port {port} (DEMO_IMAP_PORT) is in use; choose another or leave DEMO_IMAP_PORT unset for a free one\n"
    )
