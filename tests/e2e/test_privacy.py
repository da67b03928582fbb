"""Issue 10 against a real Dovecot and SMTP server: private stays private, every conversation ends.

Each test replays an attack or a careful operator's habit that leaked before, through the daemon.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta

import pytest

from tests.deskharness import KONSULTASI_3576
from tests.e2e.harness import Helpdesk
from tests.e2e.test_conversation import MON_0900, Conversation, operator_reply, plain
from tests.mailfactory import citizen_mail

BAMBANG = (
    "Selamat pagi, nama saya Bambang Sutrisno, NIK 3576012345678901, HP 081234567890. "
    "Saya memerlukan data kemiskinan Kota Mojokerto tahun 2025."
)
SARI = "Saya memerlukan data kemiskinan Kota Mojokerto tahun 2025 untuk skripsi."
PRIVATE = (
    "Bambang",
    "3576012345678901",
    "081234567890",
    "Konsultasi serupa",
    "kerabat",
    "Cara menjawab",
    "Yth. Dimas",
    "Percakapan sebelumnya",
    "+t-",
    "pst.PST-",
)


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink, operators=KONSULTASI_3576)


def inline_reply(notification, answers: list[tuple[str, str]], sender: str, at) -> bytes:
    """Reply with each answer written under the quoted line that starts with its marker, and a
    signature below the whole quote (Thunderbird, Gmail "reply inline")."""
    original = notification.get_body(("plain",)).get_content().splitlines()
    body = []
    for line in original:
        body.append("> " + line if line else ">")
        body += [f"\n{text}\n" for marker, text in answers if line.startswith(marker)]
    raw = operator_reply(notification, "", sender=sender, at=at)
    quoted = "\n".join(body)
    return (
        raw.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit").split(b"\n\n", 1)[0]
        + b"\n\n"
        + (
            "Pada Sen, 23 Nov 2026 pukul 09.01 PST Helpdesk <bps3576@bps.go.id> menulis:\n"
            f"{quoted}\n\n--\nDimas Prasetyo\nBPS Kota Mojokerto\n"
        ).encode()
    )


def second_citizen_with_similar_history(talk: Conversation) -> tuple:
    """Bambang asks and is answered (Rina); Sari asks the same (Dimas), Dimas notes, Sari writes
    again: the forwarded notification carries the similar consultation and the internal note."""
    _, note1 = talk.deliver(
        citizen_mail(sender="Bambang <bambang@example.org>", body=BAMBANG, subject="Data kemiskinan 2025"),
        MON_0900,
        expect=2,
    )
    talk.deliver(
        operator_reply(note1.message, "Data kemiskinan 2025 ada di tabel 3 publikasi kami.", at=MON_0900),
        MON_0900 + timedelta(minutes=10),
        expect=1,
    )
    at = MON_0900 + timedelta(hours=1)
    ack2, note2 = talk.deliver(
        citizen_mail(sender="Sari <sari@example.org>", body=SARI, subject="Data kemiskinan 2025"), at, expect=2
    )
    assert note2.rcpt_tos == ["dimas@bps.go.id"]
    talk.deliver(
        operator_reply(
            note2.message,
            "#catatan\nPemohon ini kerabat pegawai, prioritaskan.",
            sender="Dimas Prasetyo <dimas@bps.go.id>",
            at=at,
        ),
        at + timedelta(minutes=5),
        expect=0,
    )
    follow = citizen_mail(
        sender="Sari <sari@example.org>",
        subject="Re: " + str(ack2.message["Subject"]),
        body="Mohon juga data tahun 2024.",
        in_reply_to=ack2.message["Message-ID"],
    )
    [forward] = talk.deliver(follow, at + timedelta(minutes=10), expect=1)
    text = plain(forward)
    assert "Konsultasi serupa" in text and "tabel 3 publikasi kami" in text and "kerabat" in text
    return forward, at + timedelta(minutes=20)


def test_inline_answer_reaches_the_citizen_without_any_quoted_staff_text(hd):
    talk = Conversation(hd)
    forward, at = second_citizen_with_similar_history(talk)
    reply = inline_reply(
        forward.message,
        [
            ("Mohon juga data", "Data 2024 juga tersedia di tabel 3."),
            ("PST-3576-2026-000001:", "Silakan unduh dari website kami."),
        ],
        "Dimas Prasetyo <dimas@bps.go.id>",
        at,
    )
    [answer] = talk.deliver(reply, at, expect=1)
    assert answer.rcpt_tos == ["sari@example.org"]
    text = plain(answer)
    said = [line for line in text.split("\n--\n")[0].splitlines() if line.strip()]
    # Only the answer, and the citizen's own words quoted back to her.
    assert [line for line in said if not line.startswith(">")] == [
        "Data 2024 juga tersedia di tabel 3.",
        "Silakan unduh dari website kami.",
    ]
    assert all(line[2:] in (SARI, "Mohon juga data tahun 2024.") for line in said if line.startswith(">"))
    raw = answer.data.decode(errors="replace")
    for leaked in PRIVATE:
        assert leaked not in raw, leaked


def test_internal_text_edited_into_an_answer_is_held_and_the_operator_told(hd):
    talk = Conversation(hd)
    forward, at = second_citizen_with_similar_history(talk)
    similar = next(line for line in plain(forward).splitlines() if "tabel 3 publikasi kami" in line)
    edited = f"Lihat juga: {similar.split(':', 1)[1].strip()} (sudah kami jawab)"
    [notice] = talk.deliver(
        operator_reply(forward.message, edited, sender="Dimas <dimas@bps.go.id>", at=at), at, expect=1
    )
    assert notice.rcpt_tos == ["dimas@bps.go.id"] and "tidak diteruskan" in str(notice.message["Subject"])
    assert "teks internal" in plain(notice)
    ticket = hd.store().ticket("PST-3576-2026-000002")
    assert ticket.status.value == "open"
    [held] = [e for e in ticket.events if e.type == "relay_refused"]
    assert held.summary.startswith("reply held: ")
    assert [m.rcpt_tos for m in hd.sink.messages].count(["sari@example.org"]) == 1  # the acknowledgement


TRUSTED = 'trusted_authserv_id = "mx.bps.go.id"'
FAKE_PAYMENT = "#tutup #publik\nBiaya data Rp 500.000, transfer ke rekening 1234567890 a.n. Budi."


def authenticated(results: list[str], body: str) -> bytes:
    """Mail From the operator with no reply token, stamped with these Authentication-Results."""
    headers = {"Authentication-Results": results[0]}
    raw = citizen_mail(
        sender="Rina Wulandari <rina@bps.go.id>", subject="Re: [PST-3576-2026-000001] data", body=body, headers=headers
    )
    extra = "".join(f"Authentication-Results: {r}\r\n" for r in results[1:])
    return raw.replace(b"\r\n\r\n", ("\r\n" + extra).encode() + b"\r\n", 1) if extra else raw


@pytest.mark.parametrize(
    "results",
    [
        ["mx.bps.go.id; dmarc=fail header.i=dmarc=pass.header.from=bps.go.id@evil.example"],
        ["mx.bps.go.id; dmarc=fail smtp.mailfrom=dmarc=pass.header.from=bps.go.id"],
        ["mx.bps.go.id; dmarc=fail header.from=bps.go.id", "mx.bps.go.id; dmarc=pass header.from=bps.go.id"],
    ],
    ids=["header.i-value", "smtp.mailfrom-value", "forged-pass-below"],
)
def test_forged_authentication_results_speak_for_nobody(tmp_path, dovecot, smtp_sink, results):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, operators=KONSULTASI_3576, extra_settings=TRUSTED)
    talk = Conversation(hd)
    talk.deliver(citizen_mail(), MON_0900, expect=2)
    [notice] = talk.deliver(authenticated(results, FAKE_PAYMENT), MON_0900 + timedelta(hours=1), expect=1)
    assert notice.rcpt_tos == ["rina@bps.go.id"]
    [ticket] = hd.tickets()
    assert ticket.status.value == "open" and ticket.public is False
    assert not [e for e in ticket.events if e.type in ("reply", "command", "status")]


def test_the_trusted_servers_own_dmarc_pass_lets_the_operator_answer(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, operators=KONSULTASI_3576, extra_settings=TRUSTED)
    talk = Conversation(hd)
    talk.deliver(citizen_mail(), MON_0900, expect=2)
    results = [
        "mx.bps.go.id; dkim=pass header.d=bps.go.id; dmarc=pass (p=reject) header.from=bps.go.id",
        "evil.example; dmarc=fail header.from=bps.go.id",
    ]
    [answer] = talk.deliver(
        authenticated(results, "Data inflasi ada di tabel 2."), MON_0900 + timedelta(hours=1), expect=1
    )
    assert answer.rcpt_tos == ["warga@example.org"] and plain(answer).startswith("Data inflasi ada di tabel 2.")


def with_attached_mail(raw: bytes, attached: bytes, pdf: bool = False) -> bytes:
    """The reply with a mail attached as message/rfc822 (Outlook can attach the one answered)."""
    msg = email.message_from_bytes(raw, policy=email.policy.SMTP)
    msg.add_attachment(email.message_from_bytes(attached, policy=email.policy.SMTP))
    if pdf:
        msg.add_attachment(b"%PDF-1.4 tabel", maintype="application", subtype="pdf", filename="tabel.pdf")
    return msg.as_bytes()


def test_an_attached_notification_is_refused_and_never_reaches_the_citizen(hd):
    talk = Conversation(hd)
    _, note = talk.deliver(citizen_mail(), MON_0900, expect=2)
    reply = with_attached_mail(operator_reply(note.message, "Data terlampir."), note.data)
    [notice] = talk.deliver(reply, MON_0900 + timedelta(hours=1), expect=1)
    assert notice.rcpt_tos == ["rina@bps.go.id"] and "kode balasan" in plain(notice)
    [ticket] = hd.tickets()
    assert ticket.status.value == "open" and "relay_refused" in [e.type for e in ticket.events]
    assert not [e for e in ticket.events if e.type == "reply"]


def test_only_files_are_relayed_and_an_attached_mail_is_never_base64(hd):
    talk = Conversation(hd)
    other = citizen_mail(sender="kolega@bps.go.id", subject="Tabel internal", body="Draf, jangan disebar.")
    # A citizen's forwarded mail reaches the operator as a file, never as base64 message/rfc822.
    _, note = talk.deliver(with_attached_mail(citizen_mail(), other), MON_0900, expect=2)
    parts = [p for p in note.message.walk() if p.get_content_disposition() == "attachment"]
    assert [(p.get_content_type(), p["Content-Transfer-Encoding"]) for p in parts] == [
        ("application/octet-stream", "base64")
    ]
    reply = with_attached_mail(operator_reply(note.message, "Data terlampir."), other, pdf=True)
    [answer] = talk.deliver(reply, MON_0900 + timedelta(hours=1), expect=1)
    assert answer.rcpt_tos == ["warga@example.org"]
    assert [(p.get_content_type(), p.get_filename()) for p in answer.message.iter_attachments()] == [
        ("application/pdf", "tabel.pdf")
    ]
    assert b"jangan disebar" not in answer.data and b"Tabel internal" not in answer.data


PERSONAL_ANSWER = (
    "#publik\nYth. Bapak Bambang Sutrisno,\n\nData kemiskinan Kota Mojokerto 2025 ada di tabel 3 "
    "publikasi kami. Bila perlu, hubungi saya di 0812-3456-7890 atau rina.pribadi@gmail.com; "
    "NIK Bapak 3576012345678901 sudah kami catat."
)


def test_a_suggested_public_answer_carries_no_one_elses_personal_data(hd):
    talk = Conversation(hd)
    _, note1 = talk.deliver(
        citizen_mail(sender="Bambang Sutrisno <bambang@example.org>", body=BAMBANG, subject="Data kemiskinan 2025"),
        MON_0900,
        expect=2,
    )
    talk.deliver(operator_reply(note1.message, PERSONAL_ANSWER), MON_0900 + timedelta(minutes=10), expect=1)
    ack, note2 = talk.deliver(
        citizen_mail(sender="Sari <sari@example.org>", body=SARI, subject="Data kemiskinan 2025"),
        MON_0900 + timedelta(hours=1),
        expect=2,
    )
    suggestion, internal = plain(ack).split("Mungkin jawaban ini membantu Anda", 1)[1], plain(note2)
    assert "Data kemiskinan Kota Mojokerto 2025 ada di tabel 3" in suggestion
    assert "Data kemiskinan Kota Mojokerto 2025 ada di tabel 3" in internal
    for text in (suggestion, internal.split("----- Konsultasi serupa", 1)[1]):
        for private in (
            "Bambang",
            "Sutrisno",
            "Yth.",
            "0812-3456-7890",
            "rina.pribadi",
            "3576012345678901",
            "nama saya",
            "bambang@example.org",
        ):
            assert private not in text, private


def test_a_hand_over_note_goes_to_the_new_assignee_and_the_clock_keeps_running(hd):
    talk = Conversation(hd)
    _, note = talk.deliver(citizen_mail(), MON_0900, expect=2)
    due = hd.tickets()[0].due_at
    handover = "#alihkan Dimas\nPak Dimas, pemohon ini pernah mengeluh soal data 2024; mohon hati-hati."
    [forwarded] = talk.deliver(operator_reply(note.message, handover), MON_0900 + timedelta(hours=1), expect=1)
    assert forwarded.rcpt_tos == ["dimas@bps.go.id"] and "pernah mengeluh" in plain(forwarded)
    [ticket] = hd.tickets()
    assert (ticket.status.value, ticket.assignee, ticket.due_at, ticket.answered_at) == (
        "open",
        "dimas@bps.go.id",
        due,
        None,
    )
    assert [e.type for e in ticket.events if e.type in ("reply", "handover")] == ["handover"]
    assert [m.rcpt_tos for m in hd.sink.messages].count(["warga@example.org"]) == 1  # the acknowledgement


def answered_then_published_alone(talk: Conversation, later: str) -> None:
    """Bambang asks; Rina answers, publishes that answer with a bare #publik, then writes `later`."""
    _, note = talk.deliver(
        citizen_mail(sender="Bambang <bambang@example.org>", body=BAMBANG, subject="Data kemiskinan 2025"),
        MON_0900,
        expect=2,
    )
    t = MON_0900 + timedelta(minutes=10)
    talk.deliver(
        operator_reply(note.message, "Data kemiskinan Kota Mojokerto 2025 ada di tabel 3 publikasi kami.", at=t),
        t,
        expect=1,
    )
    talk.deliver(
        operator_reply(note.message, "#publik", at=t + timedelta(minutes=1)), t + timedelta(minutes=1), expect=0
    )
    talk.deliver(
        operator_reply(note.message, later, at=t + timedelta(minutes=2)),
        t + timedelta(minutes=2),
        expect=2 if later.startswith("#tutup") else 1,
    )


