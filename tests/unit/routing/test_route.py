"""The route step in the pipeline, and `helpdesk route --explain` (its output checked line by line)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.deskharness import Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail


def helpdesk(settings: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `helpdesk` command on these settings, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "helpdesk", "--config", str(settings), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.parent,
    )


def test_complaint_goes_to_the_complaints_team_with_high_priority(tmp_path):
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail(subject="Keluhan pelayanan PST", body="Saya ingin menyampaikan keluhan."))
    ack, note = desk.take()
    ticket = desk.ticket()
    assert (ticket.team, ticket.category, ticket.priority, ticket.assignee) == (
        "pengaduan",
        "pengaduan",
        "high",
        "siti@bps.go.id",
    )
    assert ticket.tags == ["pengaduan"]
    assert to_of(note) == ["siti@bps.go.id"] and "prioritas high" in text_of(note)
    [routed] = [e for e in ticket.events if e.type == "routed"]
    assert routed.data["rules"] == ["pengaduan"]


def test_rule_reply_days_changes_the_deadline_the_acknowledgement_promises(tmp_path):
    desk = Desk(
        tmp_path,
        offices=("7604",),
        operators='[[operators]]\nname = "Andi"\naddress = "andi@bps.go.id"\noffice = "7604"\nteam = "konsultasi"\n',
    )
    # Mamuju promises 3 working days; its rule "tautan-publikasi" promises 1. Monday 10:05 WITA.
    desk.deliver(
        citizen_mail(to="bps7604@bps.go.id", subject="Minta link publikasi Mamuju Dalam Angka"),
        office="7604",
    )
    desk.deliver(citizen_mail(to="bps7604@bps.go.id", subject="Data kemiskinan"), office="7604")
    ack1, _, ack2, _ = desk.take()
    assert "Selasa, 24 November 2026 pukul 10.05 WITA" in text_of(ack1)
    assert "Kamis, 26 November 2026 pukul 10.10 WITA" in text_of(ack2)
    quick = desk.ticket("PST-7604-2026-000001")
    assert (quick.reply_days, quick.category) == (1, "publikasi")


def test_unassigned_when_nobody_can_take_it(tmp_path):
    desk = Desk(tmp_path, operators="")
    desk.deliver(citizen_mail())
    [ack] = desk.take()
    ticket = desk.ticket()
    assert ticket.assignee == "" and ticket.team == "konsultasi"
    assert "has no operators" in [e for e in ticket.events if e.type == "routed"][0].data["assignment"]


def test_operator_out_of_office_reply_moves_the_ticket_and_marks_them_away_today(tmp_path):
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail())
    _, note = desk.take()
    ooo = reply_to(note, "Saya sedang cuti sampai 30 November.", to="bps3576@bps.go.id")
    ooo = ooo.replace(b"Subject: Re:", b"Auto-Submitted: auto-replied\nSubject: Automatic reply: Re:", 1)
    desk.deliver(ooo)
    [moved] = desk.take()
    assert to_of(moved) == ["dimas@bps.go.id"] and "sedang tidak di kantor" in text_of(moved)
    assert desk.ticket().assignee == "dimas@bps.go.id"
    assert desk.app.store.office_meta("3576").auto_replies == {"rina@bps.go.id": "2026-11-23"}
    desk.deliver(citizen_mail(subject="Data PDRB"))  # Rina is skipped for the rest of the day
    assert desk.ticket("PST-3576-2026-000002").assignee == "dimas@bps.go.id"
    desk.deliver(citizen_mail(subject="Data sensus"), after=timedelta(days=1))
    assert desk.ticket("PST-3576-2026-000003").assignee == "rina@bps.go.id"


EXPECTED_EXPLAIN = """\
mail: <explain-1@example.org> from warga@example.org, subject 'Keluhan: data inflasi salah', language id, 1 attachment(s)
office: 3576 BPS 3576
kind: new (no rule matched)
rules:
  rule 'bahasa-inggris' (00-semua-kantor.toml:4): no match
  rule 'ada-lampiran' (00-semua-kantor.toml:9): matched (1 attachment(s)) -> tags+=['lampiran']
  rule 'pengaduan' (3576.toml:9): matched (looks like a complaint ('Keluhan')) -> team='pengaduan', \
category='pengaduan', priority='high', tags+=['pengaduan']
  rule 'pengaduan' (3576.toml:9): stop
  default: team already 'pengaduan' from rule 'pengaduan', category already 'pengaduan' from rule 'pengaduan'
