"""The property of issue 10 through the whole pipeline (no servers): a real notification, with a
similar consultation and an internal note in it, answered in each quoting style; only the operator's
answer and the citizen's own words reach the citizen."""

from __future__ import annotations

import email
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.outbound.staffcopy import words
from tests.deskharness import Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail
from tests.replystyles import STYLES, reply, reply_html

QUESTION = ("apakah", "ada", "angka", "kemiskinan", "kabupaten", "terbaru", "saya", "butuh", "skripsi")
ANSWER = (
    "inflasi",
    "tersedia",
    "silakan",
    "unduh",
    "tabel",
    "publikasi",
    "lampirkan",
    "kunjungi",
    "halaman",
    "berikut",
    "mohon",
    "maaf",
    "triwulan",
    "sensus",
)
FOLLOW_UP = "Apakah ada angka kemiskinan terbaru?"
sentences = lambda vocab, n: st.lists(  # noqa: E731 - a small strategy factory
    st.lists(st.sampled_from(vocab), min_size=2, max_size=9).map(lambda ws: " ".join(ws).capitalize() + "."),
    min_size=1,
    max_size=n,
)


def history(desk: Desk, question: str) -> EmailMessage:
    """Bambang asked and was answered; Sari asks, Dimas notes internally, Sari writes again: the
    forwarded notification to Dimas."""
    desk.deliver(
        citizen_mail(
            sender="Bambang Sutrisno <bambang@example.org>",
            subject="Data kemiskinan",
            body="Nama saya Bambang Sutrisno, NIK 3576012345678901, HP 081234567890. Mohon angka kemiskinan terbaru.",
        )
    )
    _, first = desk.take()
    desk.deliver(reply_to(first, "Rahasiakan: kemiskinan kabupaten ada di lampiran internal kantor."))
    desk.take()
    desk.deliver(citizen_mail(sender="Sari <sari@example.org>", subject="Data kemiskinan", body=question))
    ack, second = desk.take()
    assert to_of(second) == ["dimas@bps.go.id"]
    desk.deliver(
        reply_to(
            second,
            "#catatan\nPemohon ini kerabat pegawai, jangan sebut ke siapa pun.",
            sender="Dimas Prasetyo <dimas@bps.go.id>",
        )
    )
    desk.deliver(reply_to(ack, FOLLOW_UP, sender="Sari <sari@example.org>"))
    [forward] = desk.take()
    assert "Konsultasi serupa" in text_of(forward) and "kerabat pegawai" in text_of(forward)
    return forward


def operator_mail(forward: EmailMessage, style: str, answers: list[str], width: int) -> bytes:
    staff = text_of(forward)
    raw = reply_to(forward, "x", sender="Dimas Prasetyo <dimas@bps.go.id>")
    msg = email.message_from_bytes(raw, policy=SMTP)
    if style == "html":
        msg.set_content(reply_html(staff, answers, width), subtype="html")
    else:
        msg.set_content(reply(style, staff, answers, width))
    return msg.as_bytes()


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(sentences(QUESTION, 2), sentences(ANSWER, 3), st.sampled_from(STYLES), st.integers(40, 80))
def test_only_the_answer_and_the_citizens_own_words_reach_the_citizen(question, answers, style, width):
    with tempfile.TemporaryDirectory() as root:
        desk = Desk(Path(root))
        forward = history(desk, " ".join(question))
        desk.deliver(operator_mail(forward, style, answers, width))
        [answer] = desk.take()
        assert to_of(answer) == ["sari@example.org"]
        said = text_of(answer).split("\n--\n")[0]
        own = set(words(" ".join(question) + " " + FOLLOW_UP))
        for line in said.splitlines():
            if line.strip() and line not in answers:
                assert set(words(line)) <= own, (style, line, said)
        for line in answers:
            assert line in said, (style, line, said)
