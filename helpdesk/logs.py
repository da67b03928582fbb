"""Logging setup: one line per event, with time, level and module; secrets never logged."""

from __future__ import annotations

import logging
import sys
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATEFMT = "%Y-%m-%dT%H:%M:%S%z"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes, not what it was at setup.

    Threads of libraries (aiosmtpd, APScheduler) may log after a caller swapped or closed the
    stream it had at setup; writing to a stale, closed stream only produces "Logging error" noise.
    """

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


class _Formatter(logging.Formatter):
    """The line format, its time written once per second (a mail logs several lines in one)."""

    _last: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        last = self._last
        if last[0] != second:
            last = self._last = (second, time.strftime(datefmt or DATEFMT, self.converter(second)))
        return last[1]


def setup(level: str = "INFO") -> None:
    handler = _StderrHandler()
    handler.setFormatter(_Formatter(FORMAT, DATEFMT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The line shows none of these, and a record gathered them at every call: the caller's file
    # and line by walking the stack, the thread, the process and its name (half of a line's cost;
    # the daemon writes several lines a mail).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # imapclient logs every command at DEBUG, LOGIN included: keep it quiet unless asked.
    logging.getLogger("imapclient").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd, in the demo's sink
