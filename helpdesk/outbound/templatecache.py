"""Compiled templates kept between runs in `<data_dir>/cache/templates/` (stage 3, for outbound.compose).

Jinja2 turns each template into Python code before its first render: for the 21 shipped templates
that is a third of a second on a busy machine, paid by every `helpdesk check`, by `helpdesk run`
(which checks them before it starts) and by the daemon's first mails. Jinja2's own bytecode cache
keeps that code keyed by the template's file and stamped with a checksum of its text and with the
Python and Jinja2 versions, so an edited template, an office's override or an upgrade is compiled
afresh, and a syntax error is still found by `check`. The cache is a shortcut only: a damaged file
is logged once (a warning) and the template compiled; a folder that cannot be made or written (a
full or read-only data disk, which `check`, `status` and `run` report themselves) is logged at
debug level, and the template compiled.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import FileSystemBytecodeCache

if TYPE_CHECKING:
    from jinja2.bccache import Bucket

log = logging.getLogger(__name__)
FOLDER = "templates"


class TemplateCache(FileSystemBytecodeCache):
    """FileSystemBytecodeCache that never fails a render and never creates the data folder itself."""

    def __init__(self, cache_dir: Path) -> None:
        super().__init__(str(cache_dir / FOLDER))
        self.folder = cache_dir / FOLDER
        self._warned = False

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError as exc:  # not a folder, no permission: as when it cannot be written
            bucket.reset()
            log.debug("compiled-template cache %s not read (%s)", self.folder, exc)
        except Exception as exc:  # noqa: BLE001 - a damaged file (bad pickle, bad marshal): compile instead
            bucket.reset()
            self._warn(exc)

    def dump_bytecode(self, bucket: Bucket) -> None:
        # The data folder itself is made by the daemon's installation (owner, mode): not here.
        if not self.folder.parent.parent.is_dir():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as exc:
            # A full or read-only data disk is reported where it matters (check, status, run: one
            # line); this copy only saves time, so its failure stays out of the way.
            log.debug("compiled-template cache %s not written (%s)", self.folder, exc)

    def _warn(self, exc: Exception) -> None:
        if not self._warned:  # once per process: the next template would only say it again
            self._warned = True
            log.warning("compiled-template cache %s damaged (%s): templates are compiled", self.folder, exc)
