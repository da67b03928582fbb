"""Issue 15 against a real Dovecot and SMTP server: the operator's toolbox, by mail.

Saved answers in a reply (#jawaban), and commands mailed fresh to the operator's own command
address (#bantuan, #daftar, #cari); refusals for an unknown answer, a stranger and a forged operator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.outbound import tokens
from tests.deskharness import KONSULTASI_3576
from tests.e2e.harness import Helpdesk
from tests.e2e.test_conversation import MON_0900, Conversation, operator_reply, plain
from tests.mailfactory import citizen_mail

RINA = "Rina Wulandari <rina@bps.go.id>"
# The office's coordinator is also an operator: she may list the whole office.
KOORDINATOR = (
    KONSULTASI_3576
    + """
[[operators]]
name = "Wati Koordinator"
address = "pst3576@bps.go.id"
office = "3576"
team = "koordinasi"
"""
)
ANSWERED = "Inflasi Kota Mojokerto 2025 sebesar 2,41 persen; lihat tabel 3 publikasi kami."
BAMBANG = "Selamat pagi, saya Bambang Sutrisno (HP 081234567890). Mohon data inflasi Kota Mojokerto 2025."


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink, operators=KOORDINATOR)


def command_address(hd: Helpdesk, operator: str = "rina@bps.go.id") -> str:
    return tokens.desk_address("bps3576@bps.go.id", hd.env["HELPDESK_SECRET"], operator)


def command(subject: str, to: str, sender: str = RINA) -> bytes:
    return citizen_mail(sender=sender, to=to, subject=subject, body="")


def asked(talk: Conversation, at=MON_0900, body: str = BAMBANG):
    ack, note = talk.deliver(
        citizen_mail(sender="Bambang Sutrisno <bambang@example.org>", body=body, subject="Data inflasi 2025"),
        at,
        expect=2,
    )
    assert note.rcpt_tos == ["rina@bps.go.id"]
    return note


def test_saved_answers_are_filled_in_combined_and_followed_by_the_operators_text(hd):
    talk = Conversation(hd)
    note = asked(talk)
    # The command address is never in a notification's text (a quote re-wrapped mid-address could
    # carry pieces of it to the citizen); the notification says how to get it.
    assert "kirim #bantuan ke bps3576@bps.go.id." in plain(note) and "+op-" not in plain(note)
    at = MON_0900 + timedelta(hours=1)
    [answer] = talk.deliver(
        operator_reply(
            note.message, "#jawaban data-dasar kunjungan-pst\n#tutup\nTabel inflasi ada di halaman 12.", at=at
        ),
        at,
        expect=2,
    )[:1]
    assert answer.rcpt_tos == ["bambang@example.org"]
    said = plain(answer).split("\n--\n")[0]
    assert said.startswith("Yth. Bambang Sutrisno,\n\nData yang Anda perlukan tersedia tanpa biaya")
    assert "Sebutkan nomor tiket PST-3576-2026-000001." in said
    assert said.rstrip().endswith("Tabel inflasi ada di halaman 12.")
    assert hd.store().ticket("PST-3576-2026-000001").status.value == "closed"


def test_an_unknown_saved_answer_is_refused_with_the_names_and_nothing_reaches_the_citizen(hd):
    talk = Conversation(hd)
    note = asked(talk)
    at = MON_0900 + timedelta(hours=1)
    [notice] = talk.deliver(
        operator_reply(note.message, "#jawaban data-dasr\n#tutup\nTabel ada di halaman 12.", at=at), at, expect=1
    )
    assert notice.rcpt_tos == ["rina@bps.go.id"]
    text = plain(notice)
    assert "data-dasr" in text and "data-dasar (Data dasar tersedia di website)" in text
    assert "kunjungan-pst" in text and "#bantuan" in text
    assert [m.rcpt_tos for m in hd.sink.messages].count(["bambang@example.org"]) == 1  # the acknowledgement
    assert hd.store().ticket("PST-3576-2026-000001").status.value == "open"


def test_help_by_mail_and_a_forged_operator_gets_nothing(hd):
    talk = Conversation(hd)
    # Mailed to the office address, from Rina's address: anyone can write that From. Nothing goes
    # back to the sender as such; the notice goes to Rina's configured address, with her command address.
    [notice] = talk.deliver(command("#bantuan", "bps3576@bps.go.id"), MON_0900, expect=1)
    assert notice.rcpt_tos == ["rina@bps.go.id"]
    assert command_address(hd) in plain(notice) and "#bantuan" in plain(notice)
    assert "#jawaban" not in plain(notice).split("Alasan:")[1].split("\n")[0]  # no help given to a forger
    # A forger guessing a command address gets nothing but a notice to the real Rina.
    forged = "bps3576+op-" + "a" * 24 + "@bps.go.id"
    [notice2] = talk.deliver(command("#help", forged), MON_0900 + timedelta(minutes=5), expect=1)
    assert notice2.rcpt_tos == ["rina@bps.go.id"] and "#jawaban data-dasar" not in plain(notice2)
    # Rina, to her own command address: every command, every saved answer, in both languages.
    [reply] = talk.deliver(command("#bantuan", command_address(hd)), MON_0900 + timedelta(minutes=10), expect=1)
    assert reply.rcpt_tos == ["rina@bps.go.id"] and str(reply.message["Reply-To"]) == command_address(hd)
    text = plain(reply)
    for shown in (
        "#tutup",
        "#jawaban data-dasar",
        "Data dasar tersedia di website",
        "#daftar kantor",
        "#cari semua",
        "--- English ---",
        "#search all",
        command_address(hd),
    ):
        assert shown in text, shown
    assert hd.tickets() == []  # commands open no ticket


def test_my_queue_lists_open_tickets_by_deadline_and_answering_from_the_list_works(hd):
    talk = Conversation(hd)
    asked(talk, body="Mohon data kemiskinan 2024.")
    talk.deliver(
        citizen_mail(sender="Ani <ani@example.org>", body="Mohon data penduduk."),
        MON_0900 + timedelta(hours=1),
        expect=2,
    )  # Dimas's, by round robin
    asked(talk, MON_0900 + timedelta(hours=3), body="Mohon data inflasi 2025.")
    at = MON_0900 + timedelta(hours=4)
    [queue] = talk.deliver(command("#daftar", command_address(hd)), at, expect=1)
    assert queue.rcpt_tos == ["rina@bps.go.id"]
    text = plain(queue)
    first, second = text.index("[PST-3576-2026-000001]"), text.index("[PST-3576-2026-000003]")
    assert first < second and "PST-3576-2026-000002" not in text
    assert "Bambang Sutrisno <bambang@example.org>" in text and "menunggu jawaban" in text
    assert "Rabu, 25 November 2026 pukul 09.00 WIB" in text and "Rabu, 25 November 2026 pukul 12.00 WIB" in text
    reply_line = next(line for line in text.splitlines() if "Balas ke: bps3576+t-3576-2026-000003-" in line)
    address = reply_line.split("Balas ke: ")[1].strip()
    # Answering from the list: a new mail to that address, no thread at all.
    [answer] = talk.deliver(
        citizen_mail(sender=RINA, to=address, subject="Jawaban", body="Data inflasi ada di tabel 3."), at, expect=1
    )
    assert answer.rcpt_tos == ["bambang@example.org"] and "Data inflasi ada di tabel 3." in plain(answer)
    # An operator asking for the whole office is refused; the coordinator gets every open ticket.
    [refused] = talk.deliver(command("#daftar kantor", command_address(hd)), at, expect=1)
    assert refused.rcpt_tos == ["rina@bps.go.id"] and "supervisor" in plain(refused)
    hd.append(
        command("#list office", command_address(hd, "pst3576@bps.go.id"), sender="Wati <pst3576@bps.go.id>"), date=at
    )
    hd.run_once(now=at + timedelta(minutes=1))
    [office_list] = [
        m
        for m in hd.sink.messages
        if "Daftar tiket terbuka" in str(m.message["Subject"]) and m.rcpt_tos == ["pst3576@bps.go.id"]
    ]
    whole = plain(office_list)
    assert "[PST-3576-2026-000001]" in whole and "[PST-3576-2026-000002]" in whole
    assert "petugas: dimas@bps.go.id" in whole and "sudah dijawab" in whole  # 000003, answered above


def test_search_by_mail_goes_only_to_the_operator_without_personal_data(hd):
    talk = Conversation(hd)
    note = asked(talk)
    at = MON_0900 + timedelta(hours=1)
    talk.deliver(operator_reply(note.message, f"Yth. Bapak Bambang,\n\n{ANSWERED}", at=at), at, expect=1)
    [found] = talk.deliver(command("#cari inflasi Mojokerto 2025", command_address(hd)), at, expect=1)
    assert found.rcpt_tos == ["rina@bps.go.id"]
    text = plain(found)
    assert "PST-3576-2026-000001 (23-11-2026;" in text and ANSWERED in text
    assert "Pertanyaan: " in text and "data inflasi Kota Mojokerto 2025" in text
    for private in ("Bambang", "081234567890", "bambang@example.org"):
        assert private not in text, private
    [everywhere] = talk.deliver(command("#search all inflasi", command_address(hd)), at, expect=1)
    assert ANSWERED in plain(everywhere)
    [nothing] = talk.deliver(command("#cari gempa bumi", command_address(hd)), at, expect=1)
    assert "Tidak ada konsultasi terjawab" in plain(nothing)
    # A stranger asking the same is a citizen writing to the office: no search result reaches them.
    stranger = citizen_mail(
        sender="Orang Asing <asing@example.net>",
        subject="#cari inflasi Mojokerto 2025",
        body="#cari inflasi Mojokerto 2025",
    )
    ack, _ = talk.deliver(stranger, at + timedelta(minutes=5), expect=2)  # acknowledged, and a new ticket
    assert ack.rcpt_tos == ["asing@example.net"]
    assert all(
        "2,41" not in m.data.decode(errors="replace") for m in hd.sink.messages if m.rcpt_tos == ["asing@example.net"]
    )
