"""`helpdesk check --connect`: log in to each office mailbox and to the SMTP server, named one by one."""

from __future__ import annotations

import asyncio

from .config import ImapSettings, Settings, SmtpSettings
from .inbound.failures import imap_failure, server_text
from .outbound.smtp import smtp_client


def imap_login(imap: ImapSettings) -> None:
    """Log in and out once; raises what imapclient raises."""
    import ssl

    from imapclient import IMAPClient

    context = ssl.create_default_context() if imap.tls != "none" else None
    client = IMAPClient(imap.host, port=imap.port, ssl=imap.tls == "ssl", ssl_context=context, timeout=imap.timeout)
    try:
        if imap.tls == "starttls":
            client.starttls(context)
        client.login(imap.username, imap.password)
        client.select_folder(imap.folder, readonly=True)
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - after a refused login the server may have hung up
            client.shutdown()


async def smtp_login(smtp: SmtpSettings) -> None:
    client = smtp_client(smtp)
    await client.connect()
    await client.quit()


def connect(settings: Settings) -> tuple[list[str], list[str]]:
    """(what worked, what did not), one line per mailbox and one for the SMTP server."""
    ok, failed = [], []
    for office in settings.offices:
        if office.imap is None:
            continue  # reported by `check` already
        try:
            imap_login(office.imap)
            ok.append(f"office {office.code}: IMAP login to {office.imap.username}@{office.imap.host} ok")
        except Exception as exc:  # noqa: BLE001 - every way a login fails is reported, none stops the rest
            failed.append(f"office {office.code}: {imap_failure(office, exc)}")
    s = settings.smtp
    try:
        asyncio.run(smtp_login(s))
        ok.append(f"SMTP {s.host}:{s.port} ok" + (f" (login {s.username})" if s.username else ""))
    except Exception as exc:  # noqa: BLE001
        failed.append(f"SMTP {s.host}:{s.port}: {type(exc).__name__}: {server_text(exc)}")
    return ok, failed
