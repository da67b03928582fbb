"""Saved answers: shipped defaults, an office's folder replacing them file by file, strict rendering."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpdesk.checks import problems as everything_checked
from helpdesk.checks import sample_ticket, saved_answers
from helpdesk.config import Office
from helpdesk.desk.saved import SavedAnswers, UnknownAnswer
from tests.deskharness import Desk

OFFICE = Office(
    code="3576",
    name="BPS Kota Mojokerto",
    address="bps3576@bps.go.id",
    website="https://mojokertokota.bps.go.id",
    consultation_url="https://pst.example/{number}",
)


def test_shipped_answers_have_names_and_titles():
    saved = SavedAnswers()
    assert {"data-dasar", "lengkapi-permintaan", "kunjungan-pst"} <= set(saved.names)
    assert saved.get("data-dasar").title == "Data dasar tersedia di website"


def test_compose_fills_in_name_ticket_and_links_in_the_tickets_language(tmp_path):
    (tmp_path / "tautan.md").write_text("# Tautan konsultasi\nYth. {{ nama }}, lihat {{ tautan }} ({{ tiket }}).\n")
    saved = SavedAnswers(tmp_path)
    ticket = sample_ticket(OFFICE)
    text = saved.compose(["tautan", "data-dasar"], ticket, OFFICE)
    assert text.startswith("Yth. Warga Contoh, lihat https://pst.example/PST-3576-2026-000001 (PST-3576-2026-000001).")
    assert "https://mojokertokota.bps.go.id" in text
    english = saved.compose(["data-dasar"], replace(ticket, language="en"), OFFICE)
    assert english.startswith("Dear Warga Contoh,")


def test_office_folder_replaces_a_shipped_answer_file_by_file(tmp_path):
    (tmp_path / "data-dasar.md").write_text("# Data di website kantor\nSilakan buka {{ situs }}.\n")
    saved = SavedAnswers(tmp_path)
    assert saved.get("data-dasar").title == "Data di website kantor"
    assert saved.get("kunjungan-pst") is not None  # the others stay
    assert (
        saved.compose(["data-dasar"], sample_ticket(OFFICE), OFFICE) == "Silakan buka https://mojokertokota.bps.go.id."
    )


def test_unknown_names_are_all_named():
    with pytest.raises(UnknownAnswer) as exc:
        SavedAnswers().compose(["data-dasar", "nope", "nada"], sample_ticket(OFFICE), OFFICE)
    assert exc.value.names == ["nope", "nada"]


def test_check_reports_a_mistyped_variable_and_a_file_without_title(tmp_path):
    (tmp_path / "salah.md").write_text("# Salah ketik\nYth. {{ nma }},\n")
    (tmp_path / "tanpa-judul.txt").write_text("Tidak ada judul.\n")
    desk = Desk(tmp_path, extra=f'answers_dir = "{tmp_path}"')
    problems = saved_answers(desk.app.settings)
    assert any("salah.md" in p and "nma" in p for p in problems)
    assert any("tanpa-judul.txt" in p and "# Title" in p for p in problems)
    assert len(problems) == 2
    assert set(problems) <= set(everything_checked(desk.app.settings))  # what `helpdesk check` prints


def test_check_passes_the_shipped_answers(tmp_path):
    assert saved_answers(Desk(tmp_path).app.settings) == []
