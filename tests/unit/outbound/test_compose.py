"""Composing mail: citizens' text never becomes a header, templates escape HTML, threading headers."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

import pytest

from helpdesk.outbound.compose import Templates, build_mail, header_safe, mint_message_id

NOW = datetime(2026, 12, 23, 3, 0, tzinfo=UTC)


def parsed(out):
    return email.message_from_string(out.raw, policy=default)


def build(**kw):
    args = dict(
        office="3576",
        from_addr="bps3576@bps.go.id",
        from_name="PST BPS Kota Mojokerto",
        to=["c@example.org"],
        subject="s",
        text="body",
        html=None,
        purpose="acknowledgement",
        ticket="PST-3576-2026-000001",
        message_id="<id@bps.go.id>",
        now=NOW,
    )
    args.update(kw)
    return build_mail(**args)


@pytest.mark.parametrize(
    "evil", ["a\r\nBcc: x@evil.example", "a\nBcc: x@evil.example", "a\x0bb\x00c", "a\u2028Bcc: x@evil.example"]
)
def test_subject_with_line_breaks_cannot_add_headers(evil):
    msg = parsed(build(subject=evil))
    assert msg["Bcc"] is None
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]


def test_header_safe_collapses_controls():
    assert header_safe("a\r\n b\tc") == "a b c"


def test_threading_and_loop_headers():
    msg = parsed(build(in_reply_to="<q@x>", references=["<r@x>", "<q@x>"]))
    assert msg["In-Reply-To"] == "<q@x>"
    assert msg["References"] == "<r@x> <q@x>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"] == "<id@bps.go.id>"
    assert msg["From"].addresses[0].addr_spec == "bps3576@bps.go.id"


def test_minted_message_ids_are_unique_and_in_office_domain():
    ids = {mint_message_id("ack", "PST-3576-2026-000001", "bps.go.id") for _ in range(100)}
    assert len(ids) == 100
    assert all(i.endswith("@bps.go.id>") for i in ids)


def test_html_template_escapes_the_text_it_shows():
    from types import SimpleNamespace

    office = SimpleNamespace(
        name="BPS Kota Mojokerto", address="bps3576@bps.go.id", phone="", website="", complaints=""
    )
    ticket = SimpleNamespace(number="PST-3576-2026-000001")
    r = Templates().render(
        "acknowledgement",
        "id",
        ticket=ticket,
        office=office,
        subject="<b>x</b>",
        citizen_name="<script>alert(1)</script>",
        question="<img src=x onerror=alert(1)>",
        due_text="besok",
        suggestions=[{"answer": "<script>alert(2)</script>", "link": ""}],
    )
    # The citizen's own name and question are no longer shown at all (issue 10, item 7); the text
    # that is shown (a published answer) is escaped.
    assert "<script>" not in r.html and "&lt;script&gt;alert(2)" in r.html and "alert(1)" not in r.html
    assert "<img" not in r.html
    assert r.subject.startswith("[PST-3576-2026-000001] ")


def test_templates_check_reports_missing_and_broken(tmp_path):
    (tmp_path / "broken.id.txt").write_text("Subject: x\n{% if %}")
    problems = Templates(tmp_path).check(["acknowledgement", "pengumuman"])
    assert problems[0] == f"{tmp_path}/pengumuman.id.txt: missing"  # acknowledgement ships in the package
    assert any("broken.id.txt" in p for p in problems)


def test_an_office_template_overrides_only_its_own_file(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "acknowledgement.id.txt").write_text("Subject: Diterima {{ ticket.number }}\n\nTerima kasih.\n")
    templates = Templates(tmp_path)
    ticket = SimpleNamespace(number="PST-3576-2026-000001", subject="Data", requester_name="")
    office = SimpleNamespace(name="BPS Kota Mojokerto", address="bps3576@bps.go.id")
    own = templates.render("acknowledgement", "id", ticket=ticket)
    assert (own.subject, own.text, own.html) == ("Diterima PST-3576-2026-000001", "Terima kasih.\n", None)
    shipped = templates.render("closed", "id", ticket=ticket, office=office, reason="", closed_text="hari ini")
    assert shipped.subject.startswith("[PST-3576-2026-000001]")
    assert templates.path("closed.id.txt").parent.name == "templates"
    assert templates.path("closed.id.txt").parent.parent.name == "helpdesk"
