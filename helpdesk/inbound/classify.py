"""Decide what kind of mail this is, before anything acts on it (stage 1, inbound; pure).

Rules are small named classes, each saying why it fired; `CHAIN` orders them (Mailman style): loop,
bounce, auto-reply, list, operator reply, else new. FOLLOW_UP is decided later by the thread lookup.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from ..model import InboundMail, Kind, Verdict
from ..outbound import tokens
from . import bounces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Known:
    """The addresses the rules compare against."""

    own_addresses: frozenset[str]
    operators: frozenset[str]


class Rule:
    """One check; `check` returns the reason it fired, or None."""

    NAME = "rule"
    KIND = Kind.NEW

    def check(self, mail: InboundMail, known: Known) -> str | None:
        raise NotImplementedError


def _first_token(value: str) -> str:
    return re.split(r"[;\s]", value.strip().lower(), maxsplit=1)[0] if value.strip() else ""


# --- LOOP: our own mail must never be answered, or two helpdesks ping-pong forever.


class FromOwnAddress(Rule):
    NAME, KIND = "from_own_address", Kind.LOOP

    def check(self, mail: InboundMail, known: Known) -> str | None:
        return f"From is our own address {mail.from_addr}" if mail.from_addr in known.own_addresses else None


class LoopHeader(Rule):
    NAME, KIND = "loop_header", Kind.LOOP

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if "x-pst-helpdesk" in mail.headers:
            # Only a PST helpdesk writes this header: never answer another helpdesk, or ourselves.
            return f"X-PST-Helpdesk: {mail.headers['x-pst-helpdesk']}"
        loop = mail.headers.get("x-loop", "").lower()
        if not loop:
            return None
        hit = next((a for a in sorted(known.own_addresses) if a and a in loop), None)
        return f"X-Loop: {hit}" if hit else None


# --- BOUNCE: delivery reports are recorded on the ticket they return, never answered.


class DeliveryReport(Rule):
    NAME, KIND = "delivery_report", Kind.BOUNCE

    def check(self, mail: InboundMail, known: Known) -> str | None:
        return "delivery report (multipart/report)" if mail.is_delivery_report else None


class DaemonSender(Rule):
    NAME, KIND = "daemon_sender", Kind.BOUNCE
    LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})

    def check(self, mail: InboundMail, known: Known) -> str | None:
        local = bounces.local_part(mail.from_addr)  # also "Postmaster"@host
        return f"From: {mail.from_addr}" if local in self.LOCALPARTS else None


class NullSenderReport(Rule):
    NAME, KIND = "null_sender_report", Kind.BOUNCE
    SUBJECT = re.compile(
        r"^(undeliver|undelivered mail|delivery status notification|"
        r"mail delivery (failed|failure)|returned mail|failure notice|"
        r"delivery failure|pesan tidak terkirim)",
        re.I,
    )

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if mail.return_path != "":
            return None
        if "x-failed-recipients" in mail.headers:
            return f"Return-Path: <> with X-Failed-Recipients: {mail.headers['x-failed-recipients']}"
        if self.SUBJECT.match(mail.subject):
            return f"Return-Path: <> with subject {mail.subject[:60]!r}"
        return None


class DetectedBounce(Rule):
    """GNU Mailman's detectors recognise the body of a bounce sent as plain mail (gateways, Lotus,
    Exchange with an empty From)."""

    NAME, KIND = "flufl_bounce", Kind.BOUNCE

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if not mail.bounce_recipients:
            return None
        return f"flufl.bounce: delivery to {', '.join(mail.bounce_recipients[:3])} failed"


class BounceSubject(Rule):
    """A bounce subject alone is weak (a citizen may write "pesan tidak terkirim"): it needs a
    sender that is a mail system, or the returned message attached."""

    NAME, KIND = "bounce_subject", Kind.BOUNCE

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if not bounces.bounce_subject(mail.subject):
            return None
        if bounces.robot_sender(mail):
            return f"subject {mail.subject[:60]!r} from {mail.from_addr or 'an empty From'}"
        if bounces.returns_a_message(mail) or mail.reported_message_ids:
            return f"subject {mail.subject[:60]!r} returning a message"
        return None


class ListAdministrivia(Rule):
    """A list's notice about our mail (held for moderation, rejected): never a question."""

    NAME, KIND = "list_administrivia", Kind.BOUNCE

    def check(self, mail: InboundMail, known: Known) -> str | None:
        value = mail.headers.get("x-list-administrivia", "")
        return f"X-List-Administrivia: {value[:40]}" if _first_token(value) == "yes" else None


