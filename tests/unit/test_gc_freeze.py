"""The daemon's warm-up freezes what the start made, once per process (daemon.freeze_start).

Run in a fresh interpreter: a freeze in the test process itself would outlive the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.test_startup import settings_file

REPO = Path(__file__).resolve().parents[2]


def frozen_counts(tmp_path: Path) -> list[int]:
    """gc.get_freeze_count() before the warm-up, after it, and after a second warm-up with more
    objects made in between."""
    (tmp_path / "var").mkdir()
    code = (
        "import gc, json\nfrom helpdesk.app import App\nfrom helpdesk.clock import SystemClock\n"
        "from helpdesk import config\nfrom helpdesk.daemon import warm_up\n"
        f"app = App.build(config.load({str(settings_file(tmp_path))!r}, need_passwords=False), SystemClock())\n"
        "counts = [gc.get_freeze_count()]\nwarm_up(app).join()\ncounts.append(gc.get_freeze_count())\n"
        "later = [[i] for i in range(10_000)]\nwarm_up(app).join()\ncounts.append(gc.get_freeze_count())\n"
        "print(json.dumps(counts))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_warm_up_freezes_the_start_once_and_leaves_later_objects_collectable(tmp_path):
    before, after_first, after_second = frozen_counts(tmp_path)
    assert before == 0
    assert after_first > 10_000  # the modules, the settings and the store the start made
    assert after_second == after_first  # the 10,000 lists made later were not frozen
