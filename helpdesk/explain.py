"""`helpdesk route --explain FILE.eml`: which rules matched, why, the result (stage 4, read-only).

The same functions as the pipeline's route step (imapautofiler's report()/invoke() split), so the
explanation cannot drift from what the daemon does; nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from .app import App
from .config import Office
from .inbound.classify import classify
from .inbound.parse import parse
from .routing.route import decide_for, pick_operator


def office_for(app: App, to: list[str], code: str | None) -> Office | None:
    """--office, else the first office whose address the mail was sent to."""
    if code:
        return app.settings.office(code)
    return next((o for a in to if (o := app.settings.office_by_address(a)) is not None), None)


def explain(app: App, raw: bytes, now: datetime, office_code: str | None = None) -> tuple[str, int]:
    """The explanation as text, and an exit status (0 ok, 1 no office could be told)."""
    mail = parse(raw, now)
    lines = [
        f"mail: {mail.message_id} from {mail.from_addr or '(unreadable From)'}, "
        f"subject {mail.subject!r}, language {mail.language}, {len(mail.attachments)} attachment(s)"
    ]
    try:
        office = office_for(app, mail.to + mail.cc, office_code)
    except KeyError:
        return f"no office {office_code!r}", 1
    if office is None:
        lines.append("office: none of the recipients is an office address; give --office CODE")
        return "\n".join(lines), 1
    lines.append(f"office: {office.code} {office.name}")
    verdict = classify(mail, own_addresses=app.settings.own_addresses, operators=app.operator_addresses)
    lines.append(f"kind: {verdict.kind.value} ({verdict.reason})")
    if verdict.kind.value != "new":
        lines.append("note: the daemon routes only new questions; shown as if this were one")
    decision = decide_for(app.settings, mail, office.code, now)
    lines.append("rules:")
    lines += [f"  {reason}" for reason in decision.reasons]
    days = f"{decision.reply_days} (rules)" if decision.reply_days else f"{office.reply_days} (office)"
    lines.append(
        f"result: team={decision.team or '-'} operator={decision.operator or '-'} "
        f"category={decision.category or '-'} priority={decision.priority} reply_days={days} "
        f"tags={decision.tags}"
    )
    chosen = pick_operator(app, office.code, decision.team, decision.operator, now)
    lines.append(f"assignee: {chosen.operator or 'none (stays unassigned; the digest lists it)'} - {chosen.reason}")
    return "\n".join(lines), 0
