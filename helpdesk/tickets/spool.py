"""Raw mail and attachment bytes on disk under generated names, never the sender's (stage 2).

Inbound mail is kept one mbox file per fetched batch (`in/YYYY/MM/<hash>.mbox`, mboxrd quoting),
so a batch costs one file creation instead of one per mail (about 0.3 ms each on this machine's
kernel, more than parsing the mail) and a human can open it in any mail client. A mail in it is
referred to as `<file>:<offset>:<length>`; `read()` gives back the exact bytes fetched.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from .atomic import write_atomic

_FROM_LINE = re.compile(rb"^(>*From )", re.M)
_QUOTED_FROM_LINE = re.compile(rb"^>(>*From )", re.M)


def _quote(raw: bytes) -> bytes:
    """mboxrd: every line starting with >*"From " gets one more '>' (undone exactly by _unquote)."""
    return _FROM_LINE.sub(rb">\1", raw) if b"From " in raw else raw


def _unquote(data: bytes) -> bytes:
    return _QUOTED_FROM_LINE.sub(rb"\1", data) if b"From " in data else data


class Spool:
    """Files under generated names: `in/YYYY/MM/<hash>.mbox`, `att/<hash>`, `quarantine/`."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "spool"

    def put_inbound(self, raw: bytes, received_at: datetime) -> str:
        """Store one raw inbound message durably; returns its spool reference."""
        return self.put_inbound_batch([(raw, received_at)])[0]

    def put_inbound_batch(self, mails: list[tuple[bytes, datetime]]) -> list[str]:
        """Store a fetched batch durably in one mbox file (one sync); returns a reference per mail.

        The file is named by its content, so the same batch written twice (the fetch thread ahead
        of the intake, or a batch fetched again after a crash) is one file, written once."""
        if not mails:
            return []
        digest = hashlib.sha256()
        for raw, received_at in mails:
            digest.update(b"%d %s\n" % (len(raw), received_at.isoformat().encode()))
            digest.update(raw)
        rel = f"in/{mails[0][1]:%Y/%m}/{digest.hexdigest()[:40]}.mbox"
        parts, refs, offset = [], [], 0
        for raw, received_at in mails:
            sep = b"From MAILER-DAEMON %s\n" % received_at.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y").encode()
            body = _quote(raw)
            offset += len(sep)
            refs.append(f"{rel}:{offset}:{len(body)}")
            parts += [sep, body, b"\n\n"]
            offset += len(body) + 2
        path = self.root / rel
        if not path.exists():
            write_atomic(path, b"".join(parts))
        return refs

    def put_attachment(self, payload: bytes) -> str:
        """Store attachment bytes under their hash; the sender's filename never becomes a path."""
        digest = hashlib.sha256(payload).hexdigest()[:40]
        rel = f"att/{digest[:2]}/{digest}"
        path = self.root / rel
        if not path.exists():
            write_atomic(path, payload)
        return rel

    def put_quarantine(self, key: str, raw: bytes) -> str:
        safe = hashlib.sha256(key.encode()).hexdigest()[:24]
        rel = f"quarantine/{safe}.eml"
        write_atomic(self.root / rel, raw)
        return rel

    def put_failed(self, message_id: str, raw: bytes) -> str:
        """An outgoing mail given up on: its text leaves the hot file for `failed/`."""
        return self._put_outgoing("failed", message_id, raw)

    def put_outgoing(self, message_id: str, raw: bytes) -> str:
        """A big outgoing mail's text while it waits in the outbox (`out/`)."""
        return self._put_outgoing("out", message_id, raw)

    def _put_outgoing(self, folder: str, message_id: str, raw: bytes) -> str:
        rel = f"{folder}/{hashlib.sha256(message_id.encode()).hexdigest()[:24]}.eml"
        write_atomic(self.root / rel, raw)
        return rel

    def read(self, ref: str) -> bytes:
        """The bytes stored under a reference: a whole file, or one mail of a batch file."""
        rel, offset, length = ref, None, None
        name, sep, span = ref.rpartition(".mbox:")
        if sep:
            rel = name + ".mbox"
            start, _, size = span.partition(":")
            offset, length = int(start), int(size)
        path = (self.root / rel).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise ValueError(f"spool path escapes the spool: {rel!r}")
        if offset is None:
            return path.read_bytes()
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise ValueError(f"spool file {rel} is shorter than its reference {ref!r}")
        return _unquote(data)
