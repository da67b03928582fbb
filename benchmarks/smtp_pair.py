"""Benchmark: the daemon's SMTP sending process straight into the SMTP sink, nothing else.

    python3 benchmarks/smtp_pair.py [--n 1000] [--batch 30] [--sessions 8] [--size 3000] [--runs 3]
                                    [--no-pipelining]

Starts the sink (helpdesk.demo.sink) in this process and `python -m helpdesk.outbound.sending` as
the daemon does (outbound/sender.py's command and pipe protocol), hands it --n mails of about --size octets in
batches of --batch split over --sessions lanes (benchmarks/ingest.py's phase 1 sends about 30 a
commit), and prints the CPU time of each side per 1,000 mails, the median of --runs runs: the two
processes ingest.py's phase 1 shares the cores with, measured without the intake's noise. The
sending process's figure includes its start-up, as in ingest.py (one `run --once` starts it once);
a run with no mail prints that start-up alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from helpdesk.demo.sink import SmtpSink  # noqa: E402
from helpdesk.outbound.sender import COMMAND, child_env  # noqa: E402


def mail(i: int, size: int) -> dict:
    mid = f"<pair.{i}@bps.go.id>"
    head = (
        f"From: PST BPS 3576 <bps3576@bps.go.id>\r\nTo: Warga {i} <warga{i}@example.org>\r\n"
        f"Subject: [PST-3576-2026-{i:06d}] Permintaan data diterima\r\nMessage-ID: {mid}\r\n"
        f"In-Reply-To: <bench.{i}@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    line = "Terima kasih, pertanyaan Anda sudah kami terima dan sedang kami proses.\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return {"id": mid, "from": "bps3576@bps.go.id", "to": [f"warga{i}@example.org"], "raw": head + body}


def run(n: int, batch: int, sessions: int, size: int, pipelining: bool) -> tuple[float, float, int]:
    """CPU seconds of the sending process and of the sink for n mails, and how many arrived."""
    sink = SmtpSink(pipelining=pipelining).start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = {
            "host": sink.host,
            "port": sink.port,
            "tls": "none",
            "username": "",
            "password": "",
            "timeout": 30.0,
            "sessions": sessions,
            "journal": str(Path(tmp) / "sent.journal"),
        }
        sink_before = sink.cpu_seconds()
        proc = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env())
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(settings).encode() + b"\n")
        mails = [mail(i, size) for i in range(n)]
        for start in range(0, n, batch):
            part = mails[start : start + batch]
            lanes = [part[k::sessions] for k in range(sessions) if part[k::sessions]]
            proc.stdin.write(json.dumps({"batch": lanes}).encode() + b"\n")
            proc.stdin.flush()
            while not json.loads(proc.stdout.readline()).get("done"):
                pass
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    arrived = len(sink.messages)
    sink_cpu = sink.cpu_seconds() - sink_before
    sink.stop()
    return usage.ru_utime + usage.ru_stime, sink_cpu, arrived


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-pipelining", action="store_true", help="a sink that does not offer PIPELINING")
    args = ap.parse_args()
    start_up = run(0, args.batch, args.sessions, args.size, not args.no_pipelining)[0]
    print(f"sending process start-up and exit alone: {start_up:.3f} s CPU")
    sending, sinks = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        s, k, arrived = run(args.n, args.batch, args.sessions, args.size, not args.no_pipelining)
        wall = time.perf_counter() - t0
        per = 1000 / args.n
        sending.append(s * per)
        sinks.append(k * per)
        print(
            f"  {arrived} of {args.n} mails arrived in {wall:.2f} s; CPU per 1,000 mails: "
            f"sending process {s * per:.3f} s, sink {k * per:.3f} s"
        )
    print(
        f"median of {args.runs}: CPU per 1,000 mails: sending process {statistics.median(sending):.3f} s, "
        f"sink {statistics.median(sinks):.3f} s"
    )


if __name__ == "__main__":
    main()
