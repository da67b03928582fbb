"""The helpdesk's own staff text never goes back out in an operator's reply, however it is quoted."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.outbound import staffcopy
from helpdesk.outbound.strip import new_text
from tests.replystyles import STYLES, reply

# Three vocabularies that never share a word: the helpdesk's staff mail, the citizen's question,
# the operator's answer. Whatever of the first reaches the output leaked.
STAFF = (
    "tiket",
    "batas",
    "pengguna",
    "konsultasi",
    "serupa",
    "internal",
    "jawaban",
    "bambang",
    "nik",
    "telepon",
    "alamat",
    "jalan",
    "melati",
    "catatan",
    "perintah",
    "balas",
    "kutipan",
    "lampiran",
    "petugas",
    "prioritas",
    "rahasia",
    "yth",
)
QUESTION = ("apakah", "ada", "angka", "kemiskinan", "kabupaten", "terbaru", "saya", "butuh", "skripsi", "tolong")
ANSWER = (
    "inflasi",
    "tersedia",
    "silakan",
    "unduh",
    "tabel",
    "publikasi",
    "kami",
    "lampirkan",
    "kunjungi",
    "halaman",
    "berikut",
    "mohon",
    "maaf",
    "bulan",
    "triwulan",
    "sensus",
)

nik = st.integers(10**15, 10**16 - 1).map(str)
phone = st.integers(10**8, 10**10).map(lambda n: f"08{n}")
staff_word = st.one_of(st.sampled_from(STAFF), nik, phone)
staff_line = st.lists(staff_word, min_size=1, max_size=14).map(
    lambda ws: ws[0].capitalize() + (" : " if len(ws) > 2 else " ") + " ".join(ws[1:])
)
lines_of = lambda vocab, n: st.lists(  # noqa: E731 - a small strategy factory
    st.lists(st.sampled_from(vocab), min_size=2, max_size=10).map(lambda ws: " ".join(ws) + "."), min_size=1, max_size=n
)


@st.composite
def notification(draw) -> tuple[str, str, str]:
    """(staff mail text, its internal block, the citizen's question)."""
    header = draw(st.lists(staff_line, min_size=1, max_size=5))
    question = draw(lines_of(QUESTION, 3))
    internal = draw(st.lists(staff_line, min_size=1, max_size=6))
    footer = draw(st.lists(staff_line, min_size=0, max_size=3))
    text = "\n".join(
        [
            *header,
            "",
            "----- Pesan pengguna -----",
            *question,
            "",
            "----- Konsultasi serupa (internal) -----",
            *internal,
            "",
            "-----",
            *footer,
        ]
    )
    return text, "\n".join(internal), "\n".join(question)


@settings(max_examples=60, deadline=None, database=None)
@given(notification(), lines_of(ANSWER, 3), st.sampled_from(STYLES), st.integers(30, 90))
# Found by this test in CI: a short internal line re-wrapped into one word a line, an inline answer right below.
@example(
    note=(
        "1000000000000000 1000000000000000\n\n----- Pesan pengguna -----\napakah apakah.\n\n"
        "----- Konsultasi serupa (internal) -----\nTiket \n\n-----",
        "Tiket ",
        "apakah apakah.",
    ),
    answer=["inflasi inflasi."],
    style="html",
    width=30,
)
def test_no_line_of_the_staff_mail_but_the_question_reaches_the_citizen(note, answer, style, width):
    staff, internal, question = note
    answers = answer
    text = new_text(reply(style, staff, answers, width))
    out = staffcopy.clean(
        text, staff=staffcopy.prints(staff), internal=staffcopy.prints(internal), allowed=staffcopy.prints(question)
    )
    assert not out.held, (style, text)
    sent = staffcopy.words(out.text)
    assert not set(sent) - set(QUESTION) - set(ANSWER), (style, out.text)
    for line in answers:  # the operator's words all go out
        assert line in out.text, (style, line, out.text)


def test_inline_answer_keeps_the_answer_and_drops_the_quoted_notification():
    staff = (
        "Yth. Rina Wulandari,\n\nTiket : PST-3576-2026-000002\nPengguna : Sari <sari@example.org>\n\n"
        "----- Konsultasi serupa yang pernah dijawab (internal) -----\n"
        "PST-3576-2026-000001: Saya Bambang, NIK 3576012345678901, HP 081234567890\n"
        "  Jawaban: Yth. Bapak Bambang, datanya ada di tabel 3."
    )
    reply_text = (
        "> Yth. Rina Wulandari,\n>\nBaik, saya jawab di sini.\n> Tiket : PST-3576-2026-000002\n"
        "> Pengguna : Sari <sari@example.org>\n\nData ada di website.\n"
        "> ----- Konsultasi serupa yang pernah dijawab (internal) -----\n"
        "> PST-3576-2026-000001: Saya Bambang, NIK 3576012345678901, HP 081234567890\n"
        ">   Jawaban: Yth. Bapak Bambang, datanya ada di tabel 3."
    )
    out = staffcopy.clean(
        reply_text,
        staff=staffcopy.prints(staff),
        internal=staffcopy.prints(staff.split("-----\n", 1)[1]),
        allowed=set(),
    )
    assert out.text == "Baik, saya jawab di sini.\n\nData ada di website."
    assert out.dropped >= 6 and not out.held


def test_internal_text_edited_into_the_answer_holds_the_reply():
    internal = "PST-3576-2026-000001: Saya Bambang, NIK 3576012345678901, HP 081234567890"
    out = staffcopy.clean(
        f"Contoh: {internal} dan lainnya.",
        staff=staffcopy.prints(internal),
        internal=staffcopy.prints(internal),
        allowed=set(),
    )
    assert out.held and out.text == ""


def test_the_citizens_question_quoted_back_stays():
    question = "Apakah ada data kemiskinan Kabupaten Mojokerto 2025?"
    staff = f"Yth. Rina,\n\n----- Pesan pengguna -----\n{question}\n"
    out = staffcopy.clean(
        f"> {question}\nYa, ada di tabel 4.",
        staff=staffcopy.prints(staff),
        internal=set(),
        allowed=staffcopy.prints(question),
    )
    assert out.text == f"> {question}\nYa, ada di tabel 4."


def test_fingerprints_survive_the_store_and_unreadable_ones_are_empty():
    values = staffcopy.prints("Satu dua tiga empat lima\nenam")
    assert staffcopy.unpack(staffcopy.pack(values)) == values and len(values) == 4  # three runs, one short line
    assert staffcopy.unpack("not base64!") == set()
