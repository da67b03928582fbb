"""Pathological HTML of 100 KB, 1 MB and 10 MB: time to read one mail grows linearly with its size.

Times what the intake does with a hostile HTML-only mail before any rule sees it (parse: MIME walk,
HTML to text, the bounce check), without a time budget, best of `--rounds`. Before the HTML went
through libxml2, 300 KB of `<script ` held the daemon for 75 s (time grew with the square).

    python3 benchmarks/hostile.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpdesk.inbound.parse import parse  # noqa: E402
from tests.hostile import hostile_html  # noqa: E402

PATTERNS = ["<script ", "<a b='", "<!--", "<", "<p>x", "<table><tr><td>", "<div>"]
SIZES = [100_000, 1_000_000, 10_000_000]


def seconds(raw: bytes, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        parse(raw, datetime.now(UTC))
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"{'pattern':<18}" + "".join(f"{s // 1000:>9} KB" for s in SIZES) + "   10 MB / 1 MB")
    worst = 0.0
    for pattern in PATTERNS:
        times = [seconds(hostile_html(size, pattern=pattern), args.rounds) for size in SIZES]
        worst = max(worst, times[-1] / times[-2])
        print(f"{pattern!r:<18}" + "".join(f"{t:>10.3f}s" for t in times) + f"   {times[-1] / times[-2]:.1f}x")
    print(f"worst growth from 1 MB to 10 MB: {worst:.1f}x (linear: 10x; quadratic: 100x)")


if __name__ == "__main__":
    main()
