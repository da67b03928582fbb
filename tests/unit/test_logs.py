"""Log lines read as they did before the per-second time and the lighter records (issue 12 item 5)."""

from __future__ import annotations

import io
import logging
import sys

from helpdesk import logs


def test_each_line_has_the_format_of_the_plain_formatter():
    plain = logging.Formatter(logs.FORMAT, logs.DATEFMT)
    ours = logs._Formatter(logs.FORMAT, logs.DATEFMT)
    for created in (1_795_000_000.0, 1_795_000_000.999, 1_795_000_001.0, 1_795_000_000.5, 1_800_000_000.25):
        record = logging.LogRecord("helpdesk.pipeline", logging.INFO, __file__, 1, "%s: %s", ("<a@b>", "x"), None)
        record.created = created
        assert ours.format(record) == plain.format(record)


def test_setup_writes_one_line_a_record_with_its_traceback(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):  # set by setup: restored after
        monkeypatch.setattr(logging, name, getattr(logging, name))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup("INFO")
        log = logging.getLogger("helpdesk.test")
        log.debug("not shown")
        log.info("ticket %s opened", "PST-3576-2026-000001")
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError:
            log.exception("failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith(" INFO helpdesk.test: ticket PST-3576-2026-000001 opened")
    assert lines[1].endswith(" ERROR helpdesk.test: failed") and lines[2] == "Traceback (most recent call last):"
    assert lines[-1] == "ZeroDivisionError: boom"
