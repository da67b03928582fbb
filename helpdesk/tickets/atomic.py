"""Durable file writes (temp file, fsync, rename) and a TinyDB storage built on them (stage 2)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from ..errors import StoreCorrupt


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, never half."""
    if not path.parent.is_dir():
        _make_dirs(path.parent)
    tmp = _tmp_name(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    # The rename itself is only durable once the directory entry is on disk.
    _fsync_dir(path.parent)


def _make_dirs(directory: Path) -> None:
    """mkdir -p, each new directory synced into its parent (a new month's spool folder)."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    directory.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        _fsync_dir(made.parent)


def _fsync_dir(directory: Path) -> None:
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
