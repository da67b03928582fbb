"""Commands at the top of an operator's reply, in Indonesian and English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.relay.commands import KNOWN, TAKES_ARGUMENT, Command, parse_commands


@pytest.mark.parametrize(
    "text, name",
    [
        ("#tutup", "close"),
        ("#close", "close"),
        ("#TUTUP", "close"),
        ("#Close.", "close"),
        ("#tunggu", "wait"),
        ("#wait", "wait"),
        ("#catatan", "note"),
        ("#note", "note"),
        ("#publik", "public"),
        ("#public", "public"),
    ],
)
def test_every_command_in_both_languages(text, name):
    result = parse_commands(f"\n\n{text}\nJawaban untuk warga.")
    assert [c.name for c in result.commands] == [name]
    assert result.ok and not result.unknown
    assert result.body == "Jawaban untuk warga."


@pytest.mark.parametrize(
    "text, arg",
    [
        ("#alihkan Siti Aminah", "Siti Aminah"),
        ("#assign siti.aminah@bps.go.id", "siti.aminah@bps.go.id"),
        ("#ALIHKAN: Budi", "Budi"),
        ("  #assign   budi  ", "budi"),
    ],
)
def test_assign_takes_the_rest_of_the_line(text, arg):
    result = parse_commands(text + "\nMohon dibantu.")
    assert result.commands == [Command("assign", arg, text.strip().split()[0].rstrip(":"))]
    assert result.assign_to == arg and result.body == "Mohon dibantu." and result.ok


def test_assign_without_a_name_is_an_error():
    result = parse_commands("#alihkan\nMohon dibantu.")
    assert not result.ok and result.errors and result.commands == []


def test_several_commands_on_lines_and_on_one_line():
    result = parse_commands("#tutup #publik\n\n#alihkan Budi\n\nData terlampir.\n\nSalam,\nSiti")
    assert [c.name for c in result.commands] == ["close", "public", "assign"]
    assert result.body == "Data terlampir.\n\nSalam,\nSiti"
    # With #alihkan the text is a hand-over note for the new assignee (issue 10, item 3).
    assert result.is_handover and result.citizen_text == ""


def test_words_after_a_command_on_its_line_start_the_body():
    result = parse_commands("#tunggu Mohon jelaskan kecamatan mana.\nTerima kasih.")
    assert [c.name for c in result.commands] == ["wait"]
    assert result.body == "Mohon jelaskan kecamatan mana.\nTerima kasih."


@pytest.mark.parametrize(
    "text",
    [
        "#catatan\nSudah saya telepon warga.",
        "#note Sudah saya telepon warga.",
        "#catatan #tutup\nSudah saya telepon warga.",
    ],
)
def test_note_body_never_goes_to_the_citizen(text):
    result = parse_commands(text)
    assert result.is_note and result.ok
    assert result.body == "Sudah saya telepon warga."
    assert result.citizen_text == ""


@pytest.mark.parametrize(
    "text, unknown",
    [
        ("#tutupp\nJawaban", ["#tutupp"]),
        ("#selesai\n#close", ["#selesai"]),
        ("#close #foo", ["#foo"]),
        ("#BPSMenjawab data ada", ["#BPSMenjawab"]),
    ],
)
def test_unknown_command_rejects_the_whole_reply(text, unknown):
    result = parse_commands(text)
    assert result.unknown == unknown
    assert not result.ok and result.citizen_text == ""


@pytest.mark.parametrize(
    "text",
    [
        "Jawaban.\n#tutup",
        "Data ada di #publikasi Kota Mojokerto Dalam Angka.",
        "Terima kasih.\n\n#catatan ini bukan perintah",
        "# Judul\nisi",
        "#1 adalah peringkat",
        "",
    ],
)
def test_a_hash_word_that_is_not_at_the_top_is_prose(text):
    result = parse_commands(text)
    assert result.commands == [] and result.unknown == [] and result.ok
    assert result.body == text.strip()


@pytest.mark.parametrize("text", ["#tutup\n#tunggu", "#alihkan Budi\n#alihkan Siti"])
def test_conflicting_commands_are_errors(text):
    assert not parse_commands(text).ok


def test_a_repeated_command_counts_once():
    assert parse_commands("#tutup\n#close").commands == [Command("close", "", "#tutup")]


def test_crlf_and_blank_lines_between_commands():
    result = parse_commands("\r\n#tutup\r\n\r\n#publik\r\nTerima kasih.\r\n")
    assert [c.name for c in result.commands] == ["close", "public"]
    assert result.body == "Terima kasih."


@given(st.text())
def test_never_raises(text):
    result = parse_commands(text)
    assert isinstance(result.body, str)


def test_a_long_run_of_commands_is_cheap_and_safe():
    result = parse_commands("#tutup " * 50000 + "\nTerima kasih.")
    assert result.commands == [Command("close", "", "#tutup")] and result.body == "Terima kasih."


def test_the_commands_told_to_operators_are_the_indonesian_spellings_and_each_parses():
    assert KNOWN == "#tutup, #tunggu, #alihkan NAMA, #catatan, #publik, #jawaban NAMA"
    for written in KNOWN.split(", "):
        parsed = parse_commands(written)
        assert parsed.ok and [c.name for c in parsed.commands] != [] and parsed.body == ""
        assert (" NAMA" in written) == (parsed.commands[0].name in TAKES_ARGUMENT)
