"""Errors named by what went wrong; each is caught in one place (pipeline, outbox, daemon)."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error the helpdesk raises on purpose."""


class ConfigError(HelpdeskError, ValueError):
    """Settings, rules or templates are wrong; carries every problem found, each with file and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class StoreCorrupt(HelpdeskError, RuntimeError):
    """A store file cannot be read: the daemon stops and the file is left untouched."""


class Quarantine(HelpdeskError):
    """Keep the raw mail aside for a human; never retry automatically."""


class TemporaryFailure(HelpdeskError, ConnectionError):
    """Retry later (SMTP 4xx, refused connection, timeout)."""


class PermanentFailure(HelpdeskError):
    """Give up and report (SMTP 5xx, a recipient refused)."""


class Discard(HelpdeskError):
    """Stop the pipeline for this mail on purpose; the reason is logged and the mail is done."""
