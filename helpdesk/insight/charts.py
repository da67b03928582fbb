"""The monthly report's charts as PNG bytes: mail per working day, answer-time distribution (insight; pure).

matplotlib's object API with the Agg canvas (no pyplot state), so charts can be drawn from the
daemon's worker threads. Every chart has the same pixel size: WIDTH x HEIGHT.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 800, 360, 100
NEW_COLOUR, FOLLOW_COLOUR, LINE_COLOUR = "#1f6fb2", "#9cc3e6", "#c0392b"


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # no bbox_inches="tight": the size must stay fixed
    return buf.getvalue()


def _integer_ticks(ax: Axes) -> None:
    """Counts on the y axis: whole numbers only (the default locator is a MaxNLocator)."""
    from matplotlib.ticker import MaxNLocator

    locator = ax.yaxis.get_major_locator()
    assert isinstance(locator, MaxNLocator)
    locator.set_params(integer=True)


def _figure() -> Figure:
    # Imported on first use: matplotlib is half of the daemon's start-up, and it draws only
    # once a month.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
    return fig


def mail_per_day_chart(days: Sequence[tuple[date, int, int]], title: str) -> bytes:
    """Stacked bars: new consultations and citizens' follow-ups on each working day."""
    fig = _figure()
    ax = fig.add_subplot()
    labels = [d.strftime("%d") for d, _, _ in days]
    new = [n for _, n, _ in days]
    follow = [f for _, _, f in days]
    xs = range(len(days))
    ax.bar(xs, new, color=NEW_COLOUR, label="pertanyaan baru")
    ax.bar(xs, follow, bottom=new, color=FOLLOW_COLOUR, label="email lanjutan")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_xlabel("hari kerja (tanggal)")
    ax.set_ylabel("email masuk")
    ax.set_title(title, fontsize=11)
    top = max((n + f for n, f in zip(new, follow, strict=True)), default=0)
    ax.set_ylim(0, max(top, 1) * 1.15)
    _integer_ticks(ax)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    if not days:
        ax.text(0.5, 0.5, "tidak ada hari kerja", ha="center", va="center", transform=ax.transAxes)
    return _png(fig)


def answer_time_chart(hours: Sequence[float], standard_hours: float, title: str) -> bytes:
    """Histogram of office hours to the first answer, the standard drawn as a vertical line."""
    fig = _figure()
    ax = fig.add_subplot()
    upper = max([standard_hours * 1.5, *hours]) if hours else standard_hours * 1.5
    step = max(1.0, math.ceil(upper / 24))
    bins = [i * step for i in range(int(upper // step) + 2)]
    if hours:
        ax.hist(list(hours), bins=bins, color=NEW_COLOUR, edgecolor="white")
    else:
        ax.text(0.5, 0.5, "belum ada jawaban", ha="center", va="center", transform=ax.transAxes)
    ax.axvline(
        standard_hours, color=LINE_COLOUR, linewidth=2, label=f"standar layanan (~{standard_hours:.1f} jam kerja)"
    )
    ax.set_xlim(0, bins[-1])
    ax.set_xlabel("waktu sampai jawaban pertama (jam kerja)")
    ax.set_ylabel("tiket")
    _integer_ticks(ax)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return _png(fig)
