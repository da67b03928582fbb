"""One helpdesk process per data directory: an exclusive lock held while `run` works.

The store is loaded once into memory and written back whole, and mail is fetched by UID before it
is flagged: two processes on one data directory (an overlapping cron `run --once`, or a manual
`run --once` beside the systemd daemon) each made a ticket of every new mail, both numbered
PST-...-000001, and acknowledged every citizen twice; the last writer's store won. The kernel
drops the lock when the process ends, however it ends (kill -9 included), so it is never stale.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "helpdesk.lock"
HELD: set[Path] = set()  # data directories this process holds the lock of (a migration needs it)


class AlreadyRunning(Exception):
    """Another process holds the data directory."""


@contextmanager
def single_instance(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's lock for the duration, or raise AlreadyRunning at once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise AlreadyRunning(
                f"another helpdesk process (pid {holder}) is working on {data_dir}; this one does nothing"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        HELD.add(data_dir.resolve())
        try:
            yield
        finally:
            HELD.discard(data_dir.resolve())
    finally:
        os.close(fd)  # closing the descriptor releases the lock
