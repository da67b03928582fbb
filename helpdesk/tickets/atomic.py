"""Durable file writes (temp file, fsync, rename) and a TinyDB storage built on them (stage 2)."""

from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from ..errors import StoreCorrupt


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    # The rename itself is only durable once the directory entry is on disk.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _tmp_name(path: Path) -> Path:
    """A temporary name of this process and thread: two threads may write the same spool file
    (the mailbox worker spools the next batch while the intake writes the current one)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _load_syncfs():  # noqa: ANN202
    """Linux syncfs(2): every file of one filesystem on disk in one call, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
    return fn


_SYNCFS = _load_syncfs()
SYNCFS_FROM = 16       # files in one batch from which one syncfs costs less than a fsync each


def _sync_all(fds: list[int]) -> None:
    """Data of every file in `fds` on disk: one syncfs for a batch on one filesystem (since Linux
    5.8 it reports writeback errors like fsync), else one fsync each."""
    if _SYNCFS is not None and len(fds) >= SYNCFS_FROM \
            and len({os.fstat(fd).st_dev for fd in fds}) == 1:
        if _SYNCFS(fds[0]) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}")
        return
    for fd in fds:
        os.fsync(fd)


def write_many_atomic(files: list[tuple[Path, bytes]]) -> None:
    """Write several files with the guarantee of `write_atomic` for each, at less cost: every file
    is written to its temporary name first, then all are synced in one pass (one syncfs for a
    large batch), renamed, and each directory synced once.

    A crash leaves each path either absent (or as it was) or complete, never half written."""
    dirs: set[Path] = set()
    opened: list[tuple[int, Path, Path]] = []
    try:
        for path, data in files:
            if path.parent not in dirs:
                _make_dirs(path.parent, dirs)
            tmp = _tmp_name(path)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            opened.append((fd, tmp, path))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        _sync_all([fd for fd, _, _ in opened])
    finally:
        for fd, _, _ in opened:
            os.close(fd)
    for _, tmp, path in opened:
        os.replace(tmp, path)
    for directory in dirs:
        _fsync_dir(directory)


def _make_dirs(directory: Path, synced: set[Path]) -> None:
    """mkdir -p; a directory made here is synced into its parent as well."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    directory.mkdir(parents=True, exist_ok=True)
    synced.add(directory)
    for made in missing:
        synced.add(made.parent)


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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


class AtomicJSONStorage(Storage):
    """TinyDB storage whose every write is atomic; unreadable content stops instead of resetting."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = read_json(self.path)
        if data is not None and not isinstance(data, dict):
            raise StoreCorrupt(f"{self.path}: expected a JSON object of tables")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())

    def close(self) -> None:
        pass
