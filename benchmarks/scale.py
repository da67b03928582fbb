"""Benchmark: every BPS office from one machine, 550 mailboxes in IDLE on one `helpdesk run`.

    python3 benchmarks/scale.py [--offices 550] [--open 20] [--idle-seconds 330] [--latency-n 120]
                                [--rate 1] [--keep]

Starts its own Dovecot (helpdesk.demo.dovecot, with limits raised for the connections) and SMTP
sink (helpdesk.demo.sink) on loopback, in a temporary folder, configures --offices offices, each
with its own mailbox, and:

 1. seeds --open questions per office: APPENDed to every mailbox (from their own senders), then
    taken in by one `helpdesk run --once`, so the store holds offices x open tickets, each
    acknowledged, as a busy day leaves it;
 2. starts `python -m helpdesk run` and times it until every mailbox is connected (its first round
    done and IDLE entered: the daemon logs "all N mailboxes connected"), from the process start;
 3. idle cost: with no mail arriving, the CPU time the daemon and its sending process use over
    --idle-seconds (utime + stime from /proc, so other load on the machine does not count), and
    their resident memory (VmRSS) at the end. The default window includes the scheduler's safety
    sweep of every office (every 5 minutes), the one periodic work of an idle daemon;
 4. latency: --latency-n mails APPENDed at --rate per second, each to a mailbox picked at random;
    each latency runs from just before the APPEND (the client already logged in) to the moment the
    sink accepted the acknowledgement whose In-Reply-To is that mail's Message-ID.

Targets (issue 12): idle < 0.05 core, memory < 500 MB, all connected < 30 s, p95 < 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import Arrivals, Mails, say  # noqa: E402  (benchmarks/, beside this script)

from helpdesk.demo.dovecot import LocalDovecot  # noqa: E402
from helpdesk.demo.installation import Installation, install, stop_daemon  # noqa: E402
from helpdesk.demo.sink import SmtpSink  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
SEED_THREADS = 8


def office_codes(n: int) -> tuple[str, ...]:
    """Four-digit codes that look like BPS regency codes (province 11.., regency 01..)."""
    return tuple(f"{11 + i // 40:02d}{i % 40 + 1:02d}" for i in range(n))


# -- /proc ------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def wait_for_line(path: Path, needle: str, proc: subprocess.Popen, timeout: float) -> str:
    """Wait until the daemon's log has a line containing `needle`; returns that line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the daemon exited ({proc.returncode}); see {path}")
        for line in path.read_text(errors="replace").splitlines():
            if needle in line:
                return line
        time.sleep(0.1)  # the log is a file another process writes: nothing to wait on
    raise RuntimeError(f"no {needle!r} in {path} within {timeout:.0f} s")


# -- phases -----------------------------------------------------------------------------------------


def seed(dovecot: LocalDovecot, users: dict[str, str], per_office: int, gen: Mails) -> set[str]:
    """APPEND `per_office` questions to every mailbox, several mailboxes at a time."""
    made = {code: [gen.make(code) for _ in range(per_office)] for code in users}
    now = datetime.now(UTC)

    def fill(code: str) -> None:
        with dovecot.client(users[code]) as c:
            for _, raw in made[code]:
                c.append("INBOX", raw, msg_time=now)

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(fill, users))
    return {mid for mails in made.values() for mid, _ in mails}


def seed_store(
    dovecot: LocalDovecot, made: Installation, cli: list[str], arrivals: Arrivals, gen: Mails, per_office: int
) -> int:
    """The questions APPENDed, then taken in and acknowledged by one `run --once`."""
    t0 = time.perf_counter()
    ids = seed(dovecot, made.users, per_office, gen)
    appended = time.perf_counter() - t0
    t0 = time.perf_counter()
    once = subprocess.run([*cli, "run", "--once"], env=made.env, cwd=made.root, capture_output=True, text=True)
    if once.returncode != 0:
        raise RuntimeError(f"run --once failed:\n{once.stderr[-3000:]}")
    got, _ = arrivals.all_in(ids, t0, timeout=600)
    taken = time.perf_counter() - t0
    say(
        f"   APPENDed {len(ids)} mails in {appended:.0f} s; run --once took them in and "
        f"{got} were acknowledged in {taken:.0f} s ({len(ids) / taken:.0f} mails/s)"
    )
    return len(ids)


