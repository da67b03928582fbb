"""`helpdesk report`, `search` and `export` from the command line, over a store on disk."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpdesk import cli
from helpdesk.tickets.store import Store

from .conftest import ANI, at, november

SETTINGS = """
[helpdesk]
data_dir = "var"
secret = "0123456789abcdef0123"

[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"
supervisors = ["pst3576@bps.go.id"]

[[offices]]
code = "3571"
name = "BPS Kota Kediri"
address = "bps3571@bps.go.id"
"""


@pytest.fixture
def config(tmp_path, build):
    path = tmp_path / "settings.toml"
    path.write_text(SETTINGS, encoding="utf-8")
    store = Store(tmp_path / "var")
    tickets = november(build)
    build.reply(tickets[3], at(11, 17, 9, 30), ANI, "Data inflasi Kota Mojokerto 2025 ada di BRS.")
    for t in tickets:
        store.save_ticket(t)
    store.commit()
    return str(path)


def run(capsys, *argv: str) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_report_text(config, capsys):
    out = run(
        capsys,
        "--config",
        config,
        "report",
        "--office",
        "3576",
        "--month",
        "2026-11",
        "--now",
        "2026-12-01T09:00:00+07:00",
    )
    assert "BPS Kota Mojokerto (3576), November 2026" in out and "4 dari 6 (66.7%)" in out


def test_report_all_offices_csv(config, capsys):
    out = run(
        capsys,
        "--config",
        config,
        "report",
        "--all-offices",
        "--month",
        "2026-11",
        "--format",
        "csv",
        "--now",
        "2026-12-01T09:00:00+07:00",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["office"], r["group_type"], r["received"]) for r in rows] == [
        ("3576", "total", "8"),
        ("3571", "total", "1"),
    ]


def test_report_html_to_file(config, capsys, tmp_path):
    target = tmp_path / "r.html"
    run(
        capsys,
        "--config",
        config,
        "report",
        "--office",
        "3576",
        "--month",
        "2026-11",
        "--format",
        "html",
        "-o",
        str(target),
        "--now",
        "2026-12-01T09:00:00+07:00",
    )
    assert target.read_text(encoding="utf-8").count("data:image/png;base64,") == 2


def test_report_rejects_a_bad_month(config, capsys):
    with pytest.raises(SystemExit):
        cli.main(["--config", config, "report", "--office", "3576", "--month", "2026-13"])


def test_search(config, capsys):
    out = run(capsys, "--config", config, "search", "data inflasi mojokerto 2025", "--json")
    first = json.loads(out.splitlines()[0])
    assert first["number"] == "PST-3576-2026-000004" and first["rank"] == 1


def test_export_jsonl_since(config, capsys):
    out = run(capsys, "--config", config, "export", "--format", "jsonl", "--since", "2026-11-25")
    assert [json.loads(line)["number"] for line in out.splitlines()] == [
        "PST-3576-2026-000007",
        "PST-3576-2026-000008",
        "PST-3576-2026-000011",
    ]
