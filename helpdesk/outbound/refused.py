"""An operator's answer the citizen's server refused for its size: the operator hears of it (stage 3).

Without this the answer was only a failed mail in the outbox: the operator believed the citizen had
it, and the citizen waited. The notice names the server's words and what to do instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..kinds import Purpose
from ..model import OutgoingMail
from .notices import to_staff

if TYPE_CHECKING:
    from ..app import App

TOO_BIG = ("552", "5.3.4")  # SMTP: message exceeds the size limit


def too_big_notice(app: App, failed: OutgoingMail) -> OutgoingMail | None:
    """The notice to the ticket's operator, or None when this failure is not an answer too big."""
    if failed.purpose != Purpose.ANSWER or not failed.last_error.startswith(TOO_BIG):
        return None
    ticket = app.store.hot_ticket(failed.ticket)
    if ticket is None or not ticket.assignee:
        return None
    office = app.settings.office(failed.office)
    names = {o.address: o.name for o in app.settings.operators}
    return to_staff(
        app,
        office,
        [ticket.assignee],
        "operator_notice",
        Purpose.OPERATOR_NOTICE,
        app.clock.now(),
        ticket=ticket,
        operator_name=names.get(ticket.assignee, ""),
        subject=ticket.subject,
        reason=f"server pengguna menolak jawaban Anda karena terlalu besar ({failed.last_error[:200]})",
        advice="Kirim ulang jawaban dengan lampiran yang lebih kecil, atau bagikan berkas melalui tautan.",
    )
