"""New text of an operator's reply: quotes, reply headers and signatures of real clients removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.outbound.strip import new_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "replies"
SAMPLES = sorted(CORPUS.glob("*.txt"))


def test_the_corpus_covers_the_clients():
    names = {p.stem for p in SAMPLES}
    assert len(names) >= 12
    for client in (
        "gmail_en",
        "gmail_id",
        "outlook_desktop_en",
        "outlook_desktop_id",
        "outlook_web",
        "thunderbird_en",
        "thunderbird_id",
        "apple_mail",
        "iphone",
        "samsung",
        "yahoo",
    ):
        assert any(n.startswith(client) for n in names), client


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_corpus_reply_is_stripped_to_the_new_text(sample: Path):
    body = sample.read_text(encoding="utf-8")
    expected = sample.with_suffix(".expected").read_text(encoding="utf-8").rstrip("\n")
    assert new_text(body) == expected


@pytest.mark.parametrize(
    "body, expected",
    [
        ("", ""),
        ("Terima kasih.", "Terima kasih."),
        ("\n\n  Terima kasih.\n\n", "  Terima kasih."),
        # Attribution lines, one per client and language.
        ("Ya.\n\nOn Mon, 21 Dec 2026 at 10:00, PST <a@b.id> wrote:\n> q", "Ya."),
        ("Ya.\nOn Mon, Dec 21, 2026 at 10:00\u202fAM PST <a@b.id> wrote:\n\n> q", "Ya."),
        ("Ya.\nOn Monday, December 21, 2026, 10:00:00 AM GMT+7, PST <a@b.id> wrote:\n> q", "Ya."),
        ("Ya.\nPada tanggal Sen, 21 Des 2026 10.00, PST <a@b.id> menulis:\n> q", "Ya."),
        ("Ya.\nPada Sen, 21 Des 2026 pukul 10.00 PST <a@b.id> menulis:\n> q", "Ya."),
        ("Ya.\nPada 21/12/2026 10.00, PST menulis:\n> q", "Ya."),
        ("Ya.\nOn 21/12/2026 10:00, PST wrote:\n> q", "Ya."),
        ("Ya.\nOn Dec 21, 2026, at 10:00, PST <a@b.id> wrote:\n> q", "Ya."),
        # Gmail wraps a long attribution once, anywhere in it.
        ("Ya.\nOn Mon, 21 Dec 2026 at 10:00, Layanan PST BPS Kota Mojokerto\n<a@b.id> wrote:\n> q", "Ya."),
        ("Ya.\nPada Sen, 21 Des 2026 pukul 10.00 Layanan PST <\na@b.id> menulis:\n> q", "Ya."),
        # Prose that merely starts like an attribution stays.
        ("On the data you asked about: it is in the table.", "On the data you asked about: it is in the table."),
        (
            "Pada tahun 2025 inflasi 2,5 persen.\nKepala BPS menulis: rilis Januari.",
            "Pada tahun 2025 inflasi 2,5 persen.\nKepala BPS menulis: rilis Januari.",
        ),
        ("On reflection the author wrote:\nthat is all", "On reflection the author wrote:\nthat is all"),
        # Outlook separators.
        ("Ya.\n-----Original Message-----\nFrom: x", "Ya."),
        ("Ya.\n----- Pesan Asli -----\nDari: x", "Ya."),
        ("Ya.\n\nFrom: PST <a@b.id>\nSent: Monday\nTo: x\nSubject: y\n\nbody", "Ya."),
        ("Ya.\n\nDari: PST <a@b.id>\nDikirim: Senin\nKepada: x\nPerihal: y\n\nbody", "Ya."),
        ("Ya.\n________________________________\nFrom: PST <a@b.id>\nSent: Monday\nTo: x\nSubject: y", "Ya."),
        # "From:" in prose, without the rest of a header block, stays.
        ("From: the 2025 survey, see table 3.\nThanks.", "From: the 2025 survey, see table 3.\nThanks."),
        # Footers and signatures.
        ("Ya.\n\nSent from my iPhone", "Ya."),
        ("Ya.\n\nSent from my Samsung Galaxy smartphone.", "Ya."),
        ("Ya.\n\nDikirim dari iPhone saya", "Ya."),
        ("Ya.\n\nDikirim dari Yahoo Mail di Android", "Ya."),
        ("Ya.\n\nGet Outlook for Android", "Ya."),
        ("Ya.\n\nDapatkan Outlook untuk iOS", "Ya."),
        ("Data dikirim dari kantor besok.", "Data dikirim dari kantor besok."),
        ("Ya.\n-- \nBudi\nBPS", "Ya."),
        ("Ya.\n--\nBudi", "Ya."),
        ("Ya.\n\nSalam,\nBudi", "Ya.\n\nSalam,\nBudi"),  # no delimiter: kept
        ("Ya -- tentu.\n---\nlagi", "Ya -- tentu.\n---\nlagi"),
        # Quoted lines: a trailing run goes, lines inside the answer stay.
        ("Ya.\n\n> q1\n>\n> q2\n", "Ya."),
        ("Anda menulis\n> angka 5\nitu benar.", "Anda menulis\n> angka 5\nitu benar."),
        # Nothing new at all.
        ("Sent from my iPhone\n\n> On Dec 21, 2026, at 10:00, PST wrote:\n> q", ""),
        ("-- \nBudi", ""),
        ("> only a quote", ""),
        # Bottom-posting and inline answers below an attribution.
        ("On Mon, 21 Dec 2026 at 10:00, PST <a@b.id> wrote:\n> q\n\nJawaban.\n-- \nBudi", "Jawaban."),
        ("On Mon, 21 Dec 2026 at 10:00, PST <a@b.id> wrote:\n> q1\nA1\n> q2\nA2\n", "A1\n> q2\nA2"),
    ],
)
def test_table(body, expected):
    assert new_text(body) == expected


def test_crlf_is_normalised():
    assert new_text("Ya.\r\n\r\nOn 21/12/2026 10:00, PST wrote:\r\n> q\r\n") == "Ya."


@given(st.text())
def test_never_raises_and_never_adds_text(body):
    out = new_text(body)
    assert len(out) <= len(body)
