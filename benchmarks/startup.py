"""Benchmark: how long each `helpdesk` command takes as a whole process, beside the interpreter's floor.

    python3 benchmarks/startup.py [--n 15] [--only status,check] [--cold]

Writes a small installation in a temporary folder (settings for two seed offices, the repository's
rules, an empty data folder as systemd's StateDirectory makes it: no server is started or reached),
then runs every command of the CLI as `python -m helpdesk ...` subprocesses: `<command> --help`
for each, and the cheap real invocations (`status`, `tickets`, `check`, `calendar`...) on that
installation. `python3 -c pass`
is timed the same way first: it is what the interpreter costs on this machine before the helpdesk
imports anything. Each line is run --n times in turn with the others (a drift of the machine weighs
on all alike) and reported as best and median wall time; the target is 0.25 s per command.
`import helpdesk.daemon` is timed too: the daemon's start-up before it reaches the mailboxes.

The processes run with compiled bytecode, as an installed package has it (pip compiles at install):
PYTHONDONTWRITEBYTECODE is dropped and PYTHONPYCACHEPREFIX points into the temporary folder, and a
first round, not counted, writes the .pyc files. Without them every start compiles the helpdesk's
hundred modules again, which doubles the daemon's import time. That round also leaves what the
commands keep in `<data_dir>/cache/` (the year's national holidays, the compiled templates), as
the daemon's first start or the first `check` does on a real installation; `--cold` empties that
folder before every run instead, to time a first start after an upgrade.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from helpdesk.demo.installation import install  # noqa: E402

TARGET = 0.25


class NoServer:
    """Stands in for LocalDovecot in install(): settings name a mailbox no command here logs in to."""

    host, port = "127.0.0.1", 9

    def add_user(self, user: str) -> str:
        return "not-used-" + user


def invocations(mail: Path) -> list[tuple[str, list[str]]]:
    """(label, arguments after `python -m helpdesk --config FILE`) for every line of the table."""
    real = [
        ("settings", ["settings"]),
        ("check", ["check"]),
        ("status", ["status"]),
        ("tickets", ["tickets"]),
        ("tickets --all --json", ["tickets", "--all", "--json"]),
        ("show PST-3576-2026-000001", ["show", "PST-3576-2026-000001"]),
        ("calendar 3576", ["calendar", "3576", "--year", "2026"]),
        ("deadline 3576", ["deadline", "3576", "--received", "2026-12-23T10:00:00+07:00"]),
        ("route --explain", ["route", "--explain", str(mail), "--office", "3576"]),
        ("quarantine list", ["quarantine", "list"]),
        ("mails --not-ticketed", ["mails", "--not-ticketed"]),
        ("report", ["report", "--office", "3576", "--month", "2026-11"]),
        ("export", ["export", "--format", "csv"]),
        ("search", ["search", "inflasi", "--office", "3576"]),
    ]
    commands = [
        "run",
        "check",
        "settings",
        "tickets",
        "show",
        "status",
        "route",
        "calendar",
        "deadline",
        "quarantine",
        "report",
        "search",
        "export",
        "mails",
        "ticket-from",
    ]
    return [("--help", ["--help"])] + [(f"{c} --help", [c, "--help"]) for c in commands] + real


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, done.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=15, help="runs of each line (default 15)")
    ap.add_argument("--only", default="", help="comma-separated labels to time (default: all)")
    ap.add_argument("--cold", action="store_true", help="empty <data_dir>/cache before every run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pst-startup-"))
    try:
        made = install(tmp / "desk", NoServer(), 9, ("3576", "3571"))
        made.data_dir.mkdir(parents=True, exist_ok=True)  # as StateDirectory= in deploy/ makes it
        env = dict(made.env, PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        mail = tmp / "mail.eml"
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "warga@example.org", "bps3576@bps.go.id", "Permintaan data inflasi"
        msg.set_content("Selamat pagi, mohon data inflasi 2025.")
        mail.write_bytes(msg.as_bytes())
        base = [sys.executable, "-m", "helpdesk", "--config", str(made.settings_path)]
        lines: list[tuple[str, list[str]]] = [
            ("python3 -c pass", [sys.executable, "-c", "pass"]),
            ("import helpdesk.daemon", [sys.executable, "-c", "import helpdesk.daemon"]),
            ("import helpdesk.cli", [sys.executable, "-c", "import helpdesk.cli"]),
        ]
        lines += [(label, base + rest) for label, rest in invocations(mail)]
        only = set(filter(None, args.only.split(",")))
        if only:
            lines = [line for line in lines if line[0] in only or line[0] == "python3 -c pass"]
        times: dict[str, list[float]] = {label: [] for label, _ in lines}
        status: dict[str, int] = {}
        for run in range(args.n + 1):
            for label, argv in lines:
                if args.cold:
                    shutil.rmtree(made.data_dir / "cache", ignore_errors=True)
                took, status[label] = timed(argv, env, made.root)
                if run:  # the first round writes the bytecode
                    times[label].append(took)
        print(f"benchmarks/startup.py  (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.n} runs each)")
        print(f"{'command':<32} {'best s':>7} {'median s':>9}  exit  target < {TARGET} s")
        slow = []
        for label, _ in lines:
            best, median = min(times[label]), statistics.median(times[label])
            mark = "ok" if median < TARGET else "SLOW"
            if median >= TARGET:
                slow.append(label)
            print(f"{label:<32} {best:7.3f} {median:9.3f}  {status[label]:>4}  {mark}")
        floor = statistics.median(times["python3 -c pass"])
        print(f"\ninterpreter floor (python3 -c pass, median): {floor:.3f} s")
        print("all under target" if not slow else f"over target (median): {', '.join(slow)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
