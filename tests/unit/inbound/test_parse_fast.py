"""ASCII shortcuts of the parse (language, bounce subject, charset) agree with what they replace (issue 12 item 5)."""

from __future__ import annotations

import re
from email.message import Message

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.inbound import bounces
from helpdesk.inbound.parse import _EN_WORDS, _ID_WORDS, _PLAIN_CHARSET, _charset, language

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


SUBJECT_PIECES = ["Undeliverable", "MAIL DELIVERY", "failed", "Failure Notice", "pesan tidak", "terkirim", "Data"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SUBJECT_PIECES + [" ", ":", "é", "İ", "K"]), max_size=12).map("".join))
def test_a_bounce_subject_is_what_the_case_insensitive_pattern_finds(subject):
    assert bounces.SUBJECT.pattern == bounces.SUBJECT.pattern.lower()  # what the lower-case search relies on
    assert bounces.bounce_subject(subject) == (bounces.SUBJECT.search(subject) is not None)


# Content-Type values near the common form: each piece may be odd in a way the parameter parse reads
# differently (spaces, folding, quotes, RFC 2231 stars, other parameters, non-ASCII).
CONTENT_TYPE = st.builds(
    lambda *parts: "".join(parts),
    st.sampled_from(["text/plain", "TEXT/HTML", "text", "text/plain ", "a/b=c"]),
    st.sampled_from([";", "; ", ";\r\n ", ";\t", " ;", ""]),
    st.sampled_from(["charset=", "CharSet=", "charset*=", "charset =", "name="]),
    st.sampled_from(['"', "", "'"]),
    st.sampled_from(["utf-8", "ISO-8859-1", "us-ascii''x", "é", "a;b", ""]),
    st.sampled_from(['"', "", "'"]),
    st.sampled_from(["", " ", "\r\n", "; format=flowed", ";"]),
)


@settings(max_examples=1000, deadline=None)
@given(CONTENT_TYPE)
def test_the_charset_is_what_get_content_charset_says(value):
    part = Message()
    part["Content-Type"] = value
    assert _charset(part, part.get("content-type")) == part.get_content_charset()


def test_the_common_forms_take_the_shortcut():
    for value in ('text/plain; charset="UTF-8"', "text/html;\r\n charset=iso-8859-1", "text/plain; CHARSET=us-ascii"):
        assert _PLAIN_CHARSET.fullmatch(value), value
