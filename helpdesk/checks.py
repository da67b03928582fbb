"""`helpdesk check`: every problem with settings, rules and templates, each with its file and key."""

from __future__ import annotations

from .config import Settings
from .outbound.compose import Templates
from .routing import rules

REQUIRED_TEMPLATES = ("acknowledgement", "quarantine", "delivery_failure", "notification",
                      "operator_notice", "answer", "ack_limit",
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
    for office in settings.offices:
        if office.imap is None:
            found.append(f"{settings.path}: offices[{office.code}].imap: missing: no mailbox to read")
    return found
