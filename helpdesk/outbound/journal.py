"""What the SMTP server accepted since the outbox's last commit, one Message-ID a line (stage 3).

The outbox records outcomes once per batch. A daemon killed in the middle of a batch would
otherwise send again every mail the server had already accepted; this journal remembers them.
Each line is written straight to the file (no buffer in the process), so a killed process loses
none; without an fsync per mail, a power cut may lose the last lines, and those few mails go twice
with their original Message-ID (which lets mail clients recognise the copy).
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False  # the sending process imports this: no typing, no pathlib at its start
if TYPE_CHECKING:
    from pathlib import Path


class SentJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._opening = threading.Lock()  # opened once, whichever thread notes first

    def note(self, message_id: str) -> None:
        """Remember that the server accepted this mail (before the store knows it); one write of
        a whole line to a file opened for appending, so lines noted side by side never mix."""
        if self._fd is None:
            with self._opening:
                if self._fd is None:
                    os.makedirs(os.path.dirname(self.path), exist_ok=True)
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(self._fd, message_id.encode("ascii", "replace") + b"\n")

    def accepted(self) -> set[str]:
        """Message-IDs accepted but perhaps not yet recorded in the store."""
        try:
            with open(self.path, encoding="ascii", errors="replace") as journal:
                return {line for line in journal.read().splitlines() if line}
        except FileNotFoundError:
            return set()

    def close(self) -> None:
        """Let go of the file, keeping what it holds (the sending process, at the end of a batch)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def clear(self) -> None:
        """Forget them: called once the store's commit holds every outcome."""
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
