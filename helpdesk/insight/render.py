"""MonthlyFigures -> the report as supervisors read it: text, CSV, or one self-contained HTML page
(insight; pure). The HTML embeds its charts as base64 PNG data URIs, so the file opens anywhere.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..outbound.wording import MONTHS
from .charts import answer_time_chart, mail_per_day_chart
from .figures import GroupFigures, MonthlyFigures

if TYPE_CHECKING:
    from jinja2 import Environment

CSV_COLUMNS = (
    "office",
    "office_name",
    "month",
    "group_type",
    "group",
    "received",
    "answered",
    "in_standard",
    "late",
    "pct_in_standard",
    "median_hours",
    "p90_hours",
    "pending",
    "waiting",
    "open_at_end",
    "unanswered_at_end",
    "overdue_now",
    "breached_in_month",
    "ratings",
    "rating_mean",
    "rating_requests",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)
GROUP_HEAD = (
    "diterima",
    "dijawab",
    "sesuai",
    "terlambat",
    "% sesuai",
    "median",
    "p90",
    "terbuka akhir",
    "terlambat kini",
)


def month_title(month: str) -> str:
    """ "2026-11" -> "November 2026"."""
    year, mon = month.split("-")
    return f"{MONTHS['id'][int(mon) - 1]} {year}"


def num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def group_cells(g: GroupFigures) -> list[str]:
    return [
        str(g.received),
        str(g.answered),
        str(g.in_standard),
        str(g.late),
        num(g.pct_in_standard),
        num(g.median_hours),
        num(g.p90_hours),
        str(g.open_at_end),
        str(g.overdue_now),
    ]


def summary_lines(f: MonthlyFigures) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline figures, shared by the text and HTML forms."""
    t, r, c = f.total, f.ratings, f.complaints
    dist = " ".join(f"{n}:{r.distribution[n]}" for n in range(1, 6))
    return [
        ("Konsultasi diterima", str(t.received)),
        ("Dijawab sesuai standar", f"{t.in_standard} dari {t.in_standard + t.late} ({num(t.pct_in_standard)}%)"),
        ("Dijawab terlambat / belum dijawab lewat batas", str(t.late)),
        ("Belum jatuh tempo", str(t.pending)),
        ("Menunggu kelengkapan dari pengguna", str(t.waiting)),
        ("Waktu sampai jawaban pertama, median (jam kerja)", num(t.median_hours)),
        ("Waktu sampai jawaban pertama, persentil 90 (jam kerja)", num(t.p90_hours)),
        ("Terlambat saat ini (semua tiket terbuka)", str(t.overdue_now)),
        ("Melewati batas waktu dalam bulan ini", str(f.breached_in_month)),
        ("Terbuka pada akhir bulan", f"{t.open_at_end} (belum dijawab {t.unanswered_at_end})"),
        (
            "Pengaduan",
            f"diterima {c.received}, sesuai standar {c.in_standard}, terlambat {c.late}, terbuka {c.open_at_end}",
        ),
        (
            "Penilaian pengguna",
            f"{r.count} dari {r.requests} permintaan ({num(r.response_pct)}%), rata-rata {num(r.mean, 2)}; {dist}",
        ),
    ]


def _table(title: str, groups: Sequence[GroupFigures], first: str) -> list[str]:
    rows = [[g.name, *group_cells(g)] for g in groups]
    head = [first, *GROUP_HEAD]
    widths = [max([len(head[i])] + [len(r[i]) for r in rows]) for i in range(len(head))]
    widths[0] = min(widths[0], 40)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            (c[:40].ljust(w) if i == 0 else c.rjust(w)) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [title, "  " + line(head), *("  " + line(r) for r in rows)] if rows else [title, "  (tidak ada)"]


