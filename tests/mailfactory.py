"""Build mails for tests: a citizen's question, a reply, an auto-reply; outgoing mail queued in a
store (test helper)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from helpdesk.model import OutgoingMail
from helpdesk.tickets.store import Store

_counter = itertools.count(1)


def citizen_mail(
    subject: str = "Permintaan data inflasi 2025",
    body: str = "Selamat pagi, saya membutuhkan data inflasi Kota Mojokerto tahun 2025.",
    sender: str = "Warga <warga@example.org>",
    to: str = "bps3576@bps.go.id",
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
    in_reply_to: str = "",
    references: str = "",
    attachments: list[tuple[str, str, bytes]] = (),
    date: datetime | None = None,
) -> bytes:
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


OUTBOX_NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def outgoing_mail(i: int) -> OutgoingMail:
    """The i-th acknowledgement waiting in an outbox, due at OUTBOX_NOW."""
    mid = f"<pst.test.{i}@bps.go.id>"
    return OutgoingMail(
        message_id=mid,
        office="3576",
        mail_from="bps3576@bps.go.id",
        recipients=[f"warga{i}@example.org"],
        raw=f"Subject: x\r\nMessage-ID: {mid}\r\n\r\nhalo\r\n",
        purpose="acknowledgement",
        created_at=OUTBOX_NOW,
        next_attempt_at=OUTBOX_NOW,
    )


def queued_outbox(tmp_path: Path, n: int) -> Store:
    """A store whose outbox holds outgoing_mail(0 .. n-1), committed."""
    store = Store(tmp_path / "store")
    for i in range(n):
        store.queue_mail(outgoing_mail(i))
    store.commit()
    return store
