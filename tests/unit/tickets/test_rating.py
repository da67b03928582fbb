"""Reading a rating out of a citizen's short reply."""

from __future__ import annotations

import pytest

from helpdesk.tickets.rating import parse_rating


@pytest.mark.parametrize(
    "text, rating",
    [
        ("4", 4),
        ("5\n", 5),
        ("Nilai: 4", 4),
        ("nilai 3", 3),
        ("4/5", 4),
        ("4 / 5", 4),
        ("3 dari 5", 3),
        ("Rating: 2", 2),
        ("sangat puas", 5),
        ("Sangat puas!", 5),
        ("puas", 4),
        ("tidak puas", 1),
        ("kurang puas", 2),
        ("cukup", 3),
        ("Very satisfied", 5),
        ("5 bintang", 5),
        ("\u2b50\u2b50\u2b50\u2b50", 4),
        ("Sangat puas, terima kasih", 5),
    ],
)
def test_ratings_are_read(text, rating):
    assert parse_rating(text) == rating


@pytest.mark.parametrize(
    "text",
    [
        "",
        "6",
        "0",
        "45",
        "Saya butuh data inflasi 2025",
        "Data tahun 4 belum ada?",
        "4\nTapi saya masih butuh data PDRB tahun 2024\nmohon dikirim\nterima kasih",
        "Mohon data 3 kecamatan",
    ],
)
def test_other_text_is_not_a_rating(text):
    assert parse_rating(text) is None
