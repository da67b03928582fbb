"""The durable outbox: queued -> sending -> sent | failed, with backoff; never a mail sent twice (stage 3).

A mail enters the outbox in the same commit as the ticket change that caused it. Before a batch
is handed to SMTP it is marked `sending` durably; a crash after that resends only that batch, with
the Message-ID minted at queueing, so receivers can recognise the copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..clock import Clock
from ..config import SmtpSettings
from ..errors import LocalFault, TemporaryFailure
from ..kinds import EventType, MailState, Purpose
from ..model import OutgoingMail, TicketEvent
from ..tickets.store import Store
from .compose import without_attachments
from .journal import SentJournal
from .sender import SenderDied, SenderProcess, attempt, send_lanes
from .sending import Failure, failure_from_dict, failure_kind
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


RESENT_SMALLER = frozenset({Purpose.NOTIFICATION})  # staff mail whose text matters more than its files


@dataclass
class _Outcome:
    """What one SMTP attempt gave, recorded in the store with the rest of its batch."""

    mail: OutgoingMail
    kind: str  # "sent", "temporary", "permanent"
    at: datetime
    answer: str = ""
    error: Exception | None = None


class Outbox:
    """Sends what the store's outbox holds; the store is the only record of what is owed.

    A drain takes the store's lock only between SMTP conversations: once to record the outcomes of
    the batch just sent and mark the next batch `sending`, in one commit. While a batch is being
    handed to the SMTP server the intake can go on storing new mail.

    A batch goes out over `settings.sessions` SMTP sessions at once: each mail costs four round
    trips, and one session spent most of its time waiting for the server's answers. The sessions
    live in a process of their own (outbound/sender.py) unless `settings.process` is false."""

    def __init__(
        self,
        store: Store,
        settings: SmtpSettings,
        clock: Clock,
        on_permanent_failure: Callable[[OutgoingMail], None] | None = None,
        batch_size: int = 1000,
    ) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.on_permanent_failure = on_permanent_failure
        self.batch_size = batch_size
        self.journal = SentJournal(store.dir / "sent.journal")
        self.process = SenderProcess(settings, self.journal.path) if settings.process else None
        # The SMTP sessions of this process, when it sends itself.
        self.senders = [] if self.process else [SmtpSender(settings) for _ in range(max(1, settings.sessions))]

    def due(self, now: datetime) -> list[OutgoingMail]:
        with self.store.lock:
            return [
                m
                for m in self.store.outgoing(states=(MailState.QUEUED, MailState.SENDING))
                if m.status == MailState.SENDING
                or (m.status == MailState.QUEUED and (m.next_attempt_at is None or m.next_attempt_at <= now))
            ]

    def next_attempt(self) -> datetime | None:
        with self.store.lock:
            times = [m.next_attempt_at for m in self.store.outgoing(states=[MailState.QUEUED]) if m.next_attempt_at]
        return min(times, default=None)

    async def drain(self) -> DrainResult:
        """Send everything due now, in batches over one SMTP session; returns what happened to each.

        Nothing goes out unless the commit before it succeeded: while the data disk cannot be
        written (the store has said so once), the drain does nothing and the next one tries again."""
        result = DrainResult()
        try:
            return await self._drain(result)
        except LocalFault:
            return result

    async def _drain(self, result: DrainResult) -> DrainResult:
        done: set[str] = set()
        outcomes: list[_Outcome] = []
        rest: list[OutgoingMail] = []  # not tried: the server was unreachable
        outcomes += self._accepted_before_a_crash()
        try:
            while True:
                with self.store.lock:
                    # One commit records the last batch's outcomes and marks the next one `sending`.
                    changed = bool(outcomes)
                    self._record_batch(outcomes, rest, result)
                    outcomes, rest = [], []
                    # After the first batch, only mail a commit has written: the intake stages
                    # a batch's acknowledgements one by one and commits them together, then wakes
                    # the outbox. Taking them as they are staged made a commit (the whole hot
                    # file, synced) for every few mails the sessions had sent meanwhile.
                    batch = [
                        m
                        for m in self.due(self.clock.now())
                        if m.message_id not in done and (not done or self.store.written(m))
                    ][: self.batch_size]
                    for mail in batch:
                        mail.status = MailState.SENDING
                    staged = self.store.stage() if batch or changed else None
                if staged is not None:
                    # Written outside the lock: the intake goes on making tickets meanwhile.
                    staged.wait()
                    self.journal.clear()
                if not batch:
                    break
                done.update(m.message_id for m in batch)
                rest = await self._send_batch(batch, outcomes)
        finally:
            if outcomes:
                # Stopped in the middle of a batch: what is known is recorded, the rest stays
                # `sending` and goes again at the next drain.
                with self.store.lock:
                    self._record_batch(outcomes, [], result)
                    self.store.commit()
                    self.journal.clear()
            if self.process is not None:
                await self.process.idle()
            for sender in self.senders:
                await sender.close()
        return result

    async def start(self) -> None:
        """Start the sending process now, so that its start-up overlaps the first fetch."""
        if self.process is not None:
            await self.process.start()

    async def close(self) -> None:
        """Stop the sending process (the daemon is stopping)."""
        if self.process is not None:
            await self.process.close()

    async def _send_batch(self, batch: list[OutgoingMail], outcomes: list[_Outcome]) -> list[OutgoingMail]:
        """Send `batch` over the sessions side by side, appending each outcome to `outcomes` as it
        is known (so an interrupted batch still records what was sent); returns the mail not tried
        because the server was unreachable."""
        lanes = self._lanes(batch)
        if self.process is None:

            async def send_one(sender: SmtpSender, mail: OutgoingMail) -> bool:
                outcomes.append(self._outcome(mail, await attempt(sender, mail, self.journal, False)))
                return not getattr(outcomes[-1].error, "unreachable", False)

            return await send_lanes(lanes, self.senders, send_one, asyncio.Event())

        def on_result(mail: OutgoingMail, result: dict) -> None:
            reply = result.get("answer", "") if result["kind"] == "sent" else failure_from_dict(result)
            outcomes.append(self._outcome(mail, reply))

        try:
            return await self.process.send(lanes, on_result)
        except SenderDied as exc:
            log.error("%s; its mail is retried", exc)
            self._settle_after_sender_died(batch, outcomes, exc)
            return []

    def _settle_after_sender_died(self, batch: list[OutgoingMail], outcomes: list[_Outcome], exc: SenderDied) -> None:
        """Mail the journal says was accepted is sent; the rest of the batch is a temporary failure."""
        known = {o.mail.message_id for o in outcomes}
        accepted = self.journal.accepted()
        now = self.clock.now()
        for mail in batch:
            if mail.message_id in known:
                continue
            if mail.message_id in accepted:
                outcomes.append(_Outcome(mail, "sent", now, answer="accepted before the sender process ended"))
            else:
                outcomes.append(_Outcome(mail, "temporary", now, error=TemporaryFailure(str(exc))))

    def _lanes(self, batch: list[OutgoingMail]) -> list[list[OutgoingMail]]:
        """The batch split over the sessions, one ticket's mail all in one session and in the order
        queued: an acknowledgement still arrives before the answer, an answer before the closing."""
        lanes: list[list[OutgoingMail]] = [[] for _ in range(max(1, self.settings.sessions))]
        lane_of: dict[str, int] = {}
        for mail in batch:
            key = mail.ticket or mail.message_id
            if key not in lane_of:
                lane_of[key] = len(lane_of) % len(lanes)
            lanes[lane_of[key]].append(mail)
        return [lane for lane in lanes if lane]

    def _accepted_before_a_crash(self) -> list[_Outcome]:
        """Mail still `sending` that the journal says the server accepted: sent, never again."""
        accepted = self.journal.accepted()
        if not accepted:
            return []
        now = self.clock.now()
        with self.store.lock:
            found = [m for m in self.store.outgoing(states=[MailState.SENDING]) if m.message_id in accepted]
        if found:
            log.info("%d mails accepted by the SMTP server before an interruption: recorded as sent", len(found))
        return [_Outcome(m, "sent", now, answer="accepted before an interruption") for m in found]

    def _record_batch(self, outcomes: list[_Outcome], rest: list[OutgoingMail], result: DrainResult) -> None:
        """Record a batch's outcomes in the store; the caller holds the lock and commits."""
        pending, outcomes[:] = list(outcomes), []  # never recorded twice, whatever happens
        for o in pending:
            o.mail.attempts += 1
            if o.kind == "sent":
                self.store.remove_mail(o.mail)
                self._record(
                    o.mail,
                    TicketEvent(
                        at=o.at,
                        type=EventType.MAIL_SENT,
                        message_id=o.mail.message_id,
                        actor="helpdesk",
                        summary=o.mail.purpose,
                        data={"to": o.mail.recipients, "answer": o.answer[:200]},
                    ),
                )
                result.sent.append(o.mail.message_id)
            elif o.kind == "temporary":
                assert o.error is not None  # a failed attempt carries its error
                self._retry_or_fail(o.mail, o.error, o.at, result)
            elif not self._retry_smaller(o.mail, o.error, o.at, result):
                self._fail(o.mail, str(o.error), o.at, result)
        if rest:
            # The retry time of the attempt that found the server down (the sessions may have
            # recorded other outcomes after it).
            down = [o.mail for o in pending if getattr(o.error, "unreachable", False)]
            until = down[-1].next_attempt_at if down else None
            for mail in rest:
                mail.status = MailState.QUEUED
                mail.next_attempt_at = until
            result.retrying += [m.message_id for m in rest]

    def _outcome(self, mail: OutgoingMail, reply: str | Failure) -> _Outcome:
        """What one SMTP attempt gave, from either process; the store is not touched here (the
        batch's outcomes are applied together)."""
        now = self.clock.now()
        if isinstance(reply, str):
            log.info("sent %s %s to %s", mail.purpose, mail.message_id, ", ".join(mail.recipients))
            return _Outcome(mail, "sent", now, answer=reply)
        return _Outcome(mail, failure_kind(reply), now, error=reply)

    def _retry_smaller(self, mail: OutgoingMail, exc: Exception | None, now: datetime, result: DrainResult) -> bool:
        """552 (message too big) on a notification: the operator must still learn of the question,
        so it goes again without the citizen's files (its text lists them, and `helpdesk show`)."""
        if getattr(exc, "code", None) != 552 or mail.purpose not in RESENT_SMALLER:
            return False
        smaller = without_attachments(mail.raw)
        if smaller == mail.raw:
            return False
        log.warning("%s refused for its size (%s): sending it again without the attachments", mail.message_id, exc)
        mail.raw, mail.status, mail.next_attempt_at = smaller, MailState.QUEUED, now
        mail.last_error = str(exc)[:500]
        result.retrying.append(mail.message_id)
        return True

    def _retry_or_fail(self, mail: OutgoingMail, exc: Exception, now: datetime, result: DrainResult) -> None:
        if mail.attempts >= self.settings.max_attempts:
            self._fail(mail, f"gave up after {mail.attempts} attempts: {exc}", now, result)
            return
        refused = getattr(exc, "refused", None)
        with self.store.lock:
            if refused:
                mail.recipients = [r for r in mail.recipients if r in refused]
            mail.status = MailState.QUEUED
            mail.last_error = str(exc)[:500]
            mail.next_attempt_at = now + backoff(self.settings, mail.attempts)
        log.warning(
            "temporary failure sending %s (attempt %d), retry at %s: %s",
            mail.message_id,
            mail.attempts,
            mail.next_attempt_at.isoformat(),
            exc,
        )
        result.retrying.append(mail.message_id)

    def _fail(self, mail: OutgoingMail, error: str, now: datetime, result: DrainResult) -> None:
        with self.store.lock:
            mail.status = MailState.FAILED
            mail.last_error = error[:500]
            self._record(
                mail,
                TicketEvent(
                    at=now,
                    type=EventType.MAIL_FAILED,
                    message_id=mail.message_id,
                    actor="helpdesk",
                    summary=f"{mail.purpose}: {error[:300]}",
                    data={"to": mail.recipients},
                ),
            )
        log.error(
            "permanent failure sending %s %s to %s: %s",
            mail.purpose,
            mail.message_id,
            ", ".join(mail.recipients),
            error,
        )
        result.failed.append(mail.message_id)
        if self.on_permanent_failure is not None:
            self.on_permanent_failure(mail)
        self._set_aside(mail, now)

    def _set_aside(self, mail: OutgoingMail, now: datetime) -> None:
        """The record stays (status, error, who); the text goes to the spool, so thirty failed
        mails do not make the hot file, rewritten at every commit, carry thirty bodies."""
        mail.failed_at = now
        try:
            mail.spool = mail.spool or self.store.spool.put_failed(mail.message_id, mail.raw.encode("utf-8"))
        except LocalFault as exc:
            log.warning("failed mail %s kept whole in the store: %s", mail.message_id, exc)
            return
        mail.raw = ""

    def _record(self, mail: OutgoingMail, event: TicketEvent) -> None:
        # A closed ticket too (read back from its archive month): the last answer and the rating
        # request are sent after the ticket closed, and belong on it.
        ticket = self.store.ticket(mail.ticket) if mail.ticket else None
        if ticket is not None:
            ticket.events.append(event)
            self.store.save_ticket(ticket)