# --- AUTO_REPLY: RFC 3834 and its vendor cousins; answering them is how robots ping-pong.


class AutoSubmitted(Rule):
    NAME, KIND = "auto_submitted", Kind.AUTO_REPLY

    def check(self, mail: InboundMail, known: Known) -> str | None:
        token = _first_token(mail.auto_submitted)
        return f"Auto-Submitted: {token}" if token and token != "no" else None


class AutoReplyHeader(Rule):
    NAME, KIND = "auto_reply_header", Kind.AUTO_REPLY
    HEADERS = (
        ("x-autoreply", "X-Autoreply"),
        ("x-autorespond", "X-Autorespond"),
        ("x-autogenerated", "X-AutoGenerated"),
    )

    def check(self, mail: InboundMail, known: Known) -> str | None:
        for key, label in self.HEADERS:
            if key in mail.headers and _first_token(mail.headers[key]) not in ("no", "false", "0"):
                return f"{label}: {mail.headers[key][:60]}"
        return None


class PrecedenceAutoReply(Rule):
    NAME, KIND = "precedence_auto_reply", Kind.AUTO_REPLY

    def check(self, mail: InboundMail, known: Known) -> str | None:
        return "Precedence: auto_reply" if _first_token(mail.precedence) == "auto_reply" else None


class AutoResponseSuppress(Rule):
    NAME, KIND = "auto_response_suppress", Kind.AUTO_REPLY
    VALUES = frozenset({"oof", "autoreply", "all"})

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if not mail.x_auto_response_suppress:
            return None  # nearly every mail: no header, nothing to split
        tokens = {t.strip().lower() for t in mail.x_auto_response_suppress.split(",")}
        hit = sorted(tokens & self.VALUES)
        return f"X-Auto-Response-Suppress: {', '.join(hit)}" if hit else None


class AutoReplySubject(Rule):
    """A subject alone is weak (a citizen may write "Auto: ..."), so it needs a second signal."""

    NAME, KIND = "auto_reply_subject", Kind.AUTO_REPLY
    SUBJECT = re.compile(
        r"^\s*(out of (the )?office|automatic reply|auto(matic)?[ -]?reply|"
        r"autoreply|auto ?response|balasan otomatis|balasan automatis|auto:|"
        r"otomatis:|vacation|on vacation|sedang cuti|cuti:|abwesend|"
        r"réponse automatique|respuesta automática)",
        re.I,
    )

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if not self.SUBJECT.match(mail.subject):
            return None
        if mail.return_path == "":
            return f"subject {mail.subject[:60]!r} with Return-Path: <>"
        if mail.in_reply_to and not mail.text.strip():
            return f"subject {mail.subject[:60]!r} with In-Reply-To and no text"
        mailer = mail.headers.get("x-mailer", "").lower()
        if any(w in mailer for w in ("vacation", "autorespond", "auto-reply", "autoreply")):
            return f"subject {mail.subject[:60]!r} with X-Mailer: {mail.headers['x-mailer'][:40]}"
        return None


class NullSender(Rule):
    """Return-Path: <> is the null sender of DSNs, read receipts and auto-responders (RFC 3834
    section 3.1.5); RFC 5321 4.5.5 forbids answering it. Without a second signal it used to pass as
    a citizen's new question and was acknowledged. Placed after the bounce and subject rules, which
    name the reason more precisely when they fire."""

    NAME, KIND = "null_sender", Kind.AUTO_REPLY

    def check(self, mail: InboundMail, known: Known) -> str | None:
        return "Return-Path: <> (null sender, never answered)" if mail.return_path == "" else None


# --- LIST: list and bulk mail is never a citizen's question.


class ListIdHeader(Rule):
    NAME, KIND = "list_id", Kind.LIST

    def check(self, mail: InboundMail, known: Known) -> str | None:
        return f"List-Id: {mail.list_id[:80]}" if mail.list_id else None


class ListUnsubscribeWithPrecedence(Rule):
    NAME, KIND = "list_unsubscribe", Kind.LIST

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if "list-unsubscribe" in mail.headers and mail.precedence:
            return f"List-Unsubscribe with Precedence: {_first_token(mail.precedence)}"
        return None


