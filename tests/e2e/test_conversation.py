"""A whole conversation through real Dovecot and a real SMTP server: citizen, helpdesk, operator.

Mail to the operator's Reply-To (bps3576+t-...@bps.go.id) is delivered into the office mailbox, as
plus-addressing does; here the test appends it there, as the MTA would.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest

from tests.deskharness import KONSULTASI_3576
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

WIB = timezone(timedelta(hours=7))
MON_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
CITIZEN = "warga@example.org"


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink, operators=KONSULTASI_3576)


class Conversation:
    """Steps the helpdesk at given instants and hands back only the mail each step sent."""

    def __init__(self, hd: Helpdesk) -> None:
        self.hd, self.count = hd, 0

    def deliver(self, raw: bytes, at: datetime, expect: int) -> list:
        self.hd.append(raw, date=at)
        self.hd.run_once(now=at + timedelta(minutes=1))  # run_once drains the outbox before returning
        everything = self.hd.sink.messages[:]
        new, self.count = everything[self.count :], len(everything)
        # The supervisors' morning digest (issue 3) is not part of this conversation.
        new = [m for m in new if m.rcpt_tos != ["pst3576@bps.go.id"]]
        assert len(new) == expect, [(m.rcpt_tos, str(m.message["Subject"])) for m in new]
        return new


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def operator_reply(
    notification: EmailMessage,
    body: str,
    sender: str = "Rina Wulandari <rina@bps.go.id>",
    attachment: tuple[str, str, bytes] | None = None,
    at: datetime = MON_0900,
) -> bytes:
    """What a mail client sends on Reply: To the Reply-To, threaded on the notification, quoting it."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = str(notification["Reply-To"])
    msg["Subject"] = "Re: " + str(notification["Subject"])
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<op-{at.timestamp():.0f}-{len(body)}@mail.bps.go.id>"
    msg["In-Reply-To"] = notification["Message-ID"]
    msg["References"] = notification["Message-ID"]
    quoted = "\n".join("> " + line for line in notification.get_body(("plain",)).get_content().splitlines())
    msg.set_content(
        f"{body}\n\nPada Sen, 23 Nov 2026 pukul 09.01 PST Helpdesk <bps3576@bps.go.id> menulis:\n{quoted}\n"
    )
    if attachment:
        name, ctype, payload = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_whole_conversation_citizen_operator_citizen_close(hd):
    talk = Conversation(hd)
    # 1. The citizen writes; the acknowledgement goes out and the routed operator is notified.
    ack, note = talk.deliver(citizen_mail(message_id="<tanya-1@example.org>"), MON_0900, expect=2)
    assert ack.rcpt_tos == [CITIZEN] and note.rcpt_tos == ["rina@bps.go.id"]
    number = str(ack.message["Subject"]).split("]")[0].strip("[")
    assert number == "PST-3576-2026-000001"
    assert "Rabu, 25 November 2026 pukul 09.00 WIB" in plain(ack)
    assert "data inflasi Kota Mojokerto" in plain(note) and "Rabu, 25 November 2026" in plain(note)
    assert str(note.message["Reply-To"]).startswith("bps3576+t-3576-2026-000001-")

    # 2. The operator answers from her mail client: new text, a signature, the quote, an attachment.
    table = b"tahun;inflasi\n2025;2,41\n"
    [answer] = talk.deliver(
        operator_reply(
            note.message,
            "Selamat siang,\n\nData inflasi 2025 terlampir.\n\nSalam,\nRina\n--\nRina Wulandari\n"
            "Statistisi, BPS Kota Mojokerto",
            attachment=("inflasi-2025.csv", "text/csv", table),
            at=MON_0900 + timedelta(hours=2),
        ),
        MON_0900 + timedelta(hours=2),
        expect=1,
    )
    # 3. The citizen receives only the new text and the attachment, from the office, same thread.
    msg = answer.message
    assert answer.rcpt_tos == [CITIZEN]
    assert msg["From"].addresses[0].addr_spec == "bps3576@bps.go.id"
    assert msg["In-Reply-To"] == "<tanya-1@example.org>"
    assert "<tanya-1@example.org>" in msg["References"] and ack.message["Message-ID"] in msg["References"]
    assert str(msg["Subject"]) == f"Re: [{number}] Permintaan data inflasi 2025"
    text = plain(answer)
    assert text.startswith("Selamat siang,\n\nData inflasi 2025 terlampir.\n\nSalam,\nRina\n\n--\nPST ")
    assert "> " not in text  # no quoted line
    for leaked in ("Statistisi", "menulis:", "rina@bps.go.id", "+t-", "pst.PST-"):
        assert leaked not in answer.data.decode(errors="replace"), leaked
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "inflasi-2025.csv" and att.get_content().encode() == table

    # 4. The citizen replies; the operator receives it, answerable the same way.
    follow = citizen_mail(
        subject="Re: " + str(msg["Subject"]),
        body="Terima kasih. Apakah ada data 2024?",
        in_reply_to=msg["Message-ID"],
        references=f"<tanya-1@example.org> {msg['Message-ID']}",
    )
    [forward] = talk.deliver(follow, MON_0900 + timedelta(hours=3), expect=1)
    assert forward.rcpt_tos == ["rina@bps.go.id"]
    assert "Apakah ada data 2024?" in plain(forward)
    assert forward.message["In-Reply-To"] == note.message["Message-ID"]

    # 5. The operator closes with #tutup: the answer, then the closing mail with the rating request.
    answer2, closing = talk.deliver(
        operator_reply(
            forward.message,
            "#tutup\nData 2024 juga sudah ada di website.",
            at=MON_0900 + timedelta(hours=4),
        ),
        MON_0900 + timedelta(hours=4),
        expect=2,
    )
    assert answer2.rcpt_tos == [CITIZEN] and plain(answer2).startswith("Data 2024 juga sudah ada di website.")
    assert "#tutup" not in plain(answer2)
    assert closing.rcpt_tos == [CITIZEN] and closing.message["In-Reply-To"] == follow_id(follow)
    assert "penilaian" in str(closing.message["Subject"]) and "5 = sangat puas" in plain(closing)
    [ticket] = hd.tickets()
    assert ticket.status.value == "closed"
    assert [e.type for e in ticket.events if e.type in ("received", "follow_up", "reply")] == [
        "received",
        "reply",
        "follow_up",
        "reply",
    ]


