"""Benchmark: the same mail taken in by django-helpdesk 2.6.1's `get_email` and by `helpdesk run --once`.

    python3 benchmarks/versus.py [--n 1000] [--runs 3] [--venv DIR]

In a temporary folder: starts Dovecot (helpdesk.demo.dovecot) and the SMTP sink (helpdesk.demo.sink)
as benchmarks/ingest.py does; creates a virtual environment and installs django-helpdesk==2.6.1
from PyPI into it (or uses --venv DIR, where it is installed already); writes a minimal Django
project (SQLite, Django's SMTP mail backend pointed at the sink, one helpdesk Queue reading its own
Dovecot mailbox over IMAP) and migrates it. Then, --runs times, each on a fresh mailbox holding the
same --n mails (ingest.py's citizen questions, one sender each):

  - django-helpdesk: `manage.py get_email` as a process, timed from its start to its exit (it sends
    the submitter's "ticket opened" mail itself, over SMTP to the sink, before it moves on);
  - PST Helpdesk: `python -m helpdesk --config settings.toml run --once` as a process, timed from
    its start to the moment the sink accepted the last acknowledgement (the process exits after).

Both are whole processes, start-up included, on the same machine, in the same minutes, taken in
turn. Prints each rate (mails per second), their medians, each run's ratio and the median of those
(the target, issue 12: 15x).
No code of django-helpdesk is kept in this repository: it is installed when this runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import Arrivals, Desk, Mails, fill, say, start_servers  # noqa: E402  (benchmarks/, beside this script)

from helpdesk.demo.dovecot import LocalDovecot  # noqa: E402
from helpdesk.demo.sink import SmtpSink  # noqa: E402

DJANGO_HELPDESK = "django-helpdesk==2.6.1"
OFFICE = "3576"


def install_django_helpdesk(venv: Path) -> Path:
    """A virtual environment with django-helpdesk 2.6.1 and what it needs, from PyPI; its python."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    found = subprocess.run([str(python), "-m", "pip", "show", "django-helpdesk"], capture_output=True, text=True)
    if "Version: 2.6.1" not in found.stdout:
        say(f"  installing {DJANGO_HELPDESK} into {venv} ...")
        subprocess.run([str(python), "-m", "pip", "install", "-q", DJANGO_HELPDESK], check=True)
    return python