def test_a_bare_publik_publishes_the_answer_before_it_never_a_later_one(hd):
    talk = Conversation(hd)
    answered_then_published_alone(talk, "Khusus untuk Bapak: data mentah kami kirim lewat WA pribadi saya.")
    ack, _ = talk.deliver(
        citizen_mail(sender="Sari <sari@example.org>", body=SARI, subject="Data kemiskinan 2025"),
        MON_0900 + timedelta(hours=1),
        expect=2,
    )
    suggestion = plain(ack).split("Mungkin jawaban ini membantu Anda", 1)[1]
    assert "ada di tabel 3 publikasi kami" in suggestion and "WA pribadi" not in suggestion


def test_search_shows_the_published_answer_not_the_closing_thanks(hd):
    talk = Conversation(hd)
    answered_then_published_alone(talk, "#tutup\nSama-sama, terima kasih.")
    found = hd.cli("search", "data kemiskinan", "--json")
    assert found.returncode == 0, found.stderr
    [hit] = [json.loads(line) for line in found.stdout.splitlines()]
    assert hit["public"] is True
    assert hit["answer"] == "Data kemiskinan Kota Mojokerto 2025 ada di tabel 3 publikasi kami."


SPAM_BODY = (
    "Selamat! Alamat email Anda memenangkan hadiah Rp 100.000.000. Klaim segera di "
    "http://hadiah.evil.example/klaim?id=77 sebelum hangus. "
) * 12


