"""The SMTP sending process: its acceptances are journaled before the daemon hears of them, and
its death in the middle of a batch loses no mail and sends none twice."""

from __future__ import annotations

import os
import signal

from helpdesk.clock import FixedClock
from helpdesk.config import SmtpSettings
from helpdesk.outbound.outbox import Outbox
from tests.mailfactory import OUTBOX_NOW, outgoing_mail, queued_outbox


async def test_the_mail_goes_out_from_another_process(tmp_path, smtp_sink):
    store = queued_outbox(tmp_path, 3)
    outbox = Outbox(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=2), FixedClock(OUTBOX_NOW))
    try:
        await outbox.start()
        child = outbox.process._proc.pid
        result = await outbox.drain()
    finally:
        await outbox.close()
    assert child != os.getpid()
    assert sorted(result.sent) == sorted(outgoing_mail(i).message_id for i in range(3))
    assert len(smtp_sink.messages) == 3 and not store.outgoing()


async def test_a_sending_process_killed_mid_batch_loses_nothing_and_sends_nothing_twice(tmp_path, smtp_sink):
    store = queued_outbox(tmp_path, 6)
    outbox = Outbox(
        store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=1, backoff_seconds=0), FixedClock(OUTBOX_NOW)
    )
    handler = smtp_sink.handler
    inner = handler.handle_DATA
    seen = []

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        seen.append(envelope.rcpt_tos)
        if len(seen) == 3:
            # Mails 1 and 2 are accepted (and journaled: the client read their replies before it
            # sent the third's text); the process dies at the third's text, which is not taken.
            os.kill(outbox.process._proc.pid, signal.SIGKILL)
            return "451 try again"
        return await inner(server, session, envelope)

    handler.handle_DATA = handle_DATA
    try:
        first = await outbox.drain()
        del handler.handle_DATA
        assert len(first.sent) == 2 and len(first.retrying) == 4
        assert {m.status for m in store.outgoing()} == {"queued"}
        assert all(m.attempts == 1 and "ended" in m.last_error for m in store.outgoing())
        second = await outbox.drain()  # a new sending process takes over
    finally:
        handler.__dict__.pop("handle_DATA", None)
        await outbox.close()
    assert len(second.sent) == 4 and not store.outgoing()
    ids = [str(m.message["Message-ID"]) for m in smtp_sink.messages]
    assert sorted(ids) == sorted(outgoing_mail(i).message_id for i in range(6))  # each exactly once


async def test_mail_the_journal_saw_accepted_counts_as_sent_when_the_process_dies(tmp_path, smtp_sink):
    store = queued_outbox(tmp_path, 2)
    outbox = Outbox(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=1), FixedClock(OUTBOX_NOW))
    handler = smtp_sink.handler

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        # The server took the first mail, the process journaled it and died before reporting.
        outbox.journal.note(outgoing_mail(0).message_id)
        os.kill(outbox.process._proc.pid, signal.SIGKILL)
        return "451 gone"

    handler.handle_DATA = handle_DATA
    try:
        result = await outbox.drain()
    finally:
        del handler.handle_DATA
        await outbox.close()
    assert result.sent == [outgoing_mail(0).message_id]
    assert [m.message_id for m in store.outgoing()] == [outgoing_mail(1).message_id]


async def test_the_sessions_stay_open_from_one_drain_to_the_next(tmp_path, smtp_sink):
    # run --once drains after each batch the intake stored: a new session each time cost both
    # sides more than the mail it carried.
    store = queued_outbox(tmp_path, 2)
    outbox = Outbox(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=1), FixedClock(OUTBOX_NOW))
    handler = smtp_sink.handler
    greeted = []
    inner = handler.handle_EHLO

    async def handle_EHLO(server, session, envelope, hostname, responses):  # noqa: N802, ANN001
        greeted.append(hostname)
        return await inner(server, session, envelope, hostname, responses)

    handler.handle_EHLO = handle_EHLO
    try:
        first = await outbox.drain()
        store.queue_mail(outgoing_mail(2))
        store.commit()
        second = await outbox.drain()
    finally:
        del handler.handle_EHLO
        await outbox.close()
    assert len(first.sent) == 2 and len(second.sent) == 1
    assert len(greeted) == 1