SETTINGS = """\
SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
MIDDLEWARE = []
ROOT_URLCONF = "benchurls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {{"context_processors": ["django.template.context_processors.request",
                                        "django.contrib.auth.context_processors.auth"]}},
}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MEDIA_ROOT = {media!r}
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = {smtp_port}
DEFAULT_FROM_EMAIL = "bps{office}@bps.go.id"
HELPDESK_TEAMS_MODE_ENABLED = False
LOGGING = {{"version": 1, "disable_existing_loggers": False, "root": {{"level": "WARNING"}}}}
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

QUEUE = """\
import django, sys
django.setup()
from helpdesk.models import Queue
# One queue, pointed at each run's fresh mailbox (a queue's permission outlives its deletion).
Queue.objects.update_or_create(slug="pst", defaults=dict(
    title="BPS Kota Mojokerto", email_address="bps{office}@bps.go.id",
    allow_email_submission=True, email_box_type="imap", email_box_host={host!r},
    email_box_port={port}, email_box_ssl=False, email_box_user=sys.argv[1], email_box_pass=sys.argv[2],
    email_box_imap_folder="INBOX", email_box_interval=0, email_box_last_check=None,
))
"""


class DjangoHelpdesk:
    """A Django project with django-helpdesk, its database migrated, reading one Dovecot mailbox."""

    def __init__(self, root: Path, python: Path, dovecot: LocalDovecot, smtp_port: int) -> None:
        root.mkdir(parents=True)
        (root / "benchsettings.py").write_text(
            SETTINGS.format(db=str(root / "db.sqlite3"), media=str(root / "media"), smtp_port=smtp_port, office=OFFICE)
        )
        (root / "benchurls.py").write_text(URLS)
        (root / "queue_setup.py").write_text(QUEUE.format(office=OFFICE, host=dovecot.host, port=dovecot.port))
        self.root, self.python, self.dovecot = root, python, dovecot
        self.env = dict(os.environ, DJANGO_SETTINGS_MODULE="benchsettings", PYTHONPATH=str(root))
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, then cached
        self.manage("migrate", "--noinput")

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.python), "-m", "django", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"django-admin {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def new_mailbox(self, user: str) -> None:
        password = self.dovecot.add_user(user)
        subprocess.run([str(self.python), "queue_setup.py", user, password], cwd=self.root, env=self.env, check=True)

    def tickets(self) -> int:
        code = "import django; django.setup(); from helpdesk.models import Ticket; print(Ticket.objects.count())"
        done = subprocess.run(
            [str(self.python), "-c", code], cwd=self.root, env=self.env, capture_output=True, text=True, check=True
        )
        return int(done.stdout.strip())


def django_run(dj: DjangoHelpdesk, sink: SmtpSink, n: int, run: int) -> float:
    user = f"djhelpdesk{run}x{os.getpid()}"
    dj.new_mailbox(user)
    gen = Mails(run)
    fill(dj.dovecot, user, [gen.make(OFFICE)[1] for _ in range(n)])
    before_tickets, before_mail = dj.tickets(), len(sink.messages)
    t0 = time.perf_counter()
    dj.manage("get_email", "--quiet")
    elapsed = time.perf_counter() - t0
    made, sent = dj.tickets() - before_tickets, len(sink.messages) - before_mail
    if made < n:
        say(f"  WARNING: django-helpdesk made {made} tickets of {n} mails")
    say(f"  django-helpdesk get_email: {made} tickets, {sent} mails sent in {elapsed:.2f} s: {n / elapsed:.1f} mails/s")
    return n / elapsed


def pst_run(tmp: Path, dovecot: LocalDovecot, sink: SmtpSink, arrivals: Arrivals, n: int, run: int) -> float:
    desk = Desk(tmp / f"pst{run}", dovecot, sink, (OFFICE,))
    gen = Mails(run)
    made = [gen.make(OFFICE) for _ in range(n)]
    fill(dovecot, desk.users[OFFICE], [raw for _, raw in made])
    env = dict(desk.env, PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, then cached
    log_path = desk.root / "run.log"  # a file, as under cron: a pipe nobody reads would stall the run
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "helpdesk", "--config", str(desk.settings_path), "run", "--once"],
            env=env,
            cwd=desk.root,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        got, elapsed = arrivals.all_in({mid for mid, _ in made}, t0, timeout=600)
        proc.wait(timeout=300)
    if proc.returncode:
        say(f"  WARNING: run --once exited {proc.returncode}: {log_path.read_text(errors='replace')[-500:]}")
    say(f"  PST Helpdesk run --once: {got} acknowledgements in {elapsed:.2f} s: {got / elapsed:.1f} mails/s")
    return got / elapsed


def warm_up(tmp: Path, dovecot: LocalDovecot, sink: SmtpSink, arrivals: Arrivals, dj: DjangoHelpdesk) -> None:
    """One small round of each, not counted: both start with their bytecode compiled, as installed."""
    pst_run(tmp, dovecot, sink, arrivals, 5, 0)
    django_run(dj, sink, 5, 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="mails in the mailbox for each run (default 1000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each, taken in turn; medians reported")
    ap.add_argument("--venv", type=Path, help="a virtual environment to install django-helpdesk into and reuse")
    args = ap.parse_args()
    tmp, dovecot, sink, arrivals = start_servers("pst-versus-")
    try:
        say(f"benchmarks/versus.py  (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, data in {tmp})")
        python = install_django_helpdesk(args.venv or tmp / "venv")
        dj = DjangoHelpdesk(tmp / "django", python, dovecot, sink.port)
        warm_up(tmp, dovecot, sink, arrivals, dj)
        theirs, ours = [], []
        for run in range(1, args.runs + 1):
            say(f"run {run} of {args.runs}, {args.n} mails each")
            theirs.append(django_run(dj, sink, args.n, run))
            ours.append(pst_run(tmp, dovecot, sink, arrivals, args.n, run))
        a, b = statistics.median(theirs), statistics.median(ours)
        say("\nsummary")
        say(f"  django-helpdesk 2.6.1 get_email: {a:.1f} mails/s (runs {', '.join(f'{r:.1f}' for r in theirs)})")
        say(f"  PST Helpdesk run --once:         {b:.1f} mails/s (runs {', '.join(f'{r:.1f}' for r in ours)})")
        # Each run's own ratio too: the two of one run are minutes apart, the load of a shared
        # machine weighs on both; the ratio of the medians mixes runs.
        ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
        ratio = statistics.median(ratios)
        each = ", ".join(f"{r:.1f}x" for r in ratios)
        say(f"  ratio of the medians {b / a:.1f}x; each run's {each}: median {ratio:.1f}x")
        say(f"  target >= 15x (median of the runs' ratios): {'ok' if ratio >= 15 else 'MISSED'}")
    finally:
        sink.stop()
        dovecot.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
