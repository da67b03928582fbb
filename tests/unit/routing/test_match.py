"""Matchers and rule order: each matcher as a table, first setter wins, stop, the default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.model import Attachment, InboundMail
from helpdesk.routing.conditions import MATCHERS, MailView, RuleError
from helpdesk.routing.match import Rule, decide

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def view(office: str = "3576", **kw) -> MailView:
    base = dict(
        message_id="<m@x>",
        received_at=NOW,
        from_addr="warga@example.org",
        from_trusted_form=True,
        to=["bps3576@bps.go.id"],
        subject="Permintaan data",
        text="Mohon data.",
    )
    base.update(kw)
    return MailView.of(InboundMail(**base), office)


PDF = Attachment("Surat Permohonan.PDF", "application/pdf", 10)
JPG = Attachment("scan.jpg", "image/jpeg", 10)


@pytest.mark.parametrize(
    "matcher, value, mail, reason",
    [
        ("office", "3576", view(), "office is 3576"),
        ("office", ["3571", "3514"], view(), None),
        ("recipient", "BPS3576@bps.go.id", view(), "sent to bps3576@bps.go.id"),
        (
            "recipient",
            "ipds3576@bps.go.id",
            view(cc=["ipds3576@bps.go.id"]),
            "sent to ipds3576@bps.go.id",
        ),
        ("sender", "warga@example.org", view(), "sender is warga@example.org"),
        ("sender", ["x@y.z"], view(), None),
        (
            "sender_domain",
            "go.id",
            view(from_addr="kepala@jatimprov.go.id"),
            "sender domain jatimprov.go.id is under go.id",
        ),
        ("sender_domain", "go.id", view(from_addr="a@notgo.id"), None),
        ("sender_domain", "@example.org", view(), "sender domain example.org is under example.org"),
        (
            "subject_words",
            ["inflasi"],
            view(subject="Data INFLASI 2025"),
            "subject contains 'INFLASI'",
        ),
        (
            "subject_words",
            "inflasi",
            view(subject="Data inflasinya"),
            "subject contains 'inflasinya'",
        ),
        ("subject_words", "inflasi", view(subject="deflasi"), None),
        ("subject_words", "impor", view(subject="An important question"), None),
        ("subject_words", "PDRB", view(text="PDRB Mojokerto"), None),
        (
            "body_words",
            "kemiskinan",
            view(text="angka Kemiskinan 2024"),
            "body contains 'Kemiskinan'",
        ),
        (
            "body_words",
            "indeks harga",
            view(text="indeks\nharga konsumen"),
            "body contains 'indeks\\nharga'",
        ),
        ("words", ["sensus"], view(text="hasil sensus pertanian"), "body contains 'sensus'"),
        ("words", ["sensus"], view(subject="Sensus"), "subject contains 'Sensus'"),
        (
            "subject_regex",
            r"\bST20\d\d\b",
            view(subject="data st2023"),
            "subject matches /\\bST20\\d\\d\\b/ at 'st2023'",
        ),
        (
            "body_regex",
            r"tahun\s+20(1|2)\d",
            view(text="untuk Tahun 2019"),
            "body matches /tahun\\s+20(1|2)\\d/ at 'Tahun 2019'",
        ),
        ("attachment", True, view(attachments=[PDF]), "1 attachment(s)"),
        ("attachment", True, view(), None),
        ("attachment", False, view(), "no attachment"),
        (
            "attachment_type",
            "pdf",
            view(attachments=[PDF]),
            "attachment 'surat permohonan.pdf' (application/pdf) is pdf",
        ),
        ("attachment_type", ".pdf", view(attachments=[JPG]), None),
        (
            "attachment_type",
            "image/*",
            view(attachments=[JPG]),
            "attachment 'scan.jpg' (image/jpeg) is image/*",
        ),
        (
            "attachment_type",
            "application/pdf",
            view(attachments=[JPG, PDF]),
            "attachment 'surat permohonan.pdf' (application/pdf) is application/pdf",
        ),
        ("language", "en", view(language="en"), "language is en"),
        ("language", "en", view(), None),
        (
            "complaint",
            True,
            view(subject="Keluhan pelayanan"),
            "looks like a complaint ('Keluhan')",
        ),
        (
            "complaint",
            True,
            view(text="Saya ingin komplain soal data"),
            "looks like a complaint ('komplain')",
        ),
        (
            "complaint",
            True,
            view(text="ini PENGADUAN resmi"),
            "looks like a complaint ('PENGADUAN')",
        ),
        ("complaint", True, view(), None),
        ("complaint", False, view(), "does not look like a complaint"),
    ],
)
def test_matcher(matcher, value, mail, reason):
    assert MATCHERS[matcher](value).check(mail) == reason


@pytest.mark.parametrize(
    "matcher, value",
    [
        ("office", []),
        ("sender", 3),
        ("subject_words", [""]),
        ("subject_regex", "("),
        ("attachment", "yes"),
        ("complaint", 1),
        ("language", None),
    ],
)
def test_bad_matcher_value_is_refused(matcher, value):
    with pytest.raises(RuleError):
        MATCHERS[matcher](value)


def rule(name: str, actions: dict, **when) -> Rule:
    return Rule(name, tuple(MATCHERS[k](v) for k, v in when.items()), actions)


COMPLAINT = rule(
    "pengaduan",
    {"team": "pengaduan", "priority": "high", "tags": ["pengaduan"], "stop": True},
    complaint=True,
)
INFLASI = rule("inflasi", {"team": "konsultasi", "category": "harga"}, words=["inflasi"])
LAMPIRAN = rule("lampiran", {"tags": ["lampiran"]}, attachment=True)
QUICK = rule("cepat", {"reply_days": 1, "category": "publikasi"}, subject_words=["tautan"])
DEFAULT = {"team": "konsultasi", "category": "umum"}


@pytest.mark.parametrize(
    "rules, mail, expected",
    [
        # nothing matches: the default decides
        ([COMPLAINT, INFLASI], view(), ("konsultasi", "umum", "normal", None, [], [])),
        # the first rule that sets a field decides it; the default fills the rest
        (
            [INFLASI, QUICK],
            view(subject="tautan inflasi"),
            ("konsultasi", "harga", "normal", 1, [], ["inflasi", "cepat"]),
        ),
        (
            [QUICK, INFLASI],
            view(subject="tautan inflasi"),
            ("konsultasi", "publikasi", "normal", 1, [], ["cepat", "inflasi"]),
        ),
        # stop ends the run: later rules add nothing, not even tags
        (
            [COMPLAINT, INFLASI, LAMPIRAN],
            view(subject="keluhan data inflasi", attachments=[PDF]),
            ("pengaduan", "", "high", None, ["pengaduan"], ["pengaduan"]),
        ),
        # tags add up across rules that do not stop
        (
            [LAMPIRAN, INFLASI, COMPLAINT],
            view(subject="keluhan inflasi", attachments=[PDF]),
            (
                "konsultasi",
                "harga",
                "high",
                None,
                ["lampiran", "pengaduan"],
                ["lampiran", "inflasi", "pengaduan"],
            ),
        ),
    ],
)
def test_rules_run_in_order(rules, mail, expected):
    d = decide(rules, DEFAULT if expected[0] != "pengaduan" else None, mail)
    assert (d.team, d.category, d.priority, d.reply_days, d.tags, d.matched) == expected


def test_default_fills_only_what_rules_left_unset():
    d = decide([QUICK], DEFAULT, view(subject="tautan publikasi"))
    assert (d.team, d.category, d.set_by["team"], d.set_by["category"]) == (
        "konsultasi",
        "publikasi",
        "default",
        "rule 'cepat'",
    )


def test_all_conditions_of_a_rule_must_hold():
    both = rule("surat", {"tags": ["surat"]}, subject_words=["permohonan"], attachment_type=["pdf"])
    assert decide([both], None, view(subject="permohonan data")).matched == []
    assert decide([both], None, view(subject="permohonan data", attachments=[PDF])).matched == ["surat"]


def test_reasons_say_why_each_rule_did_or_did_not_fire():
    d = decide([COMPLAINT, INFLASI], DEFAULT, view(subject="Data inflasi"))
    assert d.reasons == [
        "rule 'pengaduan': no match",
        "rule 'inflasi': matched (subject contains 'inflasi') -> team='konsultasi', category='harga'",
        "default: team already 'konsultasi' from rule 'inflasi', category already 'harga' from rule 'inflasi'",
    ]
