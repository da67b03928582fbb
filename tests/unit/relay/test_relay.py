"""The operator's reply loop through the whole pipeline (no servers): answer, commands, follow-ups."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk.model import Status
from tests.deskharness import Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail

GMAIL_REPLY = """Selamat siang Bapak/Ibu,

Data inflasi Kota Mojokerto 2025 kami lampirkan.

Salam,
Rina
--
Rina Wulandari
Statistisi Ahli Pertama, BPS Kota Mojokerto

Pada Sen, 23 Nov 2026 pukul 09.10 PST Helpdesk BPS 3576 <bps3576@bps.go.id> menulis:
> Yth. Rina Wulandari,
>
> Ada pertanyaan baru untuk Anda.
"""


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    d.deliver(citizen_mail(message_id="<q1@example.org>"))
    ack, note = d.take()
    assert to_of(ack) == ["warga@example.org"] and to_of(note) == ["rina@bps.go.id"]
    d.notification = note
    return d


def test_notification_carries_the_signed_token_and_the_question(desk):
    note = desk.notification
    assert str(note["Reply-To"]).startswith("bps3576+t-3576-2026-000001-")
    token = str(note["Reply-To"]).split("-")[-1].split("@")[0]
    assert token in note["Message-ID"]
    body = text_of(note)
    assert "PST-3576-2026-000001" in body and "data inflasi Kota Mojokerto" in body
    assert "Rabu, 25 November 2026" in body and "#tutup" in body
    assert note["Auto-Submitted"] == "auto-generated"


def test_reply_reaches_the_citizen_as_new_text_and_attachment_from_the_office(desk):
    desk.deliver(
        reply_to(
            desk.notification,
            GMAIL_REPLY,
            attachments=[("inflasi-2025.xlsx", "application/vnd.ms-excel", b"DATA" * 50)],
        )
    )
    [answer] = desk.take()
    assert to_of(answer) == ["warga@example.org"]
    assert answer["From"].addresses[0].addr_spec == "bps3576@bps.go.id"
    assert answer["In-Reply-To"] == "<q1@example.org>"
    assert answer["Subject"] == "Re: [PST-3576-2026-000001] Permintaan data inflasi 2025"
    body = text_of(answer)
    assert body.startswith(
        "Selamat siang Bapak/Ibu,\n\nData inflasi Kota Mojokerto 2025 kami lampirkan.\n\nSalam,\nRina\n"
    )
    assert "Statistisi" not in body and "menulis" not in body and "rina@bps.go.id" not in answer.as_string()
    [att] = list(answer.iter_attachments())
    assert (att.get_filename(), att.get_content()) == ("inflasi-2025.xlsx", b"DATA" * 50)
    # The citizen never sees the operator's token: References hold only citizen-facing ids.
    assert "pst.PST-" not in str(answer["References"]) and "+t-" not in answer.as_string()
    ticket = desk.ticket()
    assert ticket.status is Status.ANSWERED and ticket.due_at is None and ticket.answered_at is not None


def test_citizen_follow_up_is_forwarded_and_the_answer_to_it_relayed(desk):
    desk.deliver(reply_to(desk.notification, "Berikut datanya."))
    [answer] = desk.take()
    desk.deliver(
        reply_to(answer, "Terima kasih. Apakah ada data 2024?", sender="Warga <warga@example.org>"),
        after=timedelta(hours=1),
    )
    [forward] = desk.take()
    assert to_of(forward) == ["rina@bps.go.id"]
    assert "Apakah ada data 2024?" in text_of(forward) and "pesan lanjutan" in text_of(forward)
    assert forward["In-Reply-To"] == desk.notification["Message-ID"]  # one thread for the operator
    assert desk.ticket().status is Status.OPEN and desk.ticket().due_at is not None
    desk.deliver(reply_to(forward, "Ada, terlampir."))
    [second] = desk.take()
    assert to_of(second) == ["warga@example.org"] and text_of(second).startswith("Ada, terlampir.")


def test_tutup_relays_the_text_then_closes_with_a_rating_request(desk):
    desk.deliver(reply_to(desk.notification, "#tutup\nData sudah kami kirim lewat pos.\n"))
    answer, closing = desk.take()
    assert text_of(answer).startswith("Data sudah kami kirim lewat pos.") and "#tutup" not in text_of(answer)
    assert to_of(closing) == ["warga@example.org"] and "penilaian" in text_of(closing)
    ticket = desk.ticket()
    assert ticket.status is Status.CLOSED


def test_catatan_stays_internal(desk):
    desk.deliver(reply_to(desk.notification, "#catatan\nPengguna ini sudah menelepon kemarin."))
    assert desk.take() == []
    ticket = desk.ticket()
    [note] = [e for e in ticket.events if e.type == "note"]
    assert note.data["text"] == "Pengguna ini sudah menelepon kemarin." and note.actor == "rina@bps.go.id"
    assert ticket.status is Status.OPEN


def test_tunggu_asks_the_citizen_and_stops_the_clock(desk):
    desk.deliver(reply_to(desk.notification, "#tunggu\nMohon sebutkan tahun data yang Anda perlukan."))
    [question] = desk.take()
    assert to_of(question) == ["warga@example.org"]
    ticket = desk.ticket()
    assert ticket.status is Status.WAITING_CITIZEN and ticket.due_at is None and ticket.waiting_since


def test_alihkan_hands_the_ticket_to_another_operator(desk):
    desk.deliver(reply_to(desk.notification, "#alihkan Dimas"))
    [note] = desk.take()
    assert to_of(note) == ["dimas@bps.go.id"] and "dialihkan kepada Anda oleh Rina" in text_of(note)
    assert desk.ticket().assignee == "dimas@bps.go.id"
    # Rina's old token no longer acts: the ticket is Dimas's now.
    desk.deliver(reply_to(desk.notification, "Jawaban terlambat."))
    [refusal] = desk.take()
    assert to_of(refusal) == ["rina@bps.go.id"] and "dimas@bps.go.id" in text_of(refusal)
    desk.deliver(reply_to(note, "Jawaban dari Dimas.", sender="Dimas Prasetyo <dimas@bps.go.id>"))
    [answer] = desk.take()
    assert to_of(answer) == ["warga@example.org"]


def test_publik_marks_the_ticket_public_and_relays(desk):
    desk.deliver(reply_to(desk.notification, "#publik\nJawaban umum."))
    [answer] = desk.take()
    assert desk.ticket().public is True and text_of(answer).startswith("Jawaban umum.")


@pytest.mark.parametrize(
    "body, said",
    [
        ("#hapus\nJawaban.", "perintah tidak dikenal: #hapus"),
        ("#alihkan\nJawaban.", "#alihkan perlu nama atau alamat petugas"),
        ("#alihkan Budi\nJawaban.", "tidak ada petugas 'Budi'"),
        ("#tutup #tunggu\nJawaban.", "#tutup dan #tunggu tidak dapat dipakai bersama"),
        ("\n\n", "balasan kosong"),
    ],
)
def test_bad_command_tells_the_operator_and_sends_nothing_to_the_citizen(desk, body, said):
    desk.deliver(reply_to(desk.notification, body))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"]
    assert said in text_of(notice) and "tidak diteruskan" in str(notice["Subject"])
    ticket = desk.ticket()
    assert ticket.status is Status.OPEN and [e.type for e in ticket.events][-1] == "relay_refused"


def test_reply_to_a_closed_ticket_is_refused_except_a_note(desk):
    desk.deliver(reply_to(desk.notification, "#tutup\nSelesai."))
    desk.take()
    desk.deliver(reply_to(desk.notification, "Satu hal lagi."))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"] and "sudah ditutup" in text_of(notice)
    desk.deliver(reply_to(desk.notification, "#catatan\nUntuk arsip."))
    assert desk.take() == []
    assert desk.ticket().events[-1].type == "note"


def test_the_same_reply_delivered_twice_acts_once(desk):
    raw = reply_to(desk.notification, "Jawaban.", message_id="<r1@bps.go.id>")
    desk.deliver(raw)
    desk.deliver(raw)
    assert len(desk.take()) == 1


CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "replies"


@pytest.mark.parametrize(
    "client",
    [
        "gmail_id",
        "gmail_en_signature",
        "outlook_desktop_id",
        "outlook_web_en",
        "outlook_web_id_bold",
        "thunderbird_id",
        "thunderbird_en",
        "apple_mail",
        "iphone_en",
        "samsung_id",
        "outlook_android",
        "yahoo_android_id",
    ],
)
def test_reply_from_each_mail_client_reaches_the_citizen_stripped(desk, client):
    body = (CORPUS / f"{client}.txt").read_text(encoding="utf-8")
    desk.deliver(reply_to(desk.notification, body))
    [answer] = desk.take()
    expected = (CORPUS / f"{client}.expected").read_text(encoding="utf-8").strip()
    assert text_of(answer).split("\n\n--\nPST ")[0].strip() == expected


def test_reply_to_a_reminder_is_trusted_like_a_reply_to_the_notification(desk):
    from datetime import datetime

    from helpdesk.sla.actions import sweep_office
    from tests.deskharness import WIB

    desk.clock.at = datetime(2026, 11, 25, 8, 0, tzinfo=WIB)  # opening on the deadline day
    sweep_office(desk.app, desk.app.settings.office("3576"), desk.clock.now())
    [reminder] = [m for m in desk.take() if to_of(m) == ["rina@bps.go.id"]]
    assert str(reminder["Reply-To"]).startswith("bps3576+t-3576-2026-000001-")
    desk.deliver(reply_to(reminder, "Data inflasi 2025 terlampir di situs kami."))
    [answer] = desk.take()
    assert to_of(answer) == ["warga@example.org"]
    assert text_of(answer).startswith("Data inflasi 2025 terlampir di situs kami.")


def test_a_bare_publik_before_any_answer_is_refused(desk):
    desk.deliver(reply_to(desk.notification, "#publik"))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"] and "belum ada jawaban" in text_of(notice)
    assert desk.ticket().public is False
