"""The outbox sends a batch over several SMTP sessions side by side: each mail once, none lost.

Every test runs twice: sessions in the sending process (the default) and in the daemon's own."""

from __future__ import annotations

import socket

import pytest

from helpdesk.clock import FixedClock
from helpdesk.config import SmtpSettings
from helpdesk.demo.sink import SmtpSink
from helpdesk.outbound.outbox import Outbox
from helpdesk.tickets.store import Store
from tests.mailfactory import OUTBOX_NOW, outgoing_mail, queued_outbox


@pytest.fixture(params=[True, False], ids=["sender-process", "in-process"])
def process(request) -> bool:
    return request.param


async def drain(store: Store, settings: SmtpSettings, **kw):
    outbox = Outbox(store, settings, FixedClock(OUTBOX_NOW), **kw)
    try:
        return outbox, await outbox.drain()
    finally:
        await outbox.close()


async def test_every_mail_goes_once_over_several_sessions(tmp_path, smtp_sink, process):
    store = queued_outbox(tmp_path, 7)
    outbox, result = await drain(
        store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=3, process=process), batch_size=5
    )
    assert sorted(result.sent) == sorted(outgoing_mail(i).message_id for i in range(7))
    assert len(smtp_sink.messages) == 7 and not store.outgoing()
    assert not outbox.journal.path.exists()  # cleared once the commit held the outcomes


async def test_an_unreachable_server_leaves_the_whole_batch_for_one_retry(tmp_path, process):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = queued_outbox(tmp_path, 6)
    _, result = await drain(store, SmtpSettings(port=port, timeout=2, sessions=2, process=process))
    assert not result.sent and len(result.retrying) == 6
    assert {m.status for m in store.outgoing()} == {"queued"}
    assert len({m.next_attempt_at for m in store.outgoing()}) == 1
    assert all(m.next_attempt_at > OUTBOX_NOW for m in store.outgoing())


async def test_one_tickets_mail_keeps_its_order_across_sessions(tmp_path, smtp_sink, process):
    store = Store(tmp_path / "store")
    for i in range(12):
        m = outgoing_mail(i)
        m.ticket = f"PST-3576-2026-00000{i % 3}"  # three tickets, four mails each, interleaved
        store.queue_mail(m)
    store.commit()
    await drain(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=2, process=process))
    arrived = [str(m.message["Message-ID"]) for m in smtp_sink.messages]
    for t in range(3):
        mine = [outgoing_mail(i).message_id for i in range(12) if i % 3 == t]
        assert [mid for mid in arrived if mid in mine] == mine


async def test_after_the_server_was_unreachable_the_next_drain_sends(tmp_path, process):
    with socket.socket() as s:  # a port nobody listens on, for now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = queued_outbox(tmp_path, 3)
    outbox = Outbox(
        store,
        SmtpSettings(port=port, timeout=2, sessions=2, process=process, backoff_seconds=0),
        FixedClock(OUTBOX_NOW),
    )
    sink = None
    try:
        first = await outbox.drain()
        assert not first.sent and len(first.retrying) == 3
        child = outbox.process._proc.pid if outbox.process else None
        sink = SmtpSink(port=port).start()  # the server is back, on the same port
        second = await outbox.drain()
        assert (outbox.process._proc.pid if outbox.process else None) == child  # the same sender
    finally:
        await outbox.close()
        if sink is not None:
            sink.stop()
    assert sorted(second.sent) == sorted(outgoing_mail(i).message_id for i in range(3))
    assert len(sink.messages) == 3


async def test_mail_staged_during_a_batch_waits_for_the_commit_that_writes_it(tmp_path, smtp_sink, process):
    # The intake stages a batch's acknowledgements one by one while the outbox sends, and commits
    # them together: a drain that took each as staged made a commit of the whole hot file for
    # every few mails. The drain takes them once a commit wrote them (the intake's, then its wake).
    store = queued_outbox(tmp_path, 2)
    commits = []
    stage = store.stage
    store.stage = lambda: (commits.append(1), stage())[1]
    handler = smtp_sink.handler
    inner = handler.handle_DATA

    async def handle_DATA(server, session, envelope):  # noqa: N802, ANN001
        if len(store.outgoing()) == 2:  # the intake, in the middle of its next batch
            store.queue_mail(outgoing_mail(2))
        return await inner(server, session, envelope)

    handler.handle_DATA = handle_DATA
    try:
        _, first = await drain(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=1, process=process))
        assert sorted(first.sent) == [outgoing_mail(i).message_id for i in range(2)]
        assert len(commits) == 2  # `sending`, then the outcomes
        assert [m.status for m in store.outgoing()] == ["queued"]
        stage().wait()  # the intake's commit of its batch
        _, second = await drain(store, SmtpSettings(port=smtp_sink.port, timeout=5, sessions=1, process=process))
    finally:
        del handler.handle_DATA
    assert second.sent == [outgoing_mail(2).message_id] and not store.outgoing()
    assert len(smtp_sink.messages) == 3
