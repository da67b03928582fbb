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


class DeliveryFailure(HelpdeskError):
    """A mail the SMTP server did not take, with its reply code when it gave one (aiosmtplib's way):
    `refused` names the recipients turned down when others were accepted; `unreachable`, no server."""

    def __init__(
        self, message: str, *, code: int | None = None, refused: list[str] | None = None, unreachable: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.refused = refused
        self.unreachable = unreachable


class TemporaryFailure(DeliveryFailure, ConnectionError):
    """Retry later (SMTP 4xx, refused connection, timeout)."""


class PermanentFailure(DeliveryFailure):
    """Give up and report (SMTP 5xx, a recipient refused)."""


class Discard(HelpdeskError):
    """Stop the pipeline for this mail on purpose; the reason is logged and the mail is done."""


class LocalFault(HelpdeskError, OSError):
    """The data disk cannot be written (full, read-only, gone): a pause, never the mail's fault."""

    def __init__(self, what: str, path: object, cause: OSError) -> None:
        super().__init__(cause.errno, f"{what}: {path}: {cause.strerror or cause}")
        self.what = what  # "data disk full", "data directory read-only", "data disk error"

    @classmethod
    def again(cls, what: str) -> LocalFault:
        """The fault already reported (logged once) by the store, raised again for the caller."""
        return cls(what or "data disk error", "data directory", OSError(0, "write failed"))
