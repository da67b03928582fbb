"""Compiled templates kept between runs in `<data_dir>/cache/templates/` (stage 3, for outbound.compose).

Jinja2 turns each template into Python code before its first render: for the 21 shipped templates
that is a third of a second on a busy machine, paid by every `helpdesk check`, by `helpdesk run`
(which checks them before it starts) and by the daemon's first mails. Jinja2's bytecode cache keeps
that code keyed by the template's file and stamped with a checksum of its text and with the Python
and Jinja2 versions, so an edited template, an office's override or an upgrade is compiled afresh,
and a syntax error is still found by `check`.

What is kept is code the process runs (marshalled bytecode, behind a pickled checksum). Jinja2's own
FileSystemBytecodeCache would load whatever the folder holds, so anyone able to write the data folder
could make the daemon run their code. Here each file carries an HMAC-SHA256 tag, keyed by a key
derived from the settings' secret (which lives in the environment, never in the data folder), over
the template's cache key and the bytes Jinja2 wrote; nothing of a file is unpickled or unmarshalled
before its tag verifies. A file whose tag does not verify (forged, damaged, written with another
secret or by an older version) is logged once at debug level and the template compiled and written
again. No secret (settings with problems, read by `check`): no cache.

The cache is a shortcut only: a folder that cannot be made or written (a full or read-only data
disk, which `check`, `status` and `run` report themselves) is logged at debug level, and the
template compiled.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import BytecodeCache

if TYPE_CHECKING:
    from jinja2.bccache import Bucket

log = logging.getLogger(__name__)
FOLDER = "templates"
# The derived key's label: the cache's tags are never the relay tokens' MACs under the same secret.
KEY_LABEL = b"pst-helpdesk compiled-template cache v1"
TAG_SIZE = hashlib.sha256().digest_size


def cache_key(secret: str) -> bytes:
    """The key that tags the cache's files, derived from the settings' secret."""
    return hmac.new(secret.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()


class TemplateCache(BytecodeCache):
    """Signed compiled templates in one folder: a render never fails on it, and it never creates the
    data folder itself."""

    def __init__(self, cache_dir: Path, secret: str) -> None:
        if not secret:
            raise ValueError("a compiled-template cache needs the settings' secret")
        self.folder = cache_dir / FOLDER
        self._key = cache_key(secret)
        self._rejected = False

    def _path(self, bucket: Bucket) -> Path:
        # bucket.key is a hex digest, never a path; Jinja2's own file name, so an unsigned file an
        # earlier version kept is rejected once and written over.
        return self.folder / f"__jinja2_{bucket.key}.cache"

    def _tag(self, bucket: Bucket, payload: bytes) -> bytes:
        return hmac.new(self._key, bucket.key.encode("ascii") + b"\0" + payload, hashlib.sha256).digest()

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:  # not a folder, no permission: as when it cannot be written
            log.debug("compiled-template cache %s not read (%s)", self.folder, exc)
            return
        tag, payload = raw[:TAG_SIZE], raw[TAG_SIZE:]
        if len(tag) != TAG_SIZE or not hmac.compare_digest(tag, self._tag(bucket, payload)):
            self._reject(path)
            return
        try:
            bucket.bytecode_from_string(payload)
        except Exception as exc:  # noqa: BLE001 - our own tag on code this Python cannot read: compile
            bucket.reset()
            log.debug("compiled-template cache %s not loaded (%s): compiled", path, exc)

    def dump_bytecode(self, bucket: Bucket) -> None:
        # The data folder itself is made by the daemon's installation (owner, mode): not here.
        if not self.folder.parent.parent.is_dir():
            return
        payload = bucket.bytecode_to_string()
        path = self._path(bucket)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp: mode 0600, a name no other process picks; the rename makes the file whole or absent.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(self._tag(bucket, payload) + payload)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A full or read-only data disk is reported where it matters (check, status, run: one
            # line); this copy only saves time, so its failure stays out of the way.
            log.debug("compiled-template cache %s not written (%s)", self.folder, exc)

    def clear(self) -> None:
        for path in self.folder.glob("__jinja2_*.cache"):
            path.unlink(missing_ok=True)

    def _reject(self, path: Path) -> None:
        if not self._rejected:  # once per process: the next template would only say it again
            self._rejected = True
            log.debug("compiled-template cache %s: tag does not verify, not loaded; templates are compiled", path)