result: team=pengaduan operator=- category=pengaduan priority=high reply_days=2 (office) tags=['lampiran', 'pengaduan']
assignee: siti@bps.go.id - team 'pengaduan', round robin: first in the team
"""


def test_route_explain_says_which_rules_matched_why_and_the_result(tmp_path):
    desk = Desk(tmp_path)
    eml = tmp_path / "q.eml"
    eml.write_bytes(
        citizen_mail(
            subject="Keluhan: data inflasi salah",
            message_id="<explain-1@example.org>",
            attachments=[("bukti.pdf", "application/pdf", b"%PDF")],
        )
    )
    out = helpdesk(tmp_path / "settings.toml", "route", "--explain", str(eml), "--now", "2026-11-23T09:00:00+07:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == EXPECTED_EXPLAIN
    assert desk.app.store.hot_tickets() == []  # explaining changes nothing


def test_route_explain_without_an_office_recipient_asks_for_one(tmp_path):
    Desk(tmp_path)
    eml = tmp_path / "q.eml"
    eml.write_bytes(citizen_mail(to="someone@example.org"))
    out = helpdesk(tmp_path / "settings.toml", "route", "--explain", str(eml))
    assert out.returncode == 1
    assert out.stdout.splitlines()[-1] == "office: none of the recipients is an office address; give --office CODE"


def test_unassigned_ticket_gets_an_operator_when_the_citizen_writes_again(tmp_path):
    desk = Desk(
        tmp_path,
        operators='[[operators]]\nname = "Rina"\naddress = "rina@bps.go.id"\n'
        'office = "3576"\nteam = "konsultasi"\nabsent = ["2026-11-23"]\n',
    )
    desk.deliver(citizen_mail(message_id="<q1@example.org>"))
    [ack] = desk.take()
    assert desk.ticket().assignee == ""
    desk.deliver(citizen_mail(body="Mohon dibantu.", in_reply_to="<q1@example.org>"), after=timedelta(days=1))
    [note] = desk.take()
    assert to_of(note) == ["rina@bps.go.id"] and "Mohon dibantu." in text_of(note)
    assert desk.ticket().assignee == "rina@bps.go.id"


def test_check_reports_a_bad_rule_with_its_file_and_line(tmp_path):
    Desk(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "3576.toml").write_text(
        'office = "3576"\n\n[[rules]]\nname = "x"\nwhen.subjek_words = ["inflasi"]\nthen.team = "konsultasi"\n'
    )
    settings = tmp_path / "settings.toml"
    settings.write_text(
        settings.read_text().replace(
            f'rules_dir = "{Path(__file__).resolve().parents[3] / "rules"}"',
            f'rules_dir = "{rules}"',
        )
    )
    out = helpdesk(settings, "check")
    assert out.returncode == 2
    assert f"{rules}/3576.toml:5: rule 'x': when.subjek_words: unknown condition" in out.stdout


def test_forged_out_of_office_without_the_operators_token_marks_nobody_away(tmp_path):
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail())
    desk.take()
    desk.deliver(
        citizen_mail(
            sender="Rina <rina@bps.go.id>",
            subject="Automatic reply: cuti",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert desk.take() == []
    assert desk.app.store.office_meta("3576").auto_replies == {}
    assert desk.ticket().assignee == "rina@bps.go.id"


def test_round_robin_alternates_even_when_each_ticket_is_closed_before_the_next(tmp_path):
    desk = Desk(tmp_path)
    assignees = []
    for i in range(4):
        desk.deliver(citizen_mail(subject=f"Data inflasi {i}"))
        number = f"PST-3576-2026-00000{i + 1}"
        assignees.append(desk.ticket(number).assignee)
        note = desk.take()[-1]
        desk.deliver(reply_to(note, "#tutup\nSelesai.", sender=f"X <{assignees[-1]}>"))
        desk.take()
    assert assignees == ["rina@bps.go.id", "dimas@bps.go.id"] * 2


def test_route_explain_with_a_broken_rule_names_file_and_line(tmp_path):
    Desk(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "3576.toml").write_text('[[rules]]\nname = "x"\nwhen.words = "inflasi"\nthen.priority = 9\n')
    settings = tmp_path / "settings.toml"
    repo_rules = Path(__file__).resolve().parents[3] / "rules"
    settings.write_text(settings.read_text().replace(f'rules_dir = "{repo_rules}"', f'rules_dir = "{rules}"'))
    eml = tmp_path / "q.eml"
    eml.write_bytes(citizen_mail())
    out = helpdesk(settings, "route", "--explain", str(eml))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"{rules}/3576.toml:4: rule 'x': then.priority: expected one of low, normal, high, urgent, got 9"
    )
