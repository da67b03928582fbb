"""Durable file writes: temp file, fsync, rename (stage 2; tickets.tinystore writes TinyDB through them)."""

from __future__ import annotations

import errno
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from ..errors import LocalFault, StoreCorrupt

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
IOV_MAX = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 1024
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def local_fault(exc: OSError, path: Path) -> LocalFault:
    """What an OSError of a write under the data directory means for the daemon."""
    what = (
        "data disk full"
        if exc.errno in _FULL
        else "data directory read-only"
        if exc.errno in _READ_ONLY
        else "data directory missing"
        if exc.errno == errno.ENOENT
        else "data disk error"
    )
    return LocalFault(what, path, exc)


def write_atomic(path: Path, data: bytes | list[bytes]) -> None:
    """Replace `path` with `data` (or its pieces, in order) so that a crash leaves either the old
    or the new file, never half.

    A write that fails (disk full, read-only mount) leaves no temporary file behind and raises
    LocalFault: the caller pauses, and nothing is charged to the mail in hand."""
    tmp = _tmp_name(path)
    try:
        try:
            fh = open(tmp, "wb", buffering=0)  # noqa: SIM115 - closed by the `with` below
        except FileNotFoundError:
            # Asked only when the open failed: a stat of the folder before every write cost as
            # much as the write itself while another thread renamed a file in that folder.
            _make_dirs(path.parent)
            fh = open(tmp, "wb", buffering=0)  # noqa: SIM115
        with fh:
            _write_all(fh.fileno(), [data] if isinstance(data, bytes) else data)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        # The rename itself is only durable once the directory entry is on disk.
        fsync_dir(path.parent)
    except OSError as exc:
        if isinstance(exc, LocalFault):
            raise
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # removed at the next start (Store.remove_leftovers)
        raise local_fault(exc, path) from exc


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """The pieces straight from where they lie, IOV_MAX at a time (a store file is megabytes in
    a thousand pieces: joining them first was a copy of the whole file at every commit)."""
    todo: list[bytes | memoryview] = list(pieces)
    i = 0
    while i < len(todo):
        chunk = todo[i : i + IOV_MAX]
        written = os.writev(fd, chunk)
        if written == sum(map(len, chunk)):
            i += len(chunk)
            continue
        while written:  # a short write (rare on a file): go on from where it stopped
            size = len(todo[i])
            if written >= size:
                written -= size
                i += 1
            else:
                todo[i], written = memoryview(todo[i])[written:], 0


def _make_dirs(directory: Path) -> None:
    """mkdir -p, each new directory synced into its parent (a new month's spool folder)."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    directory.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(made.parent)


def fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _tmp_name(path: Path) -> Path:
    """A temporary name of this process and thread: two threads may write the same spool file
    (the mailbox worker spools the next batch while the intake writes the current one)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def read_json(path: Path) -> Any:
    """Read a store file; a missing file is None, anything unreadable is StoreCorrupt."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreCorrupt(f"{path}: cannot be read: {exc}") from exc
    if not data.strip():
        # A zero-byte file is a write that never finished, never a fresh store.
        raise StoreCorrupt(f"{path}: file is empty; refusing to start over it")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreCorrupt(f"{path}: not valid JSON ({exc}); the file is left untouched") from exc


_LEFTOVER = re.compile(r"^\..+\.\d+\.\d+\.tmp$")


def remove_leftovers(root: Path) -> int:
    """Delete temporary files that a write cut short left under `root` (`.hot.json.PID.TID.tmp`).
    Only for the one process that writes there, at its start: another one's would be in use."""
    removed = 0
    for directory, _, names in os.walk(root):
        for name in names:
            if _LEFTOVER.match(name):
                try:
                    os.unlink(os.path.join(directory, name))
                    removed += 1
                except OSError:
                    pass  # read-only: the start-up check reports that on its own
    return removed


def unwritable(directory: Path) -> str:
    """ "" when files can be written in `directory` (or it can be made), else what prevents it."""
    probe = directory if directory.is_dir() else directory.parent
    if not probe.is_dir():
        return f"data directory missing: {directory} (nor {probe} exists: a disk not mounted?)"
    try:
        # As big as a small hot file: a disk with a few KB left cannot hold a commit either.
        write_atomic(probe / ".write-probe", b"\0" * 65536)
        (probe / ".write-probe").unlink()
    except LocalFault as exc:
        return str(exc)
    except OSError as exc:
        return str(local_fault(exc, probe))
    return ""
