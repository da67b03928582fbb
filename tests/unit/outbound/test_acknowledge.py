"""short_subject(): what of a sender's subject an acknowledgement may repeat."""

from __future__ import annotations

import pytest

from helpdesk.outbound.acknowledge import short_subject


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Permintaan data inflasi 2025", "Permintaan data inflasi 2025"),
        ("Klaim di http://evil.example/x sekarang", "Klaim di sekarang"),
        ("Hadiah www.evil.example dan bit.ly/abc", "Hadiah dan"),
        ("Tulis ke korban@example.net", "Tulis ke"),
        ("Data " + "sangat panjang " * 10, "Data sangat panjang sangat panjang sangat panjang sangat ..."),
        ("http://evil.example", "(tanpa perihal)"),
        ("Inflasi 2,41 persen tahun 2025", "Inflasi 2,41 persen tahun 2025"),
    ],
)
def test_short_subject_has_no_links_and_is_cut_short(subject, expected):
    assert short_subject(subject) == expected
