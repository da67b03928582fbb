"""Without rules of its own an office still routes: the packaged neutral rules name no team, so a
ticket goes to the office's first team, or stays unassigned (and the digest lists it)."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk import config
from helpdesk.defaults import RULES
from helpdesk.model import InboundMail
from helpdesk.routing.route import decide_for

OFFICE = """
[helpdesk]
secret = "s-0123456789abcdef"
[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"
"""


def decision(tmp_path, extra: str = "", subject: str = "Data inflasi"):
    path = tmp_path / "settings.toml"
    path.write_text(OFFICE + extra)
    settings = config.load(path, env={})
    assert settings.rules_dir == RULES
    mail = InboundMail(
        message_id="<a@x>",
        received_at=datetime(2026, 11, 23, 2, tzinfo=UTC),
        from_addr="warga@example.org",
        to=["bps3576@bps.go.id"],
        subject=subject,
    )
    return decide_for(settings, mail, "3576", mail.received_at)


def test_the_offices_first_declared_team_gets_the_ticket(tmp_path):
    d = decision(tmp_path, '[[teams]]\noffice = "3576"\nname = "layanan"\n[[teams]]\noffice = "3576"\nname = "b"\n')
    assert (d.team, d.category) == ("layanan", "umum")
    assert d.reasons[-1] == "no rule chose a team: the office's first team 'layanan'"


def test_without_teams_the_first_operators_team(tmp_path):
    d = decision(tmp_path, '[[operators]]\nname = "Rina"\naddress = "rina@bps.go.id"\noffice = "3576"\n')
    assert d.team == "umum"


def test_with_nobody_the_ticket_stays_unassigned(tmp_path):
    assert decision(tmp_path).team == ""


def test_the_neutral_rules_still_mark_a_complaint(tmp_path):
    d = decision(tmp_path, subject="Pengaduan pelayanan")
    assert (d.category, d.priority, d.tags) == ("pengaduan", "high", ["pengaduan"])