class PrecedenceBulk(Rule):
    NAME, KIND = "precedence_bulk", Kind.LIST

    def check(self, mail: InboundMail, known: Known) -> str | None:
        token = _first_token(mail.precedence)
        return f"Precedence: {token}" if token in ("bulk", "junk", "list") else None


# --- OPERATOR_REPLY: only a plainly formed From; the relay still checks the signed token.


class FromOperator(Rule):
    NAME, KIND = "from_operator", Kind.OPERATOR_REPLY

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if mail.from_addr and mail.from_addr in known.operators and mail.from_trusted_form:
            return f"From is operator {mail.from_addr}"
        return None


class OperatorLookalike(Rule):
    """A From that names an operator in an untrusted form is an operator or a forger, never a
    citizen: it goes to the relay, which trusts nothing in it, records it and tells the operator."""

    NAME, KIND = "operator_lookalike", Kind.OPERATOR_REPLY

    ADDRESS = re.compile(r"[^\s<>\"',;:()]+@[^\s<>\"',;:()]+")

    def check(self, mail: InboundMail, known: Known) -> str | None:
        if mail.from_trusted_form:
            return None  # one plain address: FromOperator has compared it exactly
        text = f"{mail.from_addr} {mail.from_name} {mail.headers.get('from', '')}".lower()
        # Whole addresses only: "dani@bps.go.id" must not pass for operator "ani@bps.go.id".
        named = set(self.ADDRESS.findall(text)) & known.operators
        return f"From names operator {min(named)} in an untrusted form" if named else None


class AnswersNotification(Rule):
    """A reply carrying a notification's token from someone who is not an operator: an operator
    writing from a private address (told how to answer), or a forgery (refused by the relay)."""

    NAME, KIND = "answers_notification", Kind.OPERATOR_REPLY

    def check(self, mail: InboundMail, known: Known) -> str | None:
        found = tokens.extract(mail.to + mail.cc, mail.in_reply_to, mail.references)
        if not found:
            return None
        return f"answers the notification for {found[0].ticket} but is not from an operator"


CHAIN: tuple[Rule, ...] = (
    FromOwnAddress(),
    LoopHeader(),
    DeliveryReport(),
    DaemonSender(),
    NullSenderReport(),
    DetectedBounce(),
    BounceSubject(),
    ListAdministrivia(),
    AutoSubmitted(),
    AutoReplyHeader(),
    PrecedenceAutoReply(),
    AutoResponseSuppress(),
    AutoReplySubject(),
    NullSender(),
    ListIdHeader(),
    ListUnsubscribeWithPrecedence(),
    PrecedenceBulk(),
    FromOperator(),
    OperatorLookalike(),
    AnswersNotification(),
)


@lru_cache(maxsize=16)
def _known(own_addresses: frozenset[str], operators: frozenset[str]) -> Known:
    # Cached: the sets come from the settings and hold hundreds of offices; lower-case them once.
    return Known(frozenset(a.lower() for a in own_addresses), frozenset(a.lower() for a in operators))


def explain(mail: InboundMail, *, own_addresses: frozenset[str], operators: frozenset[str]) -> list[Verdict]:
    """Every rule that fires, in chain order (for `route --explain` and tests)."""
    known = _known(own_addresses, operators)
    hits = []
    for rule in CHAIN:
        reason = rule.check(mail, known)
        if reason:
            hits.append(Verdict(rule.KIND, reason, rule.NAME))
    return hits


def classify(mail: InboundMail, *, own_addresses: frozenset[str], operators: frozenset[str]) -> Verdict:
    """The first rule that fires decides; no rule means a new question."""
    known = _known(own_addresses, operators)
    for rule in CHAIN:
        reason = rule.check(mail, known)
        if reason:
            log.debug("%s is %s: %s", mail.message_id, rule.KIND.value, reason)
            return Verdict(rule.KIND, reason, rule.NAME)
    if mail.from_addr in known.operators:
        # Looks like an operator but the From is not plainly formed: treat as a stranger's mail.
        return Verdict(Kind.NEW, f"From names operator {mail.from_addr} in an untrusted form", "new")
    return Verdict(Kind.NEW, "no rule matched", "new")
