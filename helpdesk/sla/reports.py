"""Queue the monthly reports insight draws, and record the month each was sent for (stage 6).

The mails and the months go into the store in one commit: each report goes out once, and one
missed while the daemon was down goes out at the next check. Insight only reads the store.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ..app import App
from ..insight.monthly import due_reports
from ..tickets.officemeta import OfficeMeta

log = logging.getLogger(__name__)


def send_due_reports(app: App, now: datetime) -> list[str]:
    """Queue every office's due monthly report and commit; returns the offices' codes."""
    due = due_reports(app, now)
    store = app.store
    with store.lock:
        for code, (month, mail) in due.items():
            if mail is not None:
                store.queue_mail(mail)
                log.info(
                    "monthly report %s for office %s queued to %s",
                    month,
                    code,
                    ", ".join(mail.recipients),
                )
            store.update_meta(code, OfficeMeta(monthly_report=month))
        if due:
            store.commit()
    return list(due)
