"""The scheduler derives one wake-up per office from the store; a sweep never spins on a failure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from helpdesk.sla.scheduler import RETRY_SECONDS, SlaScheduler
from tests.deskharness import WIB, Desk
from tests.mailfactory import citizen_mail


def job_delay(sched: SlaScheduler, code: str) -> timedelta:
    job = sched.scheduler.get_job(f"sla:{code}")
    return job.trigger.run_date - datetime.now(UTC)


async def test_rebuild_sets_each_office_for_its_next_due_instant(tmp_path):
    desk = Desk(tmp_path, now=datetime(2026, 11, 23, 16, 0, tzinfo=WIB))  # Monday after closing
    desk.deliver(citizen_mail())
    sched = SlaScheduler(desk.app)
    plan = sched.rebuild()
    tuesday = datetime(2026, 11, 24, 8, 0, tzinfo=WIB)  # digest at opening
    assert plan == {"3576": tuesday, "3571": tuesday}
    delay = job_delay(sched, "3576")
    assert timedelta(hours=15, minutes=54) < delay <= timedelta(hours=16)  # relative to the clock


async def test_run_office_sweeps_then_waits_for_the_next_instant(tmp_path):
    desk = Desk(tmp_path, now=datetime(2026, 11, 25, 8, 0, tzinfo=WIB))
    desk.deliver(citizen_mail(), after=timedelta(0))
    woken = []
    sched = SlaScheduler(desk.app, on_mail_queued=lambda: woken.append(1))
    await sched.run_office("3576")
    assert woken == [1]  # the digest was queued
    assert desk.app.store.office_meta("3576").last_digest == date(2026, 11, 25)
    assert job_delay(sched, "3576") > timedelta(hours=23)  # Thursday's digest


async def test_an_action_that_keeps_failing_is_retried_later_not_in_a_loop(tmp_path, monkeypatch):
    desk = Desk(tmp_path, now=datetime(2026, 11, 25, 8, 0, tzinfo=WIB))
    monkeypatch.setattr("helpdesk.sla.actions.digest_mail", lambda *a: 1 / 0)
    sched = SlaScheduler(desk.app)
    await sched.run_office("3576")
    delay = job_delay(sched, "3576")
    assert timedelta(seconds=RETRY_SECONDS - 5) < delay <= timedelta(seconds=RETRY_SECONDS)


async def test_a_rescan_asked_for_while_one_runs_is_not_dropped(tmp_path, monkeypatch):
    """APScheduler skipped the second request (max_instances=1), though the running rescan may have
    read the store before the batch that asked for it."""
    import asyncio
    import threading

    desk = Desk(tmp_path)
    sched = SlaScheduler(desk.app)
    started, release, done = threading.Event(), threading.Event(), asyncio.Event()
    calls = []

    def rebuild():
        calls.append(1)
        if len(calls) == 1:
            started.set()
            release.wait(10)
        else:
            loop.call_soon_threadsafe(done.set)
        return {}

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(sched, "rebuild", rebuild)
    sched.scheduler.start()
    try:
        sched.reschedule_all()
        await asyncio.to_thread(started.wait, 10)
        sched.reschedule_all()  # a new batch was stored meanwhile
        release.set()
        await asyncio.wait_for(done.wait(), 10)
        assert len(calls) == 2
    finally:
        release.set()
        sched.shutdown()


async def test_a_stored_batch_rescans_only_the_office_it_came_from(tmp_path, monkeypatch):
    """Each batch rescanned all offices: with 550 offices and 11,000 open tickets that read every
    open ticket 550 times, seconds of CPU for every mail taken in."""
    import asyncio

    desk = Desk(tmp_path)
    sched = SlaScheduler(desk.app)
    planned: list[str] = []
    rescanned = asyncio.Event()
    loop = asyncio.get_running_loop()

    def plan(office):
        planned.append(office.code)
        loop.call_soon_threadsafe(rescanned.set)

    monkeypatch.setattr(sched, "plan", plan)
    sched.scheduler.start()
    try:
        sched.reschedule_offices({"3571"})
        await asyncio.wait_for(rescanned.wait(), 10)
        assert planned == ["3571"]
    finally:
        sched.shutdown()


async def test_stop_lets_a_running_job_finish_instead_of_cancelling_it(tmp_path, monkeypatch, caplog):
    """SIGTERM during the monthly reports: APScheduler's shutdown cancelled the job (a traceback in
    the journal) while its thread went on writing the store after the daemon said it had stopped."""
    import asyncio
    import threading

    desk = Desk(tmp_path)
    started, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def slow_reports(app, now):
        started.set()
        release.wait(10)
        finished.append(1)
        return 0

    monkeypatch.setattr("helpdesk.sla.scheduler.send_due_reports", slow_reports)
    sched = SlaScheduler(desk.app)
    sched.scheduler.start()
    sched.scheduler.add_job(sched.monthly_reports, id="insight:monthly")
    try:
        await asyncio.to_thread(started.wait, 10)
        stopping = asyncio.create_task(sched.stop())
        seen_at_stop: list[int] = []
        stopping.add_done_callback(lambda _: seen_at_stop.append(len(finished)))
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await asyncio.wait_for(stopping, 10)
    finally:
        release.set()
        sched.shutdown()
    assert seen_at_stop == [1] and not sched.scheduler.running
    assert "CancelledError" not in caplog.text