def report_text(f: MonthlyFigures) -> str:
    """The report as plain text (the body of the monthly mail)."""
    head = [
        f"Laporan standar pelayanan PST {f.office_name} ({f.office}), {month_title(f.month)}",
        f"Standar: jawaban pertama paling lambat {f.reply_days} hari kerja setelah diterima. "
        f"Dihitung {f.now.isoformat(timespec='minutes')}.",
        "",
    ]
    width = max(len(label) for label, _ in summary_lines(f))
    body = [f"{label.ljust(width)}  {value}" for label, value in summary_lines(f)]
    return (
        "\n".join(
            head
            + body
            + [""]
            + _table("Per petugas:", f.by_operator, "petugas")
            + [""]
            + _table("Per kategori:", f.by_category, "kategori")
        )
        + "\n"
    )


def _csv_row(f: MonthlyFigures, group_type: str, g: GroupFigures, extra: bool) -> dict[str, Any]:
    r = f.ratings
    row: dict[str, Any] = {
        "office": f.office,
        "office_name": f.office_name,
        "month": f.month,
        "group_type": group_type,
        "group": g.name,
        "received": g.received,
        "answered": g.answered,
        "in_standard": g.in_standard,
        "late": g.late,
        "pct_in_standard": num(g.pct_in_standard),
        "median_hours": num(g.median_hours, 2),
        "p90_hours": num(g.p90_hours, 2),
        "pending": g.pending,
        "waiting": g.waiting,
        "open_at_end": g.open_at_end,
        "unanswered_at_end": g.unanswered_at_end,
        "overdue_now": g.overdue_now,
    }
    if extra:
        row.update(
            {
                "breached_in_month": f.breached_in_month,
                "ratings": r.count,
                "rating_mean": num(r.mean, 2),
                "rating_requests": r.requests,
                **{f"rating_{n}": r.distribution[n] for n in range(1, 6)},
            }
        )
    return row


def report_csv(reports: Sequence[MonthlyFigures], totals_only: bool = False) -> str:
    """One row per group (total, each operator, each category, complaints); totals only: per office."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for f in reports:
        writer.writerow(_csv_row(f, "total", f.total, True))
        if totals_only:
            continue
        writer.writerows(_csv_row(f, "operator", g, False) for g in f.by_operator)
        writer.writerows(_csv_row(f, "category", g, False) for g in f.by_category)
        writer.writerow(_csv_row(f, "complaints", f.complaints, False))
    return out.getvalue()


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def charts_for(f: MonthlyFigures) -> list[Chart]:
    """The report's two charts, drawn from its figures."""
    t1 = f"Email masuk per hari kerja, {month_title(f.month)}"
    t2 = f"Waktu sampai jawaban pertama, {month_title(f.month)}"
    return [
        Chart(t1, mail_per_day_chart(f.mail_per_day, t1)),
        Chart(t2, answer_time_chart(f.total.hours, f.standard_hours, t2)),
    ]


@cache
def _env() -> Environment:
    """Made for the first HTML report: the text and CSV ones, and `helpdesk report`, go without Jinja2."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(Path(__file__).parent)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_html(reports: Sequence[MonthlyFigures], with_charts: bool = True) -> str:
    """One HTML page: a summary table per office (several offices: one row each) plus detail."""
    single = len(reports) == 1
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            reports=reports,
            single=single,
            month_title=month_title,
            summary_lines=summary_lines,
            group_cells=group_cells,
            group_head=GROUP_HEAD,
            num=num,
            charts=charts_for(reports[0]) if single and with_charts else [],
        )
    )


def all_offices_text(reports: Sequence[MonthlyFigures]) -> str:
    """`--all-offices` as text: one row per office."""
    rows = [
        [f.office, f.office_name[:30], *group_cells(f.total), str(f.breached_in_month), num(f.ratings.mean, 2)]
        for f in reports
    ]
    head = ["kode", "kantor", *GROUP_HEAD, "lewat batas", "nilai"]
    widths = [max([len(head[i])] + [len(r[i]) for r in rows]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [head, *rows]
    ]
    month = month_title(reports[0].month) if reports else ""
    return f"Standar pelayanan PST semua kantor, {month}\n" + "\n".join(lines) + "\n"
