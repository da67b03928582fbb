"""The operator's toolbox through the whole pipeline, without servers (tests/deskharness)."""

from __future__ import annotations

from helpdesk.outbound import tokens
from tests.deskharness import SECRET, Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail

RINA = "Rina Wulandari <rina@bps.go.id>"


def asked(desk: Desk):
    desk.deliver(citizen_mail(sender="Bambang Sutrisno <bambang@example.org>"))
    ack, note = desk.take()
    assert to_of(note) == ["rina@bps.go.id"]
    return note


def test_help_reaches_only_an_operator_writing_to_her_command_address(tmp_path):
    desk = Desk(tmp_path)
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "rina@bps.go.id")
    desk.deliver(citizen_mail(sender=RINA, subject="#bantuan"))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"] and address in text_of(notice)
    desk.deliver(citizen_mail(sender=RINA, subject="#bantuan", to=address))
    [help_mail] = desk.take()
    assert to_of(help_mail) == ["rina@bps.go.id"] and str(help_mail["Reply-To"]) == address
    assert "#jawaban data-dasar" in text_of(help_mail) and "#search" in text_of(help_mail)


def test_a_command_with_the_trusted_servers_dmarc_pass_runs_without_the_command_address(tmp_path):
    desk = Desk(tmp_path, extra='trusted_authserv_id = "mx.bps.go.id"')
    results = {"Authentication-Results": "mx.bps.go.id; dmarc=pass header.from=bps.go.id"}
    desk.deliver(citizen_mail(sender=RINA, subject="#help", headers=results))
    [help_mail] = desk.take()
    assert to_of(help_mail) == ["rina@bps.go.id"] and "#jawaban data-dasar" in text_of(help_mail)


def test_an_operator_of_another_office_gets_no_answer_from_this_one(tmp_path):
    desk = Desk(tmp_path)
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "agus@bps.go.id")
    desk.deliver(citizen_mail(sender="Agus <agus@bps.go.id>", subject="#cari inflasi", to=address))
    [notice] = desk.take()
    assert to_of(notice) == ["agus@bps.go.id"] and "bukan 3576" in text_of(notice)
    assert "Hasil #cari" not in str(notice["Subject"])


def test_a_broken_office_answer_refuses_the_reply_instead_of_failing_the_mail(tmp_path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "rusak.md").write_text("# Rusak\nYth. {{ nma }},\n")
    desk = Desk(tmp_path, extra=f'answers_dir = "{tmp_path / "answers"}"')
    note = asked(desk)
    desk.deliver(reply_to(note, "#jawaban rusak"))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"] and "tidak dapat disusun" in text_of(notice)
    assert desk.ticket().status.value == "open"


def test_search_of_all_offices_finds_another_offices_answer_and_the_plain_search_does_not(tmp_path):
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail(to="bps3571@bps.go.id", body="Mohon data produksi padi Kediri 2025."), office="3571")
    note = next(m for m in desk.take() if to_of(m) == ["agus@bps.go.id"])
    desk.deliver(
        reply_to(
            note, "Produksi padi Kediri 2025 ada di publikasi Kediri Dalam Angka.", sender="Agus <agus@bps.go.id>"
        ),
        office="3571",
    )
    desk.take()
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "rina@bps.go.id")
    desk.deliver(citizen_mail(sender=RINA, subject="#cari padi Kediri", to=address))
    desk.deliver(citizen_mail(sender=RINA, subject="#cari semua padi Kediri", to=address))
    own, everywhere = desk.take()
    assert "Tidak ada konsultasi terjawab" in text_of(own)
    assert "PST-3571-2026-000001" in text_of(everywhere) and "Kediri Dalam Angka" in text_of(everywhere)


def test_an_answer_carrying_a_reply_address_from_the_list_is_held(tmp_path):
    desk = Desk(tmp_path)
    note = asked(desk)
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "rina@bps.go.id")
    desk.deliver(citizen_mail(sender=RINA, subject="#daftar", to=address))
    [queue] = desk.take()
    line = next(x for x in text_of(queue).splitlines() if "Balas ke:" in x)
    desk.deliver(reply_to(note, f"Silakan hubungi kami:{line}"))
    [notice] = desk.take()
    assert to_of(notice) == ["rina@bps.go.id"] and "alamat balasan" in text_of(notice)
    assert desk.ticket().status.value == "open"


def test_desk_replies_to_one_operator_are_capped_per_day(tmp_path, monkeypatch):
    from helpdesk.desk import commands

    monkeypatch.setattr(commands, "REPLIES_PER_DAY", 2)
    desk = Desk(tmp_path)
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "rina@bps.go.id")
    for _ in range(3):
        desk.deliver(citizen_mail(sender=RINA, subject="#bantuan", to=address))
    assert len(desk.take()) == 2
