"""The lower-case shortcut of the word rules finds exactly what their pattern finds (issue 12 item 5)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.routing.conditions import WordsPattern

# Words and texts from pieces that make whole-word matching hard: suffixes, digits, underscores,
# case, runs of spaces and line breaks inside phrases, words inside words, punctuation.
PIECES = ["sensus", "Sensus", "SENSUS", "nya", "kan", "s", "in", "inflasi", "indeks", "harga", "x", "2026", "_"]
WORD = st.lists(
    st.sampled_from(["sensus", "inflasi", "indeks harga", "IHK", "se2026", "in", "x_y", "harga"]), min_size=1
)
TEXT = st.lists(
    st.one_of(st.sampled_from(PIECES), st.sampled_from([" ", "  ", "\n", ".", "-", ",", "é", "İ"])), max_size=30
).map("".join)


@settings(max_examples=500, deadline=None)
@given(WORD, TEXT)
def test_the_shortcut_finds_what_the_pattern_finds(words, text):
    pattern = WordsPattern(words)
    m = pattern.pattern.search(text)
    folded = text.lower() if text.isascii() else None
    assert pattern.search(text, folded) == (m.group(0) if m else None)


def test_a_hit_is_reported_as_written_and_only_as_a_whole_word():
    pattern = WordsPattern(["inflasi", "indeks harga"])
    text = "Deflasi, INFLASInya dan Indeks  Harga"
    assert pattern.search(text, text.lower()) == "INFLASInya"
    assert pattern.search("deflasi xinflasi inflasi_", "deflasi xinflasi inflasi_") is None
    assert pattern.search("Indeks\nHarga", "indeks\nharga") == "Indeks\nHarga"


def test_text_or_words_beyond_ascii_are_left_to_the_pattern():
    assert WordsPattern(["sensus"]).search("SENSUS İstanbul", None) == "SENSUS"
    assert WordsPattern(["ſensus"]).fast is None  # the long s matches "s" only case-insensitively
