"""The contract every pipeline step keeps: a Step reads and changes one mail's Context.

Below the stages and the pipeline that orders them, so a step imports this module, never the
pipeline that runs it. Nothing a step does reaches the store until `pipeline.apply`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .app import App
from .config import Office
from .model import InboundMail, OutgoingMail, Ticket, Verdict
from .tickets.conversation import ThreadMatch
from .tickets.officemeta import OfficeMeta

# The notes keep the logger name they had when the Context lived in the pipeline: log readers grep it.
log = logging.getLogger("helpdesk.pipeline")


@dataclass
class Context:
    """One mail on its way through the pipeline, with what the steps decided so far."""

    app: App
    office: Office
    mail: InboundMail
    spool_path: str
    now: datetime
    verdict: Verdict
    thread: ThreadMatch
    ticket: Ticket | None = None
    outgoing: list[OutgoingMail] = field(default_factory=list)
    # The office's meta changes this mail makes (rate-limit counts, round-robin picks, absences),
    # applied with its ticket and mail in `apply`.
    meta: OfficeMeta = field(default_factory=OfficeMeta)
    notes: list[str] = field(default_factory=list)
    not_ticketed: str = ""  # why this mail made no ticket: counted and listed for a human to check
    # Public past answers the acknowledgement may offer, looked up by an earlier step (insight).
    suggestions: list[dict[str, str]] = field(default_factory=list)

    def sent_count(self, key: str) -> int:
        """Mails counted under a rate-limit key (tickets.ratelimit), this mail's own counts included."""
        return self.meta.ratelimit.get(key, self.app.store.rate_count(self.office.code, key))

    def count_sent(self, key: str, n: int) -> None:
        """Set the count under a rate-limit key; stored with this mail's ticket."""
        self.meta.ratelimit[key] = n

    def note(self, text: str) -> None:
        self.notes.append(text)
        log.info("%s: %s", self.mail.message_id, text)

    def send(self, mail: OutgoingMail) -> None:
        self.outgoing.append(mail)
        if self.ticket is not None and mail.message_id not in self.ticket.message_ids:
            self.ticket.message_ids.append(mail.message_id)


Step = Callable[[Context], None]


def store_attachments(ctx: Context) -> None:
    """Attachment bytes go to the spool under generated names before anything refers to them."""
    for att in ctx.mail.attachments:
        if att.payload and not att.spool_name:
            att.spool_name = ctx.app.spool.put_attachment(att.payload)