def latency(
    dovecot: LocalDovecot, users: dict[str, str], arrivals: Arrivals, gen: Mails, count: int, rate: float
) -> list[float]:
    rng = random.Random(5)
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(count):
        code = rng.choice(list(users))
        mid, raw = gen.make(code)
        with dovecot.client(users[code]) as c:
            pause = start + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent[mid] = time.perf_counter()
            c.append("INBOX", raw, msg_time=datetime.now(UTC))
    got = arrivals.wait(set(sent), 60)
    if got < count:
        say(f"  WARNING: only {got} of {count} acknowledgements arrived")
    return sorted(arrivals.times[m] - t for m, t in sent.items() if m in arrivals.times)


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offices", type=int, default=550, help="offices, one mailbox each (default 550)")
    ap.add_argument("--open", type=int, default=20, help="open tickets seeded per office (default 20)")
    ap.add_argument(
        "--idle-seconds",
        type=float,
        default=330.0,
        help="idle window (default 330 s: it takes in the SLA safety sweep of every office, "
        "due 5 minutes after the start)",
    )
    ap.add_argument("--latency-n", type=int, default=120, help="mails for the latency run (default 120)")
    ap.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="APPENDs per second in the latency run (default 1: 86,400 a day, above any national peak)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the data folder (its path is printed)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pst-scale-"))
    os.chmod(tmp, 0o755)  # Dovecot's mail processes run as the dovecot user
    dovecot = LocalDovecot(tmp / "dovecot", connections=args.offices).start()
    sink = SmtpSink()
    arrivals = Arrivals(sink)
    sink.start()
    proc: subprocess.Popen | None = None
    results: list[str] = []
    try:
        say(f"benchmarks/scale.py  (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, data in {tmp})")
        codes = office_codes(args.offices)
        made = install(tmp / "helpdesk", dovecot, sink.port, codes, user_prefix="scale")
        gen = Mails(12)
        cli = [sys.executable, "-m", "helpdesk", "--config", str(made.settings_path)]

        if args.open:
            say(f"1. seeding {args.open} open tickets in each of {args.offices} offices")
            seeded = seed_store(dovecot, made, cli, arrivals, gen, args.open)
        else:
            say("1. no open tickets (--open 0)")
            seeded = 0

        say("2. helpdesk run: until every mailbox is connected")
        log_path = made.root / "daemon.log"
        log = open(log_path, "w")  # noqa: SIM115
        t0 = time.perf_counter()
        proc = subprocess.Popen([*cli, "run"], stdout=log, stderr=subprocess.STDOUT, env=made.env, cwd=made.root)
        line = wait_for_line(log_path, "mailboxes connected", proc, timeout=300)
        connected = time.perf_counter() - t0
        results.append(
            f"all {args.offices} mailboxes connected {connected:.1f} s after the process "
            f"started (the waiter says: {line.split('connected in ')[-1]})   target < 30 s: "
            f"{verdict(connected < 30)}"
        )
        say("   " + results[-1])

        say(f"3. idle for {args.idle_seconds:.0f} s")
        time.sleep(5)  # let the first rounds' acknowledgements and status writes settle
        sender = children(proc.pid)
        pids = [proc.pid, *sender]
        before = sum(cpu_seconds(p) for p in pids)
        mails_before = len(sink.messages)
        t0 = time.perf_counter()
        time.sleep(args.idle_seconds)
        cores = (sum(cpu_seconds(p) for p in pids) - before) / (time.perf_counter() - t0)
        memory = sum(rss_mb(p) for p in pids)
        quiet = len(sink.messages) == mails_before
        results.append(
            f"idle: {cores:.3f} core (daemon + {len(sender)} sending process; "
            f"{'no' if quiet else 'SOME'} mail sent meanwhile)   target < 0.05: "
            f"{verdict(cores < 0.05)}"
        )
        say("   " + results[-1])
        results.append(
            f"memory: {memory:.0f} MB resident (daemon {rss_mb(proc.pid):.0f} MB)   "
            f"target < 500 MB: {verdict(memory < 500)}"
        )
        say("   " + results[-1])

        say(f"4. latency: {args.latency_n} mails APPENDed at {args.rate:g}/s to random mailboxes")
        before = sum(cpu_seconds(p) for p in pids)
        lat = latency(dovecot, made.users, arrivals, gen, args.latency_n, args.rate)
        per_mail = (sum(cpu_seconds(p) for p in pids) - before) / args.latency_n
        hots = [p.stat().st_size for p in (made.data_dir / "store").glob("*/hot.json")]
        say(
            f"   CPU per mail (daemon + sending process): {per_mail * 1000:.0f} ms; {len(hots)} office hot files, "
            f"{statistics.median(hots) / 1e3:.0f} KB median, {max(hots) / 1e3:.0f} KB largest: a commit "
            f"rewrites the one of the office it changed"
        )
        p50, p95 = statistics.median(lat), percentile(lat, 0.95)
        results.append(
            f"latency APPEND -> acknowledgement with {seeded} open tickets: median "
            f"{p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms   "
            f"target p95 < 1 s: {verdict(p95 < 1)}"
        )
        say("   " + results[-1])
        t0 = time.perf_counter()
        stop_daemon(proc)
        say(f"   SIGTERM: stopped in {time.perf_counter() - t0:.1f} s, exit {proc.returncode}")
        proc = None
        say("\nsummary")
        for line in results:
            say("  " + line)
    finally:
        if proc is not None:
            stop_daemon(proc)
        sink.stop()
        dovecot.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
