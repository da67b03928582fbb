"""The ASCII shortcut of the language guess counts the words the regular expression finds (issue 12 item 5)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.inbound.parse import _EN_WORDS, _ID_WORDS, language

PIECES = ["the", "and", "please", "yang", "dan", "mohon", "The", "AND", "x", "2026", "_", "-", ".", " ", "\n", "é", "İ"]


def by_regex(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    en = sum(w in _EN_WORDS for w in words)
    idn = sum(w in _ID_WORDS for w in words)
    return "en" if en >= 3 and en > 2 * idn else "id"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_the_language_guess_is_the_regular_expressions(text):
    assert language(text) == by_regex(text)


def test_english_needs_three_stopwords_and_twice_the_indonesian_ones():
    assert language("Could you please send the data, thanks") == "en"
    assert language("Mohon data the and") == "id"
    assert language("please, the-and;dan") == "en"
