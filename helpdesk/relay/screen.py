"""Steps: may this operator's reply act, and on what? Trust, ticket, attachments, commands (stage 5).

Each step reads and fills the `Reply`, or raises `Refused` with the reason: then nothing of the
mail is relayed and none of its commands run (relay.relay catches it and calls relay.refusal).
Only the new text (outbound.strip), without any line of the helpdesk's own staff mail
(outbound.staffcopy), and the operator's file attachments may go on to the citizen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import Operator
from ..desk.saved import UnknownAnswer
from ..model import Status, Ticket
from ..outbound import staffcopy, tokens
from ..outbound.strip import new_text
from ..step import Context
from ..tickets.numbering import number_in_subject
from . import trust
from .commands import KNOWN, CommandSet, parse_commands

HELD = (
    "balasan Anda masih memuat teks internal dari email helpdesk (konsultasi serupa atau catatan "
    "internal) di antara jawaban Anda, sehingga tidak dikirim kepada pengguna. Tulis jawaban di "
    "atas kutipan atau hapus kutipannya, lalu kirim lagi."
)
TOKEN_ATTACHED = (
    "lampiran Anda memuat kode balasan petugas (misalnya email pemberitahuan yang ikut "
    "terlampir). Lampiran seperti itu tidak pernah dikirim kepada pengguna; kirim lagi jawaban "
    "Anda tanpa melampirkan email."
)


class Refused(Exception):
    """The reply must not act: record it on `number`'s ticket, tell `tell` (and `explain_to`)."""

    def __init__(
        self,
        reason: str,
        number: str | None,
        tell: Sequence[Operator] = (),
        *,
        told: str = "",
        explain_to: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason, self.number, self.tell = reason, number, tuple(tell)
        self.told, self.explain_to = told, explain_to


@dataclass
class Reply:
    """One operator reply on its way through the relay steps: the pipeline's Context (the mail,
    the office, the ticket once loaded) and what the steps decided about it."""

    ctx: Context
    verdict: trust.Trust | None = None  # relay.trust's, set by verify_sender
    operator: Operator | None = None  # the verified sender, set by verify_sender
    commands: CommandSet = field(default_factory=CommandSet)
    assignee: Operator | None = None  # whom #alihkan names, resolved by check_request

    @property
    def by(self) -> Operator:
        assert self.operator is not None, "verify_sender runs first"
        return self.operator

    @property
    def ticket(self) -> Ticket:
        assert self.ctx.ticket is not None, "load_ticket runs first"
        return self.ctx.ticket

    def refused(self, reason: str, told: str = "") -> Refused:
        """A refusal recorded on this reply's ticket and told to its operator."""
        return Refused(reason, self.ticket.number, (self.by,), told=told)


def verify_sender(reply: Reply) -> None:
    """A configured operator answering a notification minted for them (relay.trust)."""
    ctx, settings = reply.ctx, reply.ctx.app.settings
    # The subject's number is a hint only: it names where to record a refusal, never what to act on
    # (a token decides that), except for mail our own server authenticated.
    verdict = trust.check(
        ctx.mail,
        operators=settings.operators,
        secret=settings.secret,
        office=ctx.office.code,
        thread_ticket=ctx.thread.number or number_in_subject(ctx.mail.subject),
        authserv_id=settings.trusted_authserv_id,
    )
    if not verdict.ok:
        raise Refused(verdict.reason, verdict.ticket, verdict.notify, told=verdict.told, explain_to=verdict.explain_to)
    reply.verdict, reply.operator = verdict, verdict.operator


def load_ticket(reply: Reply) -> None:
    """The ticket the verified token names, as a private copy; it must be this office's."""
    ctx, verdict = reply.ctx, reply.verdict
    assert verdict is not None and verdict.ticket is not None, "verify_sender runs first"
    stored = ctx.app.store.ticket(verdict.ticket)
    if stored is None or stored.office != ctx.office.code:
        raise Refused(
            f"ticket {verdict.ticket} is not held by office {ctx.office.code}",
            None,
            (reply.by,),
            told=f"tiket {verdict.ticket} tidak ada di kantor {ctx.office.code}.",
        )
    ctx.ticket = stored.copy()
    ctx.note(f"operator reply trusted ({verdict.how}): {verdict.reason}")


def check_assignee(reply: Reply) -> None:
    """Only the ticket's current assignee answers it (a hand-over moved it on)."""
    ticket = reply.ticket
    if ticket.assignee and ticket.assignee != reply.by.address:
        raise reply.refused(f"tiket {ticket.number} sekarang ditangani oleh {ticket.assignee}")


def screen_attachments(reply: Reply) -> None:
    """Only files go to a citizen, and none carrying a reply token."""
    mail = reply.ctx.mail
    if any(tokens.mentions_token(a.payload) for a in mail.attachments):
        raise reply.refused("an attachment carries a reply token (an attached notification?)", TOKEN_ATTACHED)
    mails = [a for a in mail.attachments if a.content_type.partition("/")[0] in ("message", "multipart")]
    if mails:
        # An attached mail (Outlook attaches the one being answered) carries staff headers and text.
        mail.attachments = [a for a in mail.attachments if a not in mails]
        reply.ctx.note(f"{len(mails)} attached mail(s) left out of the reply: only files are relayed")


def read_commands(reply: Reply) -> None:
    """The command lines atop the new text, and the body below them."""
    reply.commands = parse_commands(new_text(reply.ctx.mail.text))


def drop_staff_text(reply: Reply) -> None:
    """No line of the helpdesk's own staff mail, and no reply or command address, reaches a citizen."""
    commands = reply.commands
    if not commands.body or commands.is_internal:
        return
    cleaned = staffcopy.clean_reply(commands.body, reply.ticket)
    if not cleaned.held and tokens.mentions_token(cleaned.text.encode()):
        # A reply address from a #daftar list, or a command address, pasted into the answer:
        # a citizen holding one could pass for the operator.
        raise reply.refused(
            "reply held: its text carries a reply or command address",
            f"{HELD} (alamat balasan atau alamat perintah petugas)",
        )
    if cleaned.held:
        raise reply.refused(
            f"reply held: {cleaned.held}", f'{HELD} (baris {cleaned.held_line}: "{cleaned.held_words} ...")'
        )
    if cleaned.dropped:
        reply.ctx.note(f"{cleaned.dropped} line(s) of the helpdesk's own staff mail left out of the reply")
    commands.body = cleaned.text


def fill_saved_answers(reply: Reply) -> None:
    """#jawaban NAME...: the saved answers, filled in for this ticket, above what the operator wrote.
    Unknown names become an error (check_request refuses the whole reply; nothing reaches the citizen)."""
    ctx, commands = reply.ctx, reply.commands
    names = commands.saved_answers
    if not names or not commands.ok:
        return
    saved = ctx.app.saved_answers
    from jinja2 import TemplateError  # loaded by the first answer composed, not with the relay

    try:
        text = saved.compose(names, reply.ticket, ctx.office)
    except UnknownAnswer as exc:
        known = "; ".join(f"{n} ({saved.get(n).title})" for n in saved.names)  # type: ignore[union-attr]
        commands.errors.append(f"jawaban tersimpan tidak dikenal: {', '.join(exc.names)}. Yang tersedia: {known}")
        return
    except TemplateError as exc:  # an office's file broken since `helpdesk check`: nothing goes out
        commands.errors.append(f"jawaban tersimpan tidak dapat disusun ({exc}); beri tahu administrator")
        return
    commands.body = f"{text}\n\n{commands.body}".strip()
    ctx.note(f"saved answer(s) {', '.join(names)} filled in for {reply.ticket.number}")


def check_request(reply: Reply) -> None:
    """Refuse a reply that must not act at all; resolve #alihkan's operator for the hand-over."""
    target = reply.commands.assign_to
    if target is not None:
        reply.assignee = resolve_operator(reply.ctx, target)
    problem = request_problem(reply)
    if problem:
        raise reply.refused(problem)


def request_problem(reply: Reply) -> str:
    """Why this reply must not act at all, or ""."""
    ctx, ticket, commands = reply.ctx, reply.ticket, reply.commands
    if commands.unknown:
        return f"perintah tidak dikenal: {', '.join(commands.unknown)} (yang dikenal: {KNOWN})"
    if commands.errors:
        return "; ".join(commands.errors)
    if commands.assign_to is not None and reply.assignee is None:
        return f"#alihkan: tidak ada petugas {commands.assign_to!r} di kantor {ctx.office.code}"
    if commands.has("public") and (commands.is_internal or not commands.body) and not latest_answer(ticket):
        return "#publik: belum ada jawaban pada tiket ini yang dapat dipublikasikan"
    if not commands.commands and not commands.body and not ctx.mail.attachments:
        return "balasan kosong: tidak ada teks baru, lampiran, atau perintah"
    if not ticket.requester and not commands.is_internal and (commands.body or ctx.mail.attachments):
        return f"tiket {ticket.number} tidak punya alamat pengguna yang dapat dibalas"
    if ticket.status is Status.CLOSED and not commands.is_note:
        return f"tiket {ticket.number} sudah ditutup; hanya #catatan yang diterima"
    return ""


def latest_answer(ticket: Ticket) -> str:
    """The text of the latest answer the citizen received on this ticket, "" when none."""
    texts = [str(e.data.get("text", "")) for e in ticket.events if e.type == "reply"]
    return next((t for t in reversed(texts) if t.strip()), "")


def resolve_operator(ctx: Context, target: str) -> Operator | None:
    """#alihkan NAME: an address, a full name, or a first name fitting one operator here."""
    wanted = target.strip().strip("<>").lower()
    staff = [op for op in ctx.app.settings.operators if op.office == ctx.office.code]
    for test in (
        lambda op: op.address == wanted,
        lambda op: op.name.lower() == wanted,
        lambda op: op.name.lower().split()[:1] == [wanted],
    ):
        hits = [op for op in staff if op.name and test(op)]
        if len(hits) == 1:
            return hits[0]
    return None