def test_an_acknowledgement_repeats_no_strangers_text_or_link(hd):
    spam = citizen_mail(
        sender="Promo <spam@evil.example>",
        body=SPAM_BODY,
        subject="Anda MENANG hadiah! klaim di www.hadiah.evil.example/klaim atau bit.ly/xyz sekarang juga",
        headers={"Reply-To": "korban@example.net"},
    )
    hd.append(spam, date=MON_0900)
    hd.run_once(now=MON_0900 + timedelta(minutes=1))
    [ack] = hd.to_citizens(1)
    assert ack.rcpt_tos == ["korban@example.net"]
    subject = str(ack.message["Subject"])
    assert subject.startswith("[PST-3576-2026-000001] Permintaan Anda telah kami terima: Anda MENANG hadiah!")
    raw = ack.data.decode(errors="replace")
    for said in ("evil.example", "bit.ly", "http://hadiah", "Rp 100.000.000", "memenangkan", "Promo"):
        assert said not in raw, said


def test_acknowledgements_beyond_the_hourly_cap_wait_and_supervisors_are_told_once(hd):
    hd.settings_path.write_text(
        hd.settings_path.read_text().replace(
            'supervisors = ["pst3576@bps.go.id"]', 'supervisors = ["pst3576@bps.go.id"]\nack_per_hour = 2'
        )
    )
    for i in range(4):
        hd.append(citizen_mail(sender=f"warga{i}@example.org"), date=MON_0900)
    hd.run_once(now=MON_0900 + timedelta(minutes=1))
    assert sorted(m.rcpt_tos[0] for m in hd.to_citizens(2)) == ["warga0@example.org", "warga1@example.org"]
    [told] = [m for m in hd.to_staff("pst3576@bps.go.id") if "Tanda terima ditunda" in str(m.message["Subject"])]
    assert "10.00 WIB" in told.message.get_body(("plain",)).get_content()
    assert len(hd.tickets()) == 4 and len(hd.to_citizens()) == 2
    hd.run_once(now=MON_0900 + timedelta(hours=1, minutes=1))
    assert sorted(m.rcpt_tos[0] for m in hd.to_citizens(4)) == [f"warga{i}@example.org" for i in range(4)]
    assert len([m for m in hd.to_staff("pst3576@bps.go.id") if "ditunda" in str(m.message["Subject"])]) == 1


