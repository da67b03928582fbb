"""The durable outbox: queued -> sending -> sent | failed, with backoff; never a mail sent twice (stage 3).

A mail enters the outbox in the same commit as the ticket change that caused it. Before a batch
is handed to SMTP it is marked `sending` durably; a crash after that resends only that batch, with
the Message-ID minted at queueing, so receivers can recognise the copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import faults
from ..clock import Clock
from ..config import SmtpSettings
from ..errors import PermanentFailure, TemporaryFailure
from ..model import OutgoingMail, TicketEvent
from ..tickets.store import Store
from .smtp import SmtpSender

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DrainResult:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def backoff(settings: SmtpSettings, attempts: int) -> timedelta:
    """Exponential: base, 2x, 4x ... capped at one hour."""
    return min(timedelta(seconds=settings.backoff_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Outbox:
    """Sends what the store's outbox holds; the store is the only record of what is owed."""

    def __init__(self, store: Store, settings: SmtpSettings, clock: Clock,
                 on_permanent_failure: Callable[[OutgoingMail], None] | None = None,
                 batch_size: int = 100) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.sender = SmtpSender(settings)
        self.on_permanent_failure = on_permanent_failure
        self.batch_size = batch_size

    def due(self, now: datetime) -> list[OutgoingMail]:
        with self.store.lock:
            return [m for m in self.store.outbox.values()
                    if m.status == "sending"
                    or (m.status == "queued" and (m.next_attempt_at is None or m.next_attempt_at <= now))]

    def next_attempt(self) -> datetime | None:
        with self.store.lock:
            times = [m.next_attempt_at for m in self.store.outbox.values()
                     if m.status == "queued" and m.next_attempt_at]
        return min(times, default=None)

    async def drain(self) -> DrainResult:
        """Send everything due now, in batches; returns what happened to each mail."""
        result = DrainResult()
        while True:
            batch = self.due(self.clock.now())[: self.batch_size]
            batch = [m for m in batch if m.message_id not in result.sent + result.retrying + result.failed]
            if not batch:
                break
            with self.store.lock:
                for mail in batch:
                    mail.status = "sending"
                self.store.commit()
            for i, mail in enumerate(batch):
                if await self._send_one(mail, result) == "unreachable":
                    # The server is down: every other mail would fail the same way, so they wait
                    # for the same retry instead of each knocking on a closed port.
                    self._defer(batch[i + 1:], mail.next_attempt_at)
                    result.retrying += [m.message_id for m in batch[i + 1:]]
                    break
            with self.store.lock:
                self.store.commit()
        await self.sender.close()
        return result

    def _defer(self, mails: list[OutgoingMail], until: datetime | None) -> None:
        with self.store.lock:
            for mail in mails:
                mail.status = "queued"
                mail.next_attempt_at = until

    async def _send_one(self, mail: OutgoingMail, result: DrainResult) -> str:
        """Try one mail; returns "sent", "retry", "failed" or "unreachable"."""
        now = self.clock.now()
        mail.attempts += 1
        try:
            answer = await self.sender.send(mail)
        except TemporaryFailure as exc:
            self._retry_or_fail(mail, exc, now, result)
            return "unreachable" if getattr(exc, "unreachable", False) else "retry"
        except PermanentFailure as exc:
            self._fail(mail, str(exc), now, result)
            return "failed"
        faults.failpoint("after_smtp_accept")
        with self.store.lock:
            self.store.outbox.pop(mail.message_id, None)
            self._record(mail, TicketEvent(at=now, type="mail_sent", message_id=mail.message_id,
                                           actor="helpdesk", summary=mail.purpose,
                                           data={"to": mail.recipients, "answer": answer[:200]}))
        log.info("sent %s %s to %s", mail.purpose, mail.message_id, ", ".join(mail.recipients))
        result.sent.append(mail.message_id)
        return "sent"

    def _retry_or_fail(self, mail: OutgoingMail, exc: Exception, now: datetime,
                       result: DrainResult) -> None:
        if mail.attempts >= self.settings.max_attempts:
            self._fail(mail, f"gave up after {mail.attempts} attempts: {exc}", now, result)
            return
        refused = getattr(exc, "refused", None)
        with self.store.lock:
            if refused:
                mail.recipients = [r for r in mail.recipients if r in refused]
            mail.status = "queued"
            mail.last_error = str(exc)[:500]
            mail.next_attempt_at = now + backoff(self.settings, mail.attempts)
        log.warning("temporary failure sending %s (attempt %d), retry at %s: %s", mail.message_id,
                    mail.attempts, mail.next_attempt_at.isoformat(), exc)
        result.retrying.append(mail.message_id)

    def _fail(self, mail: OutgoingMail, error: str, now: datetime, result: DrainResult) -> None:
        with self.store.lock:
            mail.status = "failed"
            mail.last_error = error[:500]
            self._record(mail, TicketEvent(at=now, type="mail_failed", message_id=mail.message_id,
                                           actor="helpdesk", summary=f"{mail.purpose}: {error[:300]}",
                                           data={"to": mail.recipients}))
        log.error("permanent failure sending %s %s to %s: %s", mail.purpose, mail.message_id,
                  ", ".join(mail.recipients), error)
        result.failed.append(mail.message_id)
        if self.on_permanent_failure is not None:
            self.on_permanent_failure(mail)

    def _record(self, mail: OutgoingMail, event: TicketEvent) -> None:
        ticket = self.store.tickets.get(mail.ticket) if mail.ticket else None
        if ticket is not None:
            ticket.events.append(event)
            self.store.save_ticket(ticket)
