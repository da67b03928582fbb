"""A sample ticket and the context each template is rendered with, for `helpdesk check` (stage 3, pure).

`helpdesk check` renders every template with these, in both languages, undefined names being
errors: `{{ ticket.numbr }}` is found before the first citizen's mail, not when every mail fails.
Each context names exactly the keys its caller passes (notices.to_citizen / to_staff add `ticket`
and `office`); every list holds one item, so the body of each loop is rendered too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..config import Office
from ..kinds import Purpose
from ..model import OutgoingMail, Ticket

WHEN = "Senin, 30 November 2026 pukul 10.00 WIB"
ROW = {
    "number": "PST-0000-2026-000001",
    "subject": "Data inflasi",
    "assignee": "Rina <rina@example.org>",
    "status": "open",
    "due_text": WHEN,
}


def sample_ticket(office: Office) -> Ticket:
    at = datetime(2026, 11, 30, 3, tzinfo=UTC)
    return Ticket(
        number=f"PST-{office.code}-2026-000001",
        office=office.code,
        requester="warga@example.org",
        subject="Permintaan data inflasi",
        received_at=at,
        requester_name="Warga Contoh",
        due_at=at,
        assignee="rina@example.org",
        team="konsultasi",
        category="harga",
    )


# Template name -> what its caller passes besides `ticket` and `office` (see the module docstring).
CONTEXTS: dict[str, dict[str, Any]] = {
    # Nothing the sender wrote but a short subject (outbound.acknowledge): no name, no question.
    "acknowledgement": {
        "subject": "Permintaan data inflasi",
        "due_text": WHEN,
        "suggestions": [{"answer": "Data inflasi ada di situs web kami.", "link": "https://example.org/1"}],
    },
    "answer": {"body": "Berikut datanya."},
    "close_notice": {"close_text": WHEN, "answered": True},
    "closed": {"reason": "tidak ada tanggapan selama 7 hari", "closed_text": WHEN},
    "notification": {
        "operator_name": "Rina",
        "reason": "",
        "due_text": WHEN,
        "attachments_info": [
            {"filename": "tabel.pdf", "size": 1024, "spool": "in/x", "attached": True},
            {"filename": "besar.zip", "size": 9 << 20, "spool": "in/y", "attached": False},
        ],
        "message_time": WHEN,
        "question": "Mohon data inflasi 2025.",
        "thread": [{"when": WHEN, "who": "Warga Contoh", "text": "Terima kasih."}],
        # Another citizen's answer, never their question (insight.consultations.Hit).
        "similar": [{"number": "PST-0000-2025-000009", "answer": "Ada di tabel 3."}],
    },
    "reminder": {"operator_name": "Rina", "due_text": WHEN, "received_text": WHEN},
    "escalation": {"assignee": "Rina <rina@example.org>", "due_text": WHEN, "received_text": WHEN},
    "operator_notice": {
        "operator_name": "Rina",
        "subject": "Re: data",
        "reason": "token tidak cocok",
        "advice": "Balas dari email notifikasi.",
    },
    "quarantine": {
        "attempts": 3,
        "sender": "warga@example.org",
        "subject": "Data",
        "reason": "error",
        "spool": "spool/quarantine/x.eml",
        "received_text": WHEN,
    },
    "ack_limit": {"cap": 60, "until": WHEN},
    "desk_reply": {"operator_name": "Rina", "subject": "Hasil #cari inflasi", "body": "1. PST-3576-2025-000009"},
    "delivery_failure": {},  # `mail` is added per office below
    "digest": {
        "day_text": "Senin, 30 November 2026",
        "as_of_text": WHEN,
        "overdue": [ROW],
        "due_today": [ROW],
        "unassigned": [ROW],
        "per_operator": [("Rina <rina@example.org>", {"open": 1, "overdue": 0})],
        "problems": ["email dikarantina: contoh"],
    },
    "monthly_report": {
        "month": "2026-11",
        "month_text": "November 2026",
        "pct_text": "90%",
        "report_text": "Diterima 10, dijawab tepat waktu 9.",
    },
}
CITIZEN_TEMPLATES = ("acknowledgement", "answer", "close_notice", "closed")  # rendered in id and en


def sample_context(name: str, office: Office) -> dict[str, Any]:
    """Everything template `name` is rendered with, for a sample ticket of `office`."""
    context = {"ticket": sample_ticket(office), "office": office, **CONTEXTS[name]}
    if name == "delivery_failure":
        context["mail"] = OutgoingMail(
            message_id="<x@example.org>",
            office=office.code,
            mail_from=office.address,
            recipients=["warga@example.org"],
            raw="",
            purpose=Purpose.ANSWER,
            ticket=context["ticket"].number,
            last_error="550 no such user",
        )
    return context