def test_only_an_answer_to_the_rating_request_rates(hd):
    talk = Conversation(hd)
    _, note = talk.deliver(citizen_mail(), MON_0900, expect=2)
    _, closing = talk.deliver(
        operator_reply(note.message, "#tutup\nData ada di tabel 2."), MON_0900 + timedelta(hours=1), expect=2
    )
    number = "PST-3576-2026-000001"
    forged = citizen_mail(subject=f"Re: [{number}] Penilaian", body="1")  # From the citizen, forged
    talk.deliver(forged, MON_0900 + timedelta(hours=2), expect=0)
    ticket = hd.store().ticket(number)
    assert ticket.rating is None and ticket.status.value == "closed"
    assert ticket.events[-1].type == "rating_refused"
    # #tutup archived the ticket before its last answer and rating request went out: both are on it.
    assert [e.summary for e in ticket.events if e.type == "mail_sent"][-2:] == ["answer", "rating_request"]
    genuine = citizen_mail(
        subject="Re: " + str(closing.message["Subject"]),
        body="5",
        in_reply_to=closing.message["Message-ID"],
        references=closing.message["Message-ID"],
    )
    talk.deliver(genuine, MON_0900 + timedelta(hours=3), expect=0)
    ticket = hd.store().ticket(number)
    assert (ticket.rating, ticket.status.value) == (5, "closed")


