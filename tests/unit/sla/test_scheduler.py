"""The scheduler derives one wake-up per office from the store; a sweep never spins on a failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk.sla.scheduler import RETRY_SECONDS, SlaScheduler
from tests.deskharness import WIB, Desk
from tests.mailfactory import citizen_mail


def job_delay(sched: SlaScheduler, code: str) -> timedelta:
    job = sched.scheduler.get_job(f"sla:{code}")
    return job.trigger.run_date - datetime.now(UTC)


async def test_rebuild_sets_each_office_for_its_next_due_instant(tmp_path):
    desk = Desk(tmp_path, now=datetime(2026, 11, 23, 16, 0, tzinfo=WIB))     # Monday after closing
    desk.deliver(citizen_mail())
    sched = SlaScheduler(desk.app)
    plan = sched.rebuild()
    tuesday = datetime(2026, 11, 24, 8, 0, tzinfo=WIB)                       # digest at opening
    assert plan == {"3576": tuesday, "3571": tuesday}
    delay = job_delay(sched, "3576")
    assert timedelta(hours=15, minutes=54) < delay <= timedelta(hours=16)   # relative to the clock


async def test_run_office_sweeps_then_waits_for_the_next_instant(tmp_path):
    desk = Desk(tmp_path, now=datetime(2026, 11, 25, 8, 0, tzinfo=WIB))
    desk.deliver(citizen_mail(), after=timedelta(0))
    woken = []
    sched = SlaScheduler(desk.app, on_mail_queued=lambda: woken.append(1))
    await sched.run_office("3576")
    assert woken == [1]                                                       # the digest was queued
    assert desk.app.store.meta["last_digest"]["3576"] == "2026-11-25"
    assert job_delay(sched, "3576") > timedelta(hours=23)                    # Thursday's digest


async def test_an_action_that_keeps_failing_is_retried_later_not_in_a_loop(tmp_path, monkeypatch):
    desk = Desk(tmp_path, now=datetime(2026, 11, 25, 8, 0, tzinfo=WIB))
    monkeypatch.setattr("helpdesk.sla.actions.digest_mail", lambda *a: 1 / 0)
    sched = SlaScheduler(desk.app)
    await sched.run_office("3576")
    delay = job_delay(sched, "3576")
    assert timedelta(seconds=RETRY_SECONDS - 5) < delay <= timedelta(seconds=RETRY_SECONDS)
