"""Build raw mails for tests: a citizen's question, a reply, an auto-reply (test helper)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_counter = itertools.count(1)


def citizen_mail(subject: str = "Permintaan data inflasi 2025",
                 body: str = "Selamat pagi, saya membutuhkan data inflasi Kota Mojokerto tahun 2025.",
                 sender: str = "Warga <warga@example.org>", to: str = "bps3576@bps.go.id",
                 message_id: str | None = "auto", headers: dict[str, str] | None = None,
                 in_reply_to: str = "", references: str = "",
                 attachments: list[tuple[str, str, bytes]] = (), date: datetime | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    if message_id == "auto":
        message_id = f"<q{next(_counter)}.{id(msg)}@example.org>"
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, ctype, payload in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
