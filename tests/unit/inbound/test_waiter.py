"""The waiter's logic without servers: timers, backoff, what a server's IDLE lines mean, a fatal store."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from helpdesk.config import ImapSettings
from helpdesk.errors import StoreCorrupt
from helpdesk.inbound.idle import ConnectionLost, idle_news
from helpdesk.inbound.mailbox import MailboxWorker
from helpdesk.inbound.waiter import MAX_DELAY, Timers, Waiter, next_delay
from tests.deskharness import Desk


@pytest.mark.parametrize(
    "lines, news",
    [
        ([b"* OK Still here\r\n"], False),
        ([b"* 3 EXPUNGE\r\n", b"* 2 FETCH (FLAGS (\\Seen))\r\n"], False),
        ([b"* 4 EXISTS\r\n"], True),
        ([b"* OK Still here\r\n", b"* 1 RECENT\r\n"], True),
        ([b"* 12 exists\r\n"], True),
        ([], False),
    ],
)
def test_only_exists_or_recent_is_news(lines, news):
    assert idle_news(lines) is news


def test_bye_during_idle_is_a_lost_connection():
    with pytest.raises(ConnectionLost, match="shutting down"):
        idle_news([b"* 5 EXISTS\r\n", b"* BYE Server shutting down.\r\n"])


def test_backoff_doubles_up_to_five_minutes():
    delays = [1.0]
    for _ in range(12):
        delays.append(next_delay(delays[-1]))
    assert delays[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert delays[-1] == MAX_DELAY == 300.0


def test_timers_give_the_wait_until_the_earliest_and_pop_what_is_due():
    timers = Timers()
    assert timers.timeout(100.0) is None
    timers.set("3576", 160.0)
    timers.set("3571", 130.0)
    timers.set("3514", 190.0)
    assert timers.timeout(100.0) == 30.0
    assert timers.pop_due(129.0) == []
    assert timers.pop_due(170.0) == ["3571", "3576"]
    assert timers.timeout(170.0) == 20.0
    assert timers.timeout(200.0) == 0.0


def test_a_timer_set_again_or_cancelled_counts_only_its_last_setting():
    timers = Timers()
    timers.set("3576", 110.0)
    timers.set("3576", 150.0)  # a round ran in between: the IDLE renewal moves on
    timers.set("3571", 120.0)
    timers.cancel("3571")  # news came before its poll was due
    assert timers.timeout(100.0) == 50.0
    assert timers.pop_due(140.0) == []
    assert timers.pop_due(150.0) == ["3576"]
    assert timers.timeout(150.0) is None


def test_a_store_that_fails_under_a_mailbox_stops_the_daemon(tmp_path, monkeypatch):
    desk = Desk(tmp_path)
    office = replace(desk.app.settings.office("3576"), imap=ImapSettings(host="127.0.0.1"))
    worker = MailboxWorker(office, desk.intake)
    monkeypatch.setattr(worker, "connect", lambda: None)
    monkeypatch.setattr(worker, "sync", lambda: (_ for _ in ()).throw(StoreCorrupt("hot.json: empty")))
    woken = []
    stop = threading.Event()
    waiter = Waiter([worker], stop, on_fatal=lambda: woken.append(True))
    waiter.run()  # returns: no endless retry
    assert stop.is_set() and woken == [True]
    assert isinstance(waiter.fatal, StoreCorrupt) and waiter.fatal is worker.fatal


def test_a_mailbox_whose_round_fails_is_retried_after_a_backoff_and_the_others_are_not(tmp_path, monkeypatch):
    desk = Desk(tmp_path)
    offices = [
        replace(desk.app.settings.office(c), imap=ImapSettings(host="127.0.0.1", idle=False, poll_seconds=3600))
        for c in ("3576", "3571")
    ]
    workers = [MailboxWorker(o, desk.intake) for o in offices]
    rounds: list[str] = []
    stop = threading.Event()
    waiter = Waiter(workers, stop)

    def broken() -> None:
        rounds.append("3576")
        if rounds.count("3576") == 2:  # it came back after its backoff: enough seen
            waiter.stop()
        raise ConnectionRefusedError("refused")

    def fine() -> int:
        rounds.append("3571")
        return 0

    for worker, sync in zip(workers, (broken, fine), strict=True):
        monkeypatch.setattr(worker, "connect", lambda: None)
        monkeypatch.setattr(worker, "sync", sync)
    waiter.run()
    assert rounds.count("3576") == 2 and rounds.count("3571") == 1
    assert waiter.delays == {"3576": 4.0, "3571": 1.0}


def test_a_full_data_disk_pauses_a_mailbox_and_it_tries_again_soon_without_backoff(tmp_path, monkeypatch):
    from helpdesk.errors import LocalFault

    desk = Desk(tmp_path)
    office = replace(
        desk.app.settings.office("3576"), imap=ImapSettings(host="127.0.0.1", idle=False, poll_seconds=0.1)
    )
    worker = MailboxWorker(office, desk.intake)
    stop = threading.Event()
    waiter = Waiter([worker], stop)
    tries = []

    def full() -> int:
        tries.append(1)
        if len(tries) == 3:
            waiter.stop()
        raise LocalFault.again("data disk full")

    monkeypatch.setattr(worker, "connect", lambda: None)
    monkeypatch.setattr(worker, "sync", full)
    waiter.run()
    assert len(tries) == 3
    assert waiter.delays == {"3576": 1.0}  # a pause, not a failing server: no backoff
