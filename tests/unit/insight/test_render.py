"""The report's text, CSV and HTML forms; the HTML's charts are real PNGs, and it renders in Chromium."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import struct
import subprocess

import pytest

from helpdesk.insight.charts import HEIGHT, WIDTH
from helpdesk.insight.figures import compute_month
from helpdesk.insight.render import all_offices_text, report_csv, report_html, report_text

from .conftest import NOW, OFFICE, OTHER

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def fig(month_store, cal):
    return compute_month(month_store.all_tickets(), OFFICE, cal, "2026-11", NOW)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_text_report_states_every_figure(fig):
    text = report_text(fig)
    assert "BPS Kota Mojokerto (3576), November 2026" in text
    for line in (
        "Konsultasi diterima",
        "Dijawab sesuai standar",
        "median",
        "persentil 90",
        "Terlambat saat ini",
        "Melewati batas waktu",
        "Terbuka pada akhir bulan",
        "Pengaduan",
        "Penilaian pengguna",
        "Per petugas:",
        "Per kategori:",
    ):
        assert line in text
    assert re.search(r"Dijawab sesuai standar\s+4 dari 6 \(66\.7%\)", text)
    assert re.search(r"persentil 90 \(jam kerja\)\s+15\.9", text)
    assert "3 dari 4 permintaan (75.0%), rata-rata 3.67; 1:0 2:1 3:0 4:1 5:1" in text


def test_csv_has_a_row_per_group(fig):
    rows = list(csv.DictReader(io.StringIO(report_csv([fig]))))
    kinds = [(r["group_type"], r["group"]) for r in rows]
    assert kinds[0] == ("total", "Total") and ("complaints", "Pengaduan") in kinds
    assert ("operator", "ani@bps.go.id") in kinds and ("category", "data") in kinds
    total = rows[0]
    assert (total["received"], total["in_standard"], total["late"], total["pct_in_standard"]) == ("8", "4", "2", "66.7")
    assert (total["median_hours"], total["p90_hours"], total["breached_in_month"]) == ("3.00", "15.90", "3")
    assert (total["ratings"], total["rating_mean"], total["rating_5"]) == ("3", "3.67", "1")


def test_all_offices_is_one_row_per_office(month_store):
    from helpdesk.sla.workdays import WorkingCalendar

    tickets = list(month_store.all_tickets())
    reports = [compute_month(tickets, o, WorkingCalendar.for_office(o), "2026-11", NOW) for o in (OFFICE, OTHER)]
    rows = list(csv.DictReader(io.StringIO(report_csv(reports, totals_only=True))))
    assert [(r["office"], r["received"]) for r in rows] == [("3576", "8"), ("3571", "1")]
    text = all_offices_text(reports).splitlines()
    assert len(text) == 4 and text[2].startswith("3576") and text[3].startswith("3571")
    html = report_html(reports)
    assert html.count("<tr><td>35") == 2 and "data:image/png" not in html


def test_html_embeds_two_png_charts_of_the_expected_size(fig):
    html = report_html([fig])
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 2
    for uri in uris:
        assert png_size(base64.b64decode(uri)) == (WIDTH, HEIGHT)


def test_html_escapes_names_from_the_store(month_store, cal, build):
    t = build.ticket(NOW.replace(month=11, day=3), category="<script>alert(1)</script>")
    fig = compute_month([*month_store.all_tickets(), t], OFFICE, cal, "2026-11", NOW)
    html = report_html([fig], with_charts=False)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_html_renders_in_headless_chromium(fig, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is missing: run scripts/install-test-deps.sh (apt-get install chromium)"
    page = tmp_path / "report.html"
    page.write_text(report_html([fig]), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    assert png_size(shot.read_bytes()) == (1200, 1600)
    from PIL import Image

    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        dark = sum(count for count, (r, g, b) in colours if r + g + b < 600)
        blue = sum(count for count, (r, g, b) in colours if b > 150 and r < 80)  # chart bars, headings
    assert len(colours) > 50  # text, tables and charts: not one flat colour
    assert dark > 0.01 * 1200 * 1600  # at least 1% of the page is ink
    assert blue > 2000  # the charts' bars were drawn
