"""`helpdesk check`: every problem with settings, rules and templates, each with its file and key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from .config import Office, Settings
from .desk.saved import SavedAnswers
from .model import Ticket
from .outbound.compose import Templates
from .routing import rules

REQUIRED_TEMPLATES = ("acknowledgement", "quarantine", "delivery_failure", "notification",
                      "operator_notice", "answer", "ack_limit", "desk_reply",
                      "reminder", "escalation", "digest", "close_notice", "closed",   # sla/actions, sla/digest
                      "monthly_report")                                               # insight/monthly


def problems(settings: Settings) -> list[str]:
    """Problems that stop the daemon from starting; settings themselves were validated on load."""
    found = Templates(settings.templates_dir).check(REQUIRED_TEMPLATES)
    offices = {o.code for o in settings.offices}
    for op in settings.operators:
        if op.office not in offices:
            found.append(f"{settings.path}: operators: {op.address}: unknown office {op.office}")
    found += rules.check(settings)   # rules/*.toml: bad rules with file and line
    found += saved_answers(settings)
    for office in settings.offices:
        if office.imap is None:
            found.append(f"{settings.path}: offices[{office.code}].imap: missing: no mailbox to read")
    return found


def sample_ticket(office: Office) -> Ticket:
    return Ticket(number=f"PST-{office.code}-2026-000001", office=office.code, requester="warga@example.org",
                  subject="Permintaan data inflasi", received_at=datetime(2026, 11, 30, 3, tzinfo=UTC),
                  requester_name="Warga Contoh")


def saved_answers(settings: Settings) -> list[str]:
    """Every saved answer rendered for a sample ticket of each office, in Indonesian and English."""
    saved, found = SavedAnswers(settings.answers_dir), []
    for office in settings.offices:
        for lang in ("id", "en"):
            found += [p for p in saved.check(replace(sample_ticket(office), language=lang), office) if p not in found]
    return found
