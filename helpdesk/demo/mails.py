"""The demo's mail: what citizens and an operator write, and each mail printed as its reader sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


def sample(
    sender: str, to: str, subject: str, body: str, html: bool = False, attachment: tuple[str, bytes] | None = None
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="warga.example")
    if html:
        msg.set_content(f"<html><body><p>{body}</p></body></html>", subtype="html")
    else:
        msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return msg.as_bytes()


# (office, sender, subject, body, HTML only, attachment). The first one goes around the whole loop.
SAMPLES = [
    (
        "3576",
        "Siti Aminah <siti.aminah@warga.example>",
        "Permintaan data inflasi Kota Mojokerto 2025",
        "Selamat pagi, saya mahasiswa dan membutuhkan data inflasi bulanan Kota Mojokerto tahun 2025 "
        "untuk skripsi. Terima kasih.",
        False,
        None,
    ),
    (
        "3571",
        "Budi <budi@warga.example>",
        "=?UTF-8?B?RGF0YSBrZW1pc2tpbmFuIOKAkyBLZWRpcmk=?=",
        "Mohon informasi jumlah penduduk miskin Kota Kediri 2020-2024.",
        True,
        None,
    ),
    (
        "8200",
        "Researcher <r.smith@university.example>",
        "Population census data for North Maluku",
        "Dear BPS, could you please send the 2020 population census tables for Ternate? Thank you.",
        False,
        ("surat-permohonan.pdf", b"%PDF-1.4 demo\n"),
    ),
    ("7604", "Andi <andi@warga.example>", "Auto: Saya sedang cuti", "Saya sedang cuti.", False, None),
]
ANSWER = (
    "#tutup\nSelamat siang Ibu Siti,\n\nData inflasi bulanan Kota Mojokerto 2025 ada di tabel "
    '"Inflasi Year on Year" di https://mojokertokota.bps.go.id/id/statistics-table. Semoga '
    "skripsinya lancar.\n\nSalam,\n{name}\nPST BPS Kota Mojokerto"
)


def operator_reply(notification: EmailMessage, sender: str, name: str) -> bytes:
    """What the operator's mail client sends on Reply: To the Reply-To, threaded, quoting the notification."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = str(notification["Reply-To"])
    msg["Subject"] = "Re: " + str(notification["Subject"]).strip()
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="bps.go.id")
    msg["In-Reply-To"] = msg["References"] = str(notification["Message-ID"])
    body = notification.get_body(("plain",))
    assert body is not None, "a notification always has a text part"
    quoted = "\n".join("> " + line for line in body.get_content().splitlines())
    when = format_datetime(datetime.now(UTC))
    msg.set_content(ANSWER.format(name=name) + f"\n\nPada {when}, {notification['From']} menulis:\n{quoted}\n")
    return msg.as_bytes()


def as_seen(title: str, msg: EmailMessage, lines: int = 40) -> str:
    """A mail as its reader's client shows it: the headers people look at, then the text."""
    body = msg.get_body(("plain",))
    text = body.get_content().rstrip().splitlines() if body is not None else ["(HTML only)"]
    more = [f"[... {len(text) - lines} more lines]"] if len(text) > lines else []
    head = [f"From:    {msg['From']}", f"To:      {msg['To']}", f"Subject: {str(msg['Subject']).strip()}"]
    if msg["Reply-To"]:
        head.append(f"Reply-To: {msg['Reply-To']}")
    bar = "=" * 78
    return "\n".join([bar, title, bar, *head, "", *text[:lines], *more, ""])
