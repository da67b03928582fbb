"""Benchmark: the helpdesk's own CPU a mail for the intake, in one process, without IMAP or SMTP.

    python3 benchmarks/intakecpu.py [--n 400] [--reps 3] [--profile FILE] [--closed N]
    python3 benchmarks/intakecpu.py --callgrind [--n 200]

The mails of benchmarks/ingest.py (citizen questions, each from its own sender) go through
`Intake.ingest` in the batches a mailbox round makes (25, 50, 100, then `batch_size`), on a fresh
installation with the store's commits and the spool's synced writes included; then the outbox's
bookkeeping for each acknowledgement as if the SMTP server had accepted it (marked `sending`,
then sent: a MAIL_SENT event on its ticket, the mail out of the outbox, one commit per batch, as
Outbox.drain records them), without a sending process. What this leaves out is measured by
ingest.py: the IMAP fetch, the sending process, the SMTP server.

Without --callgrind: CPU milliseconds a mail (process time), each of --reps runs on a fresh
installation after a warm-up run. With --callgrind: the script runs itself under valgrind's
callgrind twice, over N and 2N mails, and prints the difference in instructions divided by N (the
start, the imports and the warm-up cancel out): a count that a machine shared with other work does
not blur, for before/after comparisons of a change.

With --closed N, each installation (of five offices) first gets N closed, answered consultations in its archive
(ingest.py's phase 3 writes them the same way, over five offices; one in five public, so each
acknowledgement searches them for suggestions), and its warm-up run builds the consultation index:
the history's cost a mail, without the IMAP and SMTP servers' share of the two cores.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from imapclient.fixed_offset import FixedOffset

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import Mails, write_closed_archive  # noqa: E402  (benchmarks/, beside this script)

from helpdesk import config  # noqa: E402
from helpdesk.app import App  # noqa: E402
from helpdesk.clock import SystemClock  # noqa: E402
from helpdesk.demo.installation import SEED_OFFICES, install  # noqa: E402
from helpdesk.inbound.intake import Fetched, Intake  # noqa: E402
from helpdesk.inbound.mailbox import FIRST_BATCH, _aware  # noqa: E402
from helpdesk.insight import textindex  # noqa: E402
from helpdesk.kinds import MailState  # noqa: E402
from helpdesk.outbound.outbox import DrainResult, Outbox, _Outcome  # noqa: E402


class NoDovecot:
    """What demo.installation.install asks of a Dovecot: an address and a password per user."""

    host, port = "127.0.0.1", 1

    def add_user(self, user: str) -> str:
        return "unused"


def batches(raws: list[bytes], size: int) -> list[list[Fetched]]:
    """The batches of a mailbox round: FIRST_BATCH, doubling up to `size`; INTERNALDATE as
    imapclient gives it (Dovecot's offset), taken in as the mailbox worker does."""
    now, out, i, n = _aware(datetime.now(UTC).astimezone(FixedOffset(7 * 60))), [], 0, FIRST_BATCH
    while i < len(raws):
        out.append([Fetched(uid + 1, raws[uid], now) for uid in range(i, min(len(raws), i + n))])
        i += n
        n = min(size, n * 2)
    return out


def sent(app: App, outbox: Outbox) -> None:
    """What a drain records when the SMTP server accepted every queued mail: the batch marked
    `sending` (a commit), then each mail sent (a MAIL_SENT event on its ticket) and one commit."""
    store = app.store
    with store.lock:
        batch = outbox.due(app.clock.now())
        for mail in batch:
            mail.status = MailState.SENDING
        store.commit()
        now = app.clock.now()
        accepted = [_Outcome(mail, "sent", now, answer="250 2.0.0 Ok: queued") for mail in batch]
        outbox._record_batch(accepted, [], DrainResult())  # noqa: SLF001 - the drain's own bookkeeping
        store.commit()


def run(n: int, profile: str | None = None, closed: int | None = None, warm: int = 0) -> float:
    """CPU seconds of `n` mails through a fresh installation's intake and outbox records, after
    `warm` untimed ones (with `closed` closed tickets in its archive)."""
    root = Path(tempfile.mkdtemp(prefix="intakecpu-"))
    try:
        offices = tuple(SEED_OFFICES)[:5] if closed is not None else ("3576",)
        made = install(root, NoDovecot(), 2, offices)  # type: ignore[arg-type]
        text = made.settings_path.read_text()
        made.settings_path.write_text(text.replace("[offices.imap]", "ack_per_hour = 1000000\n[offices.imap]"))
        settings = config.load(made.settings_path, env=made.env)
        if closed:
            # Written by another process, as a daemon finds its archive: 100,000 tickets made and
            # dropped here would leave this process's heap scattered, and every mail slower.
            writer = multiprocessing.get_context("fork").Process(
                target=write_closed_archive, args=(settings.data_dir, closed, offices, random.Random(11))
            )
            writer.start()
            writer.join()
        app = App.build(settings, SystemClock())
        textindex.searches_often()  # as the daemon says it
        intake, office = Intake(app), settings.office("3576")
        assert office.imap is not None
        outbox = Outbox(app.store, settings.smtp, app.clock)
        gen = Mails(1)
        for batch in batches([gen.make()[1] for _ in range(warm)], office.imap.batch_size):
            intake.ingest(office, 1, batch)
            sent(app, outbox)
        work = batches([gen.make()[1] for _ in range(n)], office.imap.batch_size)
        profiler = cProfile.Profile() if profile else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        for batch in work:
            intake.ingest(office, 1, batch)
            sent(app, outbox)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        return time.process_time() - started
    finally:
        shutil.rmtree(root, ignore_errors=True)


def callgrind(n: int) -> float:
    """Instructions a mail: callgrind's count over 2n mails less its count over n, divided by n."""
    counts = []
    for mails in (n, 2 * n):
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
            + ["--n", str(mails), "--reps", "1", "--warm", "20"],
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"Collected : (\d+)", out.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
        counts.append(int(found.group(1)))
    return (counts[1] - counts[0]) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=400, help="mails per run (default 400)")
    ap.add_argument("--reps", type=int, default=3, help="timed runs, each on a fresh installation")
    ap.add_argument("--warm", type=int, default=50, help="mails of the untimed warm-up run")
    ap.add_argument("--profile", help="write a cProfile file of the first timed run here")
    ap.add_argument("--callgrind", action="store_true", help="count instructions a mail under valgrind")
    ap.add_argument(
        "--closed", type=int, help="closed consultations in each installation's archive (0: none, five offices too)"
    )
    args = ap.parse_args()
    if args.callgrind:
        print(f"{callgrind(args.n) / 1e6:.3f} M instructions a mail (callgrind, {args.n} vs {2 * args.n} mails)")
        return
    run(args.warm)  # imports, templates, calendars
    warm = args.warm if args.closed is not None else 0  # and the history's index, in the timed installation
    cpus = [run(args.n, args.profile if r == 0 else None, args.closed, warm) / args.n * 1000 for r in range(args.reps)]
    print(f"CPU ms a mail: median {statistics.median(cpus):.3f} (runs {', '.join(f'{c:.3f}' for c in cpus)})")


if __name__ == "__main__":
    main()
