"""Hand mail to the SMTP server with aiosmtplib, in the daemon's own event loop (stage 3).

The daemon's SMTP sending process has its own client (outbound/session.py: pipelined sessions
sharing one thread); both read the server's answers with session.failure.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..config import SmtpSettings
from ..errors import PermanentFailure, TemporaryFailure
from ..model import OutgoingMail
from .session import failure as _failure

if TYPE_CHECKING:
    import aiosmtplib

log = logging.getLogger(__name__)


def smtp_client(s: SmtpSettings) -> aiosmtplib.SMTP:
    """An unconnected client for the configured server (TLS mode, login), for sending and for probing."""
    # Imported at the first mail out: the daemon's own process starts without it when a sending
    # process does the sending (outbound.sender), and `import aiosmtplib` is a twentieth of a second.
    import aiosmtplib

    return aiosmtplib.SMTP(
        hostname=s.host,
        port=s.port,
        timeout=s.timeout,
        use_tls=s.tls == "ssl",
        start_tls=s.tls == "starttls",
        username=s.username or None,
        password=s.password or None,
    )


class SmtpSender:
    """One SMTP session reused for a batch of mail; reconnects when the server dropped it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        client = smtp_client(self.settings)
        await client.connect()
        return client

    async def send(self, mail: OutgoingMail) -> str:
        """Send one mail; returns the server's answer or raises Temporary/PermanentFailure."""
        import aiosmtplib

        try:
            if self._client is None or not self._client.is_connected:
                self._client = await self._connect()
            errors, answer = await self._client.sendmail(mail.mail_from, mail.recipients, mail.raw.encode("utf-8"))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            worst = max((r.code for r in exc.recipients), default=550)
            raise _failure(worst, "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            raise _failure(exc.code, exc.message) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Refused connection, timeout, dropped session: the server may be back soon.
            await self.close()
            raise TemporaryFailure(f"server unreachable: {type(exc).__name__}: {exc}", unreachable=True) from exc
        except Exception as exc:  # noqa: BLE001 - e.g. a non-ASCII address the server cannot take
            # The mail itself cannot be sent, so retrying never helps; left `sending`, it would stop
            # every later drain at the same place.
            await self.close()
            raise PermanentFailure(f"cannot be sent: {type(exc).__name__}: {exc}") from exc
        if errors:
            # Some recipients refused while the client returned normally: still a failure.
            worst = max(r.code for r in errors.values())
            raise _failure(
                worst, "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in errors.items()), refused=list(errors)
            )
        return answer

    async def close(self) -> None:
        import aiosmtplib

        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
