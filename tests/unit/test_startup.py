"""Start-up stays cheap (issue 12 item 5): what each entry point imports, checked in a fresh interpreter.

Timing is benchmarks/startup.py's job; these tests guard the property that keeps it low without
timing anything: the heavy libraries load only when the work that needs them comes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Loaded only by search, a mail that needs them, or the first rendered mail.
SEARCH = ("numpy", "helpdesk.insight.textindex", "helpdesk.insight.consultations")
MAIL_READING = ("lxml", "flufl.bounce")
DAEMON_ONLY = ("asyncio", "jinja2", "imapclient", "aiosmtplib", "apscheduler", "holidays", "helpdesk.pipeline")


def loaded_after(code: str, watched: tuple[str, ...]) -> list[str]:
    """The modules of `watched` present in sys.modules after running `code` in a new interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {list(watched)!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_command_line_and_its_parser_load_neither_search_nor_the_mail_stack():
    code = "from helpdesk.cli import build_parser\nbuild_parser()"
    assert loaded_after(code, SEARCH + MAIL_READING + DAEMON_ONLY) == []


def test_help_loads_neither_the_settings_nor_the_store():
    # `helpdesk --help` or a mistyped command: argparse exits before any settings are read.
    code = "from helpdesk.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    watched = ("helpdesk.config", "helpdesk.app", "helpdesk.model", "helpdesk.tickets.store", "tinydb", "tomllib")
    assert loaded_after(code, watched) == []


def test_the_daemon_loads_neither_search_nor_html_and_bounce_readers_at_import():
    assert loaded_after("import helpdesk.daemon", SEARCH + MAIL_READING) == []


# What the daemon's first mail needs and its start does not: its warm-up thread loads them.
FIRST_MAIL = (
    "jinja2",
    "aiosmtplib",
    "holidays",
    "helpdesk.pipeline",
    "helpdesk.inbound.parse",
    "helpdesk.inbound.classify",
    "helpdesk.outbound.notices",
    "helpdesk.tickets.migrate",
)


def test_the_daemon_leaves_the_first_mails_modules_to_its_warm_up():
    assert loaded_after("import helpdesk.daemon", FIRST_MAIL) == []


def test_the_warm_up_loads_what_the_first_mail_needs(tmp_path):
    (tmp_path / "var").mkdir()
    code = (
        "from helpdesk.app import App\nfrom helpdesk.clock import SystemClock\nfrom helpdesk import config\n"
        "from helpdesk.daemon import warm_up\n"
        f"app = App.build(config.load({str(settings_file(tmp_path))!r}, need_passwords=False), SystemClock())\n"
        "warm_up(app).join()"
    )
    wanted = ("jinja2", "holidays", "helpdesk.pipeline", "helpdesk.inbound.parse", "helpdesk.inbound.classify")
    assert loaded_after(code, wanted + ("numpy",)) == sorted(wanted)  # numpy: only for a big search
    assert (tmp_path / "var" / "cache").is_dir()  # the year's holidays kept for the next start


def test_the_pipeline_leaves_the_operators_toolbox_to_the_first_operator_reply():
    # Most mail is citizens'; the relay and the desk's commands load when an operator answers (the
    # operator-reply tests of tests/e2e run them through the pipeline).
    assert loaded_after("import helpdesk.pipeline", ("helpdesk.relay.relay", "helpdesk.desk.commands")) == []


SMALL_INDEX = (
    "from helpdesk.insight.textindex import BM25Index\n"
    "docs = [['inflasi', 'kota', 'data', str(i)] for i in range({n})]\n"
    "index = BM25Index.build(docs)\n"
    "assert index.search(['inflasi', 'data', '7'], 3)[0][0] == 7\n"
    "assert index.only(bytes(i % 2 for i in range({n}))).search(['inflasi', '7'], 2, min_coverage=0.5)[0][0] == 7\n"
)


def test_searching_a_few_hundred_answers_does_not_load_numpy():
    assert loaded_after(SMALL_INDEX.format(n=300), ("numpy",)) == []


def test_the_daemon_scores_the_same_search_with_numpy_once_it_is_worth_it():
    # The guard above could pass with numpy gone for good: in the daemon, which searches for every
    # mail (its warm-up says so), the same searches walk enough postings to be faster with numpy.
    code = "from helpdesk.insight import textindex\ntextindex.searches_often()\n" + SMALL_INDEX.format(n=300)
    assert loaded_after(code, ("numpy",)) == ["numpy"]


def test_the_search_command_of_a_small_installation_does_not_load_numpy(tmp_path):
    (tmp_path / "var").mkdir()
    code = (
        "from helpdesk.cli import main\n"
        f"assert main(['--config', {str(settings_file(tmp_path))!r}, 'search', 'inflasi', '--office', '3576']) == 0"
    )
    assert loaded_after(code, ("numpy",)) == []


def test_a_store_reading_command_builds_its_app_without_jinja2(tmp_path):
    # status, tickets, show, export build an App only to read the store: templates come at first use.
    code = (
        "from helpdesk.app import App\nfrom helpdesk.clock import SystemClock\nfrom helpdesk import config\n"
        f"app = App.build(config.load({str(settings_file(tmp_path))!r}, need_passwords=False), SystemClock())\n"
        "app.store.open_tickets()"
    )
    assert loaded_after(code, ("jinja2", *SEARCH, *MAIL_READING)) == []


def test_the_templates_still_come_when_first_used(tmp_path):
    code = (
        "from helpdesk.app import App\nfrom helpdesk.clock import SystemClock\nfrom helpdesk import config\n"
        f"app = App.build(config.load({str(settings_file(tmp_path))!r}, need_passwords=False), SystemClock())\n"
        "assert app.templates is app.templates"
    )
    assert loaded_after(code, ("jinja2",)) == ["jinja2"]


def test_a_deadline_with_the_years_holidays_kept_on_disk_does_not_import_the_holidays_package(tmp_path):
    from helpdesk import config
    from helpdesk.sla.holidaycache import national_holidays

    path = settings_file(tmp_path)
    (tmp_path / "var").mkdir()  # the data folder of an installation that has run
    # Kept as by the daemon's warm-up, or an earlier command:
    national_holidays(2026, config.load(path, need_passwords=False).cache_dir)
    for command in (
        "['calendar', '3576', '--year', '2026']",
        "['deadline', '3576', '--received', '2026-12-23T10:00+07:00']",
    ):
        code = f"from helpdesk.cli import main\nassert main(['--config', {str(path)!r}] + {command}) == 0"
        assert loaded_after(code, ("holidays",)) == [], command


def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        f'[helpdesk]\ndata_dir = "{tmp_path / "var"}"\nsecret = "not-a-secret-but-long-enough"\n'
        '[smtp]\nhost = "127.0.0.1"\n'
        '[[offices]]\ncode = "3576"\nname = "BPS Kota Mojokerto"\naddress = "bps3576@bps.go.id"\n'
        'timezone = "Asia/Jakarta"\n'
    )
    return path