def test_an_answered_ticket_closes_after_the_citizens_silence_and_keeps_its_mails(hd):
    talk = Conversation(hd)
    _, note = talk.deliver(citizen_mail(), MON_0900, expect=2)
    talk.deliver(operator_reply(note.message, "Data inflasi ada di tabel 2."), MON_0900 + timedelta(hours=1), expect=1)
    hd.run_once(now=MON_0900 + timedelta(days=6, hours=2))  # a day before: the notice
    [notice] = [m for m in hd.to_citizens() if "akan ditutup" in str(m.message["Subject"])]
    assert "telah kami jawab" in plain(notice)
    hd.run_once(now=MON_0900 + timedelta(days=7, hours=2))  # 7 days of silence: closed
    [closing] = [m for m in hd.to_citizens() if "penilaian" in str(m.message["Subject"])]
    assert "tidak ada tanggapan selama 7 hari" in plain(closing)
    [ticket] = hd.tickets()
    assert ticket.status.value == "closed" and hd.store().open_tickets() == []
    sent = [e.summary for e in ticket.events if e.type == "mail_sent"]
    assert sent == ["acknowledgement", "notification", "answer", "close_notice", "rating_request"]
    shown = hd.cli("show", ticket.number)
    assert shown.returncode == 0 and "rating_request" in shown.stdout, shown.stderr
    exported = hd.cli("export", "--format", "csv", "--events")
    assert exported.returncode == 0, exported.stderr
    assert [line for line in exported.stdout.splitlines() if ",mail_sent," in line and "rating_request" in line]
