"""classify(): each rule fires for its header, the chain order decides, the reason names the header."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk.inbound.classify import classify, explain
from helpdesk.inbound.parse import parse
from helpdesk.model import InboundMail, Kind, Verdict

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
OWN = frozenset({"bps3576@bps.go.id", "bps3571@bps.go.id"})
OPS = frozenset({"ops@bps.go.id"})


def verdict(m: InboundMail) -> Verdict:
    return classify(m, own_addresses=OWN, operators=OPS)


def mail(**kw) -> InboundMail:
    base = dict(
        message_id="<m@x>",
        received_at=NOW,
        from_addr="warga@example.org",
        from_trusted_form=True,
        subject="Permintaan data",
        text="Mohon data.",
    )
    base.update(kw)
    return InboundMail(**base)


@pytest.mark.parametrize(
    "name, kind, reason",
    [
        ("plain_id.eml", Kind.NEW, "no rule matched"),
        ("english.eml", Kind.NEW, "no rule matched"),
        ("html_only.eml", Kind.NEW, "no rule matched"),
        ("alternative_attachments.eml", Kind.NEW, "no rule matched"),
        ("outlook_autoreply.eml", Kind.AUTO_REPLY, "Auto-Submitted: auto-replied"),
        ("gmail_vacation.eml", Kind.AUTO_REPLY, "Auto-Submitted: auto-replied"),
        ("postfix_bounce.eml", Kind.BOUNCE, "delivery report (multipart/report)"),
        ("exchange_ndr.eml", Kind.BOUNCE, "delivery report (multipart/report)"),
        ("mailing_list.eml", Kind.LIST, "List-Id: Forum Statistik <forum.lists.example.org>"),
        # A From naming an operator in an untrusted form goes to the relay, which refuses and records it.
        ("forged_from.eml", Kind.OPERATOR_REPLY, "From names operator ops@bps.go.id in an untrusted form"),
        ("two_from.eml", Kind.OPERATOR_REPLY, "From names operator ops@bps.go.id in an untrusted form"),
    ],
)
def test_corpus_kind(name, kind, reason):
    v = verdict(parse((CORPUS / name).read_bytes(), NOW))
    assert (v.kind, v.reason) == (kind, reason)


@pytest.mark.parametrize(
    "kw, kind, reason",
    [
        ({"from_addr": "bps3576@bps.go.id"}, Kind.LOOP, "From is our own address bps3576@bps.go.id"),
        (
            {"headers": {"x-pst-helpdesk": "3571 PST-3571-2026-000001"}},
            Kind.LOOP,
            "X-PST-Helpdesk: 3571 PST-3571-2026-000001",
        ),
        ({"headers": {"x-loop": "BPS3576@bps.go.id"}}, Kind.LOOP, "X-Loop: bps3576@bps.go.id"),
        ({"headers": {"x-loop": "other@example.org"}}, Kind.NEW, "no rule matched"),
        ({"is_delivery_report": True}, Kind.BOUNCE, "delivery report (multipart/report)"),
        ({"from_addr": "mailer-daemon@mx.example.org"}, Kind.BOUNCE, "From: mailer-daemon@mx.example.org"),
        ({"from_addr": "postmaster@example.org"}, Kind.BOUNCE, "From: postmaster@example.org"),
        (
            {"return_path": "", "headers": {"x-failed-recipients": "a@b.c"}},
            Kind.BOUNCE,
            "Return-Path: <> with X-Failed-Recipients: a@b.c",
        ),
        (
            {"return_path": "", "subject": "Returned mail: see transcript"},
            Kind.BOUNCE,
            "Return-Path: <> with subject 'Returned mail: see transcript'",
        ),
        ({"auto_submitted": "auto-generated"}, Kind.AUTO_REPLY, "Auto-Submitted: auto-generated"),
        ({"auto_submitted": 'auto-replied; owner-email="a@b"'}, Kind.AUTO_REPLY, "Auto-Submitted: auto-replied"),
        ({"auto_submitted": "no"}, Kind.NEW, "no rule matched"),
        ({"headers": {"x-autoreply": "yes"}}, Kind.AUTO_REPLY, "X-Autoreply: yes"),
        ({"headers": {"x-autorespond": "1"}}, Kind.AUTO_REPLY, "X-Autorespond: 1"),
        ({"precedence": "auto_reply"}, Kind.AUTO_REPLY, "Precedence: auto_reply"),
        (
            {"x_auto_response_suppress": "DR, OOF, AutoReply"},
            Kind.AUTO_REPLY,
            "X-Auto-Response-Suppress: autoreply, oof",
        ),
        ({"x_auto_response_suppress": "DR, RN"}, Kind.NEW, "no rule matched"),
        ({"subject": "Out of Office: data"}, Kind.NEW, "no rule matched"),
        # A null sender alone: a DSN, receipt or responder; answering it is what RFC 5321 forbids.
        ({"return_path": ""}, Kind.AUTO_REPLY, "Return-Path: <> (null sender, never answered)"),
        ({"return_path": None}, Kind.NEW, "no rule matched"),
        ({"return_path": "warga@example.org"}, Kind.NEW, "no rule matched"),
        (
            {"subject": "Balasan otomatis: data", "return_path": ""},
            Kind.AUTO_REPLY,
            "subject 'Balasan otomatis: data' with Return-Path: <>",
        ),
        (
            {"subject": "Auto: Permintaan data", "in_reply_to": "<ack@x>", "text": ""},
            Kind.AUTO_REPLY,
            "subject 'Auto: Permintaan data' with In-Reply-To and no text",
        ),
        ({"list_id": "<forum.example.org>"}, Kind.LIST, "List-Id: <forum.example.org>"),
        ({"precedence": "bulk"}, Kind.LIST, "Precedence: bulk"),
        ({"precedence": "junk"}, Kind.LIST, "Precedence: junk"),
        ({"headers": {"list-unsubscribe": "<mailto:x>"}}, Kind.NEW, "no rule matched"),
        (
            {"headers": {"list-unsubscribe": "<mailto:x>"}, "precedence": "first-class"},
            Kind.LIST,
            "List-Unsubscribe with Precedence: first-class",
        ),
        ({"from_addr": "ops@bps.go.id"}, Kind.OPERATOR_REPLY, "From is operator ops@bps.go.id"),
        (
            {"from_addr": "ops@bps.go.id", "from_trusted_form": False},
            Kind.OPERATOR_REPLY,
            "From names operator ops@bps.go.id in an untrusted form",
        ),
        (
            {"from_addr": "x@evil.example", "from_name": "ops@bps.go.id", "from_trusted_form": False},
            Kind.OPERATOR_REPLY,
            "From names operator ops@bps.go.id in an untrusted form",
        ),
        (
            {"from_addr": "x@evil.example", "from_name": "sops@bps.go.id.example", "from_trusted_form": False},
            Kind.NEW,
            "no rule matched",
        ),
        ({"from_addr": "kops@bps.go.id"}, Kind.NEW, "no rule matched"),
        (
            {"in_reply_to": "<pst.PST-3576-2026-000001.aaaaaaaaaaaaaaaaaaaaaaaa.n1@bps.go.id>"},
            Kind.OPERATOR_REPLY,
            "answers the notification for PST-3576-2026-000001 but is not from an operator",
        ),
        ({}, Kind.NEW, "no rule matched"),
    ],
)
def test_rule(kw, kind, reason):
    v = verdict(mail(**kw))
    assert (v.kind, v.reason) == (kind, reason)


@pytest.mark.parametrize(
    "kw, kind",
    [
        ({"from_addr": "bps3576@bps.go.id", "is_delivery_report": True}, Kind.LOOP),
        ({"is_delivery_report": True, "auto_submitted": "auto-replied"}, Kind.BOUNCE),
        ({"auto_submitted": "auto-replied", "list_id": "<l>"}, Kind.AUTO_REPLY),
        ({"list_id": "<l>", "from_addr": "ops@bps.go.id"}, Kind.LIST),
        ({"auto_submitted": "auto-replied", "from_addr": "ops@bps.go.id"}, Kind.AUTO_REPLY),
    ],
)
def test_chain_order_decides(kw, kind):
    assert verdict(mail(**kw)).kind is kind


def test_own_addresses_compare_case_insensitively():
    v = classify(
        mail(from_addr="bps3576@bps.go.id"), own_addresses=frozenset({"BPS3576@BPS.go.id"}), operators=frozenset()
    )
    assert v.kind is Kind.LOOP


def test_explain_lists_every_rule_that_fires_in_order():
    hits = explain(
        mail(auto_submitted="auto-replied", precedence="bulk", list_id="<l>"), own_addresses=OWN, operators=OPS
    )
    assert [h.rule for h in hits] == ["auto_submitted", "list_id", "precedence_bulk"]


def test_verdict_is_frozen():
    v = verdict(mail())
    with pytest.raises(AttributeError):
        v.kind = Kind.LOOP  # type: ignore[misc]
