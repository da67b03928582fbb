"""The plain-address shortcut reads exactly what getaddresses reads, or declines (issue 12 item 5)."""

from __future__ import annotations

from email.utils import getaddresses

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.inbound.headers import _CONTROL, _SPACES, addresses, clean, parse_from, plain_addresses

# Addresses built from parts that are mostly plain, with the characters that make address headers
# hard mixed in: quotes, comments, dots, brackets, encoded words, runs of spaces, non-ASCII.
NAME = st.one_of(
    st.lists(st.sampled_from(["Warga", "5", "B9", "a"]), min_size=1, max_size=3).map(" ".join),
    st.text(st.sampled_from(list("aB9 ") * 6 + list('."(),:;\\=?é\t<>')), max_size=12),
)
ATOMS = st.one_of(
    st.lists(st.sampled_from(["a", "b9", "x_y", "p+q", "go-id"]), min_size=1, max_size=3).map(".".join),
    st.text(st.sampled_from(list("ab9") * 6 + list('._+-"()[] é@<>,')), max_size=10),
)
ONE = st.one_of(
    st.builds(lambda name, local, domain: f"{name} <{local}@{domain}>", NAME, ATOMS, ATOMS),
    st.builds(lambda local, domain: f"{local}@{domain}", ATOMS, ATOMS),
)
HEADER = st.builds(
    lambda parts, sep: sep.join(parts), st.lists(ONE, min_size=1, max_size=3), st.sampled_from([", ", ","])
)


@settings(max_examples=300, deadline=None)
@given(st.lists(HEADER, min_size=1, max_size=2))
def test_whatever_the_shortcut_reads_getaddresses_reads_alike(values):
    plain = plain_addresses(values)
    if plain is not None:
        assert plain == getaddresses(values)


def test_the_forms_of_nearly_every_mail_take_the_shortcut():
    assert plain_addresses(["Warga 12 <warga12.ab@example.org>"]) == [("Warga 12", "warga12.ab@example.org")]
    assert plain_addresses(["bps3576@bps.go.id, pst3576@bps.go.id"]) == [
        ("", "bps3576@bps.go.id"),
        ("", "pst3576@bps.go.id"),
    ]


def test_anything_else_is_left_to_the_parser():
    for value in ['"Doe, J" <a@b.id>', "J. Doe <a@b.id>", "a@b.id (kantor)", "=?utf-8?q?A?= <a@b.id>", "a@b.id,", ""]:
        assert plain_addresses([value]) is None, value


def test_from_and_recipients_read_the_same_with_the_shortcut():
    assert parse_from(["Warga 12 <Warga12@Example.org>"]) == ("warga12@example.org", "Warga 12", True)
    assert parse_from(["ops@bps.go.id <evil@example.org>"])[2] is False
    assert addresses(["bps3576@bps.go.id, Pst <pst3576@bps.go.id>", "bps3576@bps.go.id"]) == [
        "bps3576@bps.go.id",
        "pst3576@bps.go.id",
    ]


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        st.sampled_from(list("aZ9 .<>@") * 4 + [" ", "\t", "\r", "\n", "\x00", "\x7f", "\x85", "\xa0", "\u2028", "é"])
    )
)
def test_clean_reads_printable_ascii_as_the_substitutions_do(value):
    assert clean(value, 20) == _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()[:20]
