"""trust.check(): the sender read strictly, the token bound to (ticket, operator), Authentication-Results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.config import Operator
from helpdesk.model import InboundMail
from helpdesk.outbound import tokens
from helpdesk.relay.trust import Evidence, NoToken, PrivateAddress, Stranger, TokenVerifies, check

SECRET = "s" * 20
RINA = Operator("Rina", "rina@bps.go.id", "3576")
DIMAS = Operator("Dimas", "dimas@bps.go.id", "3576")
OPS = (RINA, DIMAS)
T1 = "PST-3576-2026-000001"


def mid(ticket: str, operator: str, secret: str = SECRET) -> str:
    return tokens.notification_message_id(ticket, tokens.mint(secret, ticket, operator), "n1", "bps.go.id")


def mail(**kw) -> InboundMail:
    base = dict(
        message_id="<r@x>",
        received_at=datetime(2026, 11, 23, tzinfo=UTC),
        from_addr="rina@bps.go.id",
        from_trusted_form=True,
        to=["bps3576@bps.go.id"],
    )
    base.update(kw)
    return InboundMail(**base)


def verdict(m: InboundMail, **kw):
    return check(m, operators=OPS, secret=SECRET, office="3576", **kw)


@pytest.mark.parametrize(
    "m, ok, reason",
    [
        (
            mail(in_reply_to=mid(T1, "rina@bps.go.id")),
            True,
            f"token for {T1} verifies for rina@bps.go.id",
        ),
        (
            mail(references=["<a@b>", mid(T1, "rina@bps.go.id")]),
            True,
            f"token for {T1} verifies for rina@bps.go.id",
        ),
        (
            mail(to=[tokens.reply_address("bps3576@bps.go.id", T1, tokens.mint(SECRET, T1, "rina@bps.go.id"))]),
            True,
            f"token for {T1} verifies for rina@bps.go.id",
        ),
        (
            mail(in_reply_to=mid(T1, "RINA@BPS.GO.ID")),
            True,
            f"token for {T1} verifies for rina@bps.go.id",
        ),
        (mail(), False, "no reply token: the mail does not answer a notification"),
        (
            mail(in_reply_to=mid(T1, "dimas@bps.go.id")),
            False,
            "the reply token was minted for another operator",
        ),
        (
            mail(in_reply_to=mid(T1, "rina@bps.go.id", secret="t" * 20)),
            False,
            "the reply token does not verify (altered, or for another ticket)",
        ),
        (
            mail(in_reply_to=mid(T1, "rina@bps.go.id"), from_trusted_form=False),
            False,
            "From is not exactly one plain address (a display name holding an address, or several addresses): "
            "never trusted as an operator",
        ),
    ],
)
def test_check(m, ok, reason):
    v = verdict(m)
    assert (v.ok, v.reason) == (ok, reason)


def test_refusal_names_the_ticket_and_whom_to_tell():
    v = verdict(
        mail(
            from_addr="x@evil.example",
            from_name="rina@bps.go.id",
            from_trusted_form=False,
            in_reply_to=mid(T1, "rina@bps.go.id"),
        )
    )
    assert (v.ok, v.ticket, v.notify) == (False, T1, (RINA,))


AR = "mx.bps.go.id; dkim=pass header.d=bps.go.id; dmarc=pass (p=reject) header.from=bps.go.id"


@pytest.mark.parametrize(
    "results, authserv, thread, ok",
    [
        ([AR], "mx.bps.go.id", T1, True),
        ([AR], "", T1, False),  # no trusted server configured
        (
            [AR.replace("mx.bps.go.id;", "evil.example;")],
            "mx.bps.go.id",
            T1,
            False,
        ),  # someone else's stamp
        ([AR.replace("dmarc=pass", "dmarc=fail")], "mx.bps.go.id", T1, False),
        (
            [AR.replace("header.from=bps.go.id", "header.from=evil.example")],
            "mx.bps.go.id",
            T1,
            False,
        ),
        ([AR], "mx.bps.go.id", None, False),  # nothing says which ticket
        # Attacker-chosen property values that a text search took for a pass (issue 10, item 1).
        (
            ["mx.bps.go.id; dmarc=fail header.i=dmarc=pass.header.from=bps.go.id@evil.example"],
            "mx.bps.go.id",
            T1,
            False,
        ),
        (["mx.bps.go.id; dmarc=fail smtp.mailfrom=dmarc=pass.header.from=bps.go.id"], "mx.bps.go.id", T1, False),
        # A forged pass below the real verdict; a pass under a header from another server.
        ([AR.replace("dmarc=pass", "dmarc=fail"), AR], "mx.bps.go.id", T1, False),
        (["relay.bps.go.id; spf=pass smtp.mailfrom=bps.go.id", AR], "mx.bps.go.id", T1, False),
        ([AR, "relay.bps.go.id; spf=pass smtp.mailfrom=bps.go.id"], "mx.bps.go.id", T1, True),
        (["mx.bps.go.id; dkim=pass header.d=bps.go.id"], "mx.bps.go.id", T1, False),  # no dmarc
        (["mx.bps.go.id; dmarc=pass header.from=sub.bps.go.id"], "mx.bps.go.id", T1, False),
        (
            ["mx.bps.go.id; dmarc=pass (unclosed comment header.from=bps.go.id"],
            "mx.bps.go.id",
            T1,
            False,
        ),  # does not parse
    ],
)
def test_authentication_results_pass_from_the_trusted_server(results, authserv, thread, ok):
    v = verdict(mail(authentication_results=results), authserv_id=authserv, thread_ticket=thread)
    assert v.ok is ok
    if ok:
        assert (v.how, v.ticket) == ("authentication-results", T1)


ELSEWHERE = Operator("Agus", "agus@bps.go.id", "3571")


@pytest.mark.parametrize(
    "m, rule",
    [
        (mail(from_trusted_form=False, in_reply_to=mid(T1, "rina@bps.go.id")), "untrusted_from"),
        (mail(from_addr="rina@gmail.com", in_reply_to=mid(T1, "rina@bps.go.id")), "private_address"),
        (mail(from_addr="x@evil.example", in_reply_to=mid(T1, "rina@bps.go.id", secret="t" * 20)), "stranger"),
        (mail(from_addr="agus@bps.go.id", in_reply_to=mid(T1, "agus@bps.go.id")), "other_office"),
        (mail(in_reply_to=mid(T1, "rina@bps.go.id")), "token_verifies"),
        (mail(), "no_token"),
        (mail(in_reply_to=mid(T1, "dimas@bps.go.id")), "token_of_another_operator"),
        (mail(in_reply_to=mid(T1, "rina@bps.go.id", secret="t" * 20)), "token_does_not_verify"),
    ],
)
def test_the_first_rule_that_decides_is_named_on_the_verdict(m, rule):
    v = check(m, operators=(*OPS, ELSEWHERE), secret=SECRET, office="3576")
    assert v.rule == rule


def evidence(m: InboundMail, **kw) -> Evidence:
    found = tuple(tokens.extract(m.to + m.cc, m.in_reply_to, m.references))
    sender = next((op for op in OPS if op.address == m.from_addr), None)
    return Evidence(m, OPS, SECRET, "3576", kw.get("thread_ticket"), kw.get("authserv_id", ""), found, sender)


def test_a_private_address_is_told_apart_from_a_stranger_only_by_a_token_that_verifies():
    genuine = evidence(mail(from_addr="rina@gmail.com", in_reply_to=mid(T1, "rina@bps.go.id")))
    forged = evidence(mail(from_addr="rina@gmail.com", in_reply_to=mid(T1, "rina@bps.go.id", secret="t" * 20)))
    told = PrivateAddress().check(genuine)
    assert told is not None and (told.notify, told.explain_to, told.ticket) == ((RINA,), "rina@gmail.com", T1)
    assert PrivateAddress().check(forged) is None
    assert Stranger().check(forged).notify == ()  # a forger's victim is not told about a bad token


def test_a_refusal_without_a_token_is_recorded_on_the_thread_ticket():
    v = NoToken().check(evidence(mail(), thread_ticket=T1))
    assert (v.ok, v.ticket, v.notify, v.operator) == (False, T1, (RINA,), RINA)


def test_a_token_for_the_sender_outranks_the_thread_and_a_token_for_another_ticket():
    t2 = "PST-3576-2026-000002"
    ev = evidence(mail(references=[mid(t2, "dimas@bps.go.id"), mid(T1, "rina@bps.go.id")]), thread_ticket=t2)
    v = TokenVerifies().check(ev)
    assert (v.ok, v.ticket, v.named) == (True, T1, (T1, t2))  # References are read newest first
