"""Every office mailbox waited on in one place: one selector over the idling IMAP sockets (stage 1).

BPS has about 550 offices. A thread per mailbox, each waking every second to look at its socket,
kept two cores busy with no mail arriving. Here one thread sleeps in `select` until a socket has
something to read or a timer is due (an IDLE to renew, a mailbox to poll, a reconnection after a
backoff); only then does a small pool of worker threads run a round for that one mailbox: log in,
take in the new mail, enter IDLE again. The pool's size bounds the logins in flight, so a start
with hundreds of mailboxes does not storm the IMAP server, and a lost connection is retried with
its own backoff without touching the others.

Reading what a server says during IDLE is done here, without blocking: keep-alives are dropped,
EXISTS/RECENT start a round, end of file or `* BYE` is a lost connection.
"""

from __future__ import annotations

import heapq
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..errors import StoreCorrupt
from .idle import ConnectionLost, idle_news
from .mailbox import IDLE_RENEW_SECONDS, LOCAL_FAULT_RETRY_SECONDS, NETWORK_ERRORS, Attempt, MailboxWorker

log = logging.getLogger(__name__)
ROUND_WORKERS = 8  # rounds (logins, fetches) in flight at once
FIRST_DELAY, MAX_DELAY = 1.0, 300.0  # reconnection backoff: 1 s doubling to 5 min


def next_delay(delay: float) -> float:
    """The backoff after one more failure in a row."""
    return min(delay * 2, MAX_DELAY)


class Timers:
    """When each mailbox is next due, in monotonic seconds (pure: the caller passes `now`)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}

    def set(self, key: str, at: float) -> None:
        self._due[key] = at
        heapq.heappush(self._heap, (at, key))

    def cancel(self, key: str) -> None:
        self._due.pop(key, None)  # its heap entry is skipped when it comes up

    def timeout(self, now: float) -> float | None:
        """Seconds until the next timer (0 when one is due), None when there is none."""
        self._discard_stale()
        return max(0.0, self._heap[0][0] - now) if self._heap else None

    def pop_due(self, now: float) -> list[str]:
        """The keys whose time has come, earliest first; each is then forgotten."""
        due = []
        self._discard_stale()
        while self._heap and self._heap[0][0] <= now:
            _, key = heapq.heappop(self._heap)
            del self._due[key]
            due.append(key)
            self._discard_stale()
        return due

    def _discard_stale(self) -> None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)


class Waiter:
    """Runs every mailbox until `stop` is set (`run()` in a thread of its own), then logs out."""

    def __init__(
        self,
        workers: list[MailboxWorker],
        stop: threading.Event,
        *,
        round_workers: int = ROUND_WORKERS,
        on_fatal: Callable[[], None] = lambda: None,
    ) -> None:
        self.workers = {w.office.code: w for w in workers}
        self.stop_event = stop
        self.round_workers = max(1, min(round_workers, len(workers)))
        self.on_fatal = on_fatal
        self.fatal: StoreCorrupt | None = None
        self.timers = Timers()
        self.delays = dict.fromkeys(self.workers, FIRST_DELAY)
        self.busy: set[str] = set()
        self.watched: dict[str, socket.socket] = {}
        self.first_rounds_left = set(self.workers)
        self.connected = threading.Event()  # set once every mailbox has had a first round
        self._done: queue.SimpleQueue[tuple[str, Attempt]] = queue.SimpleQueue()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._pool: ThreadPoolExecutor | None = None

    def stop(self) -> None:
        """Finish the rounds in hand, then log out of every mailbox (from any thread)."""
        self.stop_event.set()
        self.wake()

    def wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a full wake-up pipe already wakes the waiter; a closed one is done

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        started = time.monotonic()
        with ThreadPoolExecutor(self.round_workers, thread_name_prefix="mailbox") as pool:
            self._pool = pool
            for code in self.workers:
                self._start(code)
            while not self.stop_event.is_set() or self.busy:
                timeout = None if self.stop_event.is_set() else self.timers.timeout(time.monotonic())
                for key, _ in self._selector.select(timeout):
                    if key.data is None:
                        self._drain_wake()
                    else:
                        self._readable(key.data)
                self._collect(started)
                if not self.stop_event.is_set():
                    for code in self.timers.pop_due(time.monotonic()):
                        self._start(code)
            # Stopping: nothing is busy any more; leave IDLE and log out politely, side by side.
            for code in list(self.watched):
                self._unwatch(code)
            list(pool.map(lambda w: w.disconnect(), self.workers.values()))
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _start(self, code: str, failure: BaseException | None = None) -> None:
        """Run a round for one mailbox in the pool (or, after `failure`, only drop its connection)."""
        assert self._pool is not None
        self._unwatch(code)
        self.timers.cancel(code)
        self.busy.add(code)
        self._pool.submit(self._round, code, failure)

    def _round(self, code: str, failure: BaseException | None) -> None:
        worker = self.workers[code]
        try:
            if failure is not None:
                worker.failed(failure)
                outcome = Attempt.RETRY
            else:
                outcome = worker.attempt(self.stop_event)
        except Exception:  # noqa: BLE001 - attempt() catches all; without this the mailbox would hang
            log.exception("mailbox %s: round failed", code)
            outcome = Attempt.RETRY
        self._done.put((code, outcome))
        self.wake()

    def _readable(self, worker: MailboxWorker) -> None:
        code = worker.office.code
        try:
            lines = worker.read_idle()
            if not lines:
                # select() said readable and nothing came: the server closed the connection.
                raise ConnectionLost("connection closed by the server")
            news = idle_news(lines)
        except NETWORK_ERRORS as exc:
            self._start(code, failure=exc)
            return
        if news:
            self._start(code)

    def _collect(self, started: float) -> None:
        """Act on the rounds that ended: watch the socket, or set the timer of the next round."""
        while True:
            try:
                code, outcome = self._done.get_nowait()
            except queue.Empty:
                return
            self.busy.discard(code)
            worker = self.workers[code]
            now = time.monotonic()
            if outcome is Attempt.FATAL:
                self.fatal = worker.fatal
                self.stop_event.set()
                self.on_fatal()
                continue
            if outcome is Attempt.PAUSED:
                self.timers.set(code, now + min(LOCAL_FAULT_RETRY_SECONDS, worker.imap.poll_seconds))
                continue
            if outcome is Attempt.RETRY:
                self.timers.set(code, now + self.delays[code])
                log.info("mailbox %s: next attempt in %.0f s", code, self.delays[code])
                self.delays[code] = next_delay(self.delays[code])
                continue
            self.delays[code] = FIRST_DELAY
            if outcome is Attempt.IDLING and not self.stop_event.is_set():
                assert worker.client is not None
                self.watched[code] = worker.client.socket()
                self._selector.register(self.watched[code], selectors.EVENT_READ, worker)
                self.timers.set(code, now + IDLE_RENEW_SECONDS)
            else:
                self.timers.set(code, now + worker.imap.poll_seconds)
            if code in self.first_rounds_left:
                self.first_rounds_left.discard(code)
                if not self.first_rounds_left:
                    self.connected.set()
                    log.info("all %d mailboxes connected in %.1f s", len(self.workers), now - started)

    def _unwatch(self, code: str) -> None:
        sock = self.watched.pop(code, None)
        if sock is not None:
            self._selector.unregister(sock)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass
