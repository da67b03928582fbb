"""scrub(): an answer offered to someone else keeps its substance and loses everyone's personal data."""

from __future__ import annotations

import pytest

from helpdesk.insight.scrub import REMOVED, clip, excerpt, scrub

X = REMOVED


@pytest.mark.parametrize(
    "answer, names, expected",
    [
        ("Yth. Bapak Bambang,\nData ada di tabel 3.", ["Bambang Sutrisno"], "Data ada di tabel 3."),
        ("Yth. Bapak Bambang, data ada di tabel 3.", [], "data ada di tabel 3."),
        ("Kepada Yth. Ibu Sari Dewi:\nSilakan unduh.", [], "Silakan unduh."),
        ("Selamat pagi Bapak/Ibu,\nInflasi 2,1 persen.", [], "Inflasi 2,1 persen."),
        ("Dear Mr. Smith,\nThe table is online.", [], "The table is online."),
        ("Data untuk Bambang sudah kami kirim.", ["Bambang Sutrisno"], f"Data untuk {X} sudah kami kirim."),
        ("Seperti diminta Bapak Bambang Sutrisno, tabel terlampir.", [], f"Seperti diminta {X}, tabel terlampir."),
        ("NIK 3576012345678901 sudah tercatat.", [], f"NIK {X} sudah tercatat."),
        ("No. KK 3576 0123 4567 8901 tercatat.", [], f"No. KK {X} tercatat."),
        ("Hubungi 081234567890 atau +62 812-3456-7890.", [], f"Hubungi {X} atau {X}."),
        ("Telepon kantor (0321) 321765 atau 0321-321765.", [], f"Telepon kantor {X} atau {X}."),
        ("Kirim ke bambang.s@gmail.com ya.", [], f"Kirim ke {X} ya."),
        ("Tanya lagi ke bps3576@bps.go.id.", [], "Tanya lagi ke bps3576@bps.go.id."),
        (
            "Penduduk 2024: 132.416 jiwa; inflasi 2,41 persen; tahun 2020-2024.",
            [],
            "Penduduk 2024: 132.416 jiwa; inflasi 2,41 persen; tahun 2020-2024.",
        ),
    ],
)
def test_scrub_removes_personal_data_and_keeps_the_substance(answer, names, expected):
    assert scrub(answer, names=names, keep_addresses=["bps3576@bps.go.id"]) == expected


def test_scrub_drops_the_question_quoted_in_the_answer():
    question = "Saya Bambang, mohon data kemiskinan Kota Mojokerto tahun 2025 untuk skripsi saya."
    answer = f"> {question}\n\nData kemiskinan 2025 ada di tabel 3."
    assert scrub(answer, question=question) == "Data kemiskinan 2025 ada di tabel 3."


@pytest.mark.parametrize(
    "text, limit, clipped",
    [
        ("Data inflasi 2025", 17, "Data inflasi 2025"),  # fits: whole, unmarked
        ("Data inflasi 2025", 15, "Data inflasi [...]"),  # never half a word
        ("Data inflasi\n bulanan", 18, "Data inflasi [...]"),  # a line break left hanging is trimmed
        ("x" * 20, 8, "xxxxxxxx [...]"),  # no word boundary: cut where the limit falls
    ],
)
def test_clip_cuts_at_a_word_boundary_and_marks_the_cut(text, limit, clipped):
    assert clip(text, limit) == clipped


def test_excerpt_folds_whitespace_before_clipping():
    assert excerpt("Data\n\n  inflasi   bulanan", 15) == "Data inflasi [...]"