def follow_id(raw: bytes) -> str:
    return next(line.split(b" ", 1)[1].decode() for line in raw.splitlines() if line.startswith(b"Message-ID:"))


def test_forged_operator_mail_relays_nothing_and_runs_no_command(hd):
    talk = Conversation(hd)
    _, note = talk.deliver(citizen_mail(message_id="<tanya-2@example.org>"), MON_0900, expect=2)
    later = MON_0900 + timedelta(hours=1)
    # A spoofed From with no token; the other operator replaying Rina's token; a display name that
    # is an address; a token altered by one character. Each: only a notice to an operator.
    spoofed = citizen_mail(
        sender="Rina Wulandari <rina@bps.go.id>",
        subject="Re: [PST-3576-2026-000001] data",
        body="#tutup\nTidak ada datanya.",
    )
    [n1] = talk.deliver(spoofed, later, expect=1)
    replayed = operator_reply(note.message, "#alihkan Dimas\nSaya ambil.", sender="Dimas <dimas@bps.go.id>", at=later)
    [n2] = talk.deliver(replayed, later, expect=1)
    lookalike = operator_reply(note.message, "#tutup", sender='"rina@bps.go.id" <rina@evil.example>', at=later)
    [n3] = talk.deliver(lookalike, later, expect=1)
    token = str(note.message["Reply-To"]).split("-")[-1].split("@")[0]
    altered = operator_reply(note.message, "#tutup\nSelesai.", at=later).replace(
        token.encode(), (token[:-1] + ("b" if token[-1] == "a" else "a")).encode()
    )
    [n4] = talk.deliver(altered, later, expect=1)
    assert [n.rcpt_tos for n in (n1, n2, n3, n4)] == [
        ["rina@bps.go.id"],
        ["dimas@bps.go.id"],
        ["rina@bps.go.id"],
        ["rina@bps.go.id"],
    ]
    assert all("tidak diteruskan" in str(n.message["Subject"]) for n in (n1, n2, n3, n4))
    [ticket] = hd.tickets()
    assert ticket.status.value == "open" and ticket.assignee == "rina@bps.go.id" and ticket.due_at
    assert len([e for e in ticket.events if e.type == "relay_refused"]) == 4
    assert not [e for e in ticket.events if e.type in ("reply", "note", "command", "assigned", "status")]
    assert [m.rcpt_tos for m in hd.sink.messages].count([CITIZEN]) == 1  # the acknowledgement only
