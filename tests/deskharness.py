"""A helpdesk without servers: raw mail straight into the intake, outgoing mail from the outbox.

The whole pipeline runs (parse, classify, thread, steps, commit); only IMAP and SMTP are left out,
so relay and routing behaviour can be tested quickly and exactly. The real servers are proven in
tests/e2e.
"""

from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from helpdesk import config
from helpdesk.app import App
from helpdesk.clock import FixedClock
from helpdesk.inbound.intake import Fetched, Intake
from helpdesk.model import Ticket

REPO = Path(__file__).resolve().parents[1]
WIB = timezone(timedelta(hours=7))
MON_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
SECRET = "unit-test-secret-0123456789"
# Office 3576's consultation team, as the end-to-end conversation test uses it too.
KONSULTASI_3576 = """
[[teams]]
office = "3576"
name = "konsultasi"
strategy = "round_robin"

[[operators]]
name = "Rina Wulandari"
address = "rina@bps.go.id"
office = "3576"
team = "konsultasi"

[[operators]]
name = "Dimas Prasetyo"
address = "dimas@bps.go.id"
office = "3576"
team = "konsultasi"
"""
OPERATORS = (
    KONSULTASI_3576
    + """
[[operators]]
name = "Siti Rahma"
address = "siti@bps.go.id"
office = "3576"
team = "pengaduan"

[[operators]]
name = "Agus Kediri"
address = "agus@bps.go.id"
office = "3571"
team = "konsultasi"
"""
)


class Desk:
    """One helpdesk under a temp dir with a fixed clock; `deliver` mail, `take` what it queued."""

    def __init__(
        self,
        root: Path,
        operators: str = OPERATORS,
        now: datetime = MON_0900,
        extra: str = "",
        offices: tuple[str, ...] = ("3576", "3571"),
    ) -> None:
        zones = {"7604": ("Asia/Makassar", 3), "8200": ("Asia/Jayapura", 3)}
        blocks = "".join(
            f'''
[[offices]]
code = "{code}"
name = "BPS {code}"
address = "bps{code}@bps.go.id"
timezone = "{zones.get(code, ("Asia/Jakarta", 2))[0]}"
reply_days = {zones.get(code, ("Asia/Jakarta", 2))[1]}
supervisors = ["pst{code}@bps.go.id"]
'''
            for code in offices
        )
        path = root / "settings.toml"
        path.write_text(
            f'''[helpdesk]
data_dir = "var"
secret = "{SECRET}"
rules_dir = "{REPO / "rules"}"
{extra}
[smtp]
port = 2525
'''
            + blocks
            + operators
        )
        self.clock = FixedClock(now)
        self.app = App.build(config.load(path, env={}), self.clock)
        self.intake = Intake(self.app)
        self.uid = 0
        self.seen: set[str] = set()

    def deliver(self, raw: bytes, office: str = "3576", after: timedelta = timedelta(minutes=5)) -> None:
        """The mail arrives `after` the previous one; the clock moves with it."""
        self.clock.advance(seconds=after.total_seconds())
        self.uid += 1
        self.intake.ingest(self.app.settings.office(office), 1, [Fetched(self.uid, raw, self.clock.now())])

    def take(self) -> list[EmailMessage]:
        """Mail queued since the last call, in queue order, parsed."""
        new = [m for m in self.app.store.outgoing() if m.message_id not in self.seen]
        self.seen.update(m.message_id for m in new)
        return [email.message_from_string(m.raw, policy=default) for m in new]

    def ticket(self, number: str = "PST-3576-2026-000001") -> Ticket:
        ticket = self.app.store.ticket(number)
        assert ticket is not None
        return ticket


def to_of(msg: EmailMessage) -> list[str]:
    return [a.addr_spec for a in msg["To"].addresses]


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def reply_to(
    msg: EmailMessage,
    body: str,
    sender: str = "Rina Wulandari <rina@bps.go.id>",
    *,
    to: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    message_id: str = "auto",
) -> bytes:
    """What Reply on `msg` sends: To its Reply-To, In-Reply-To/References its Message-ID."""
    from tests.mailfactory import citizen_mail

    mid = msg["Message-ID"]
    return citizen_mail(
        subject="Re: " + str(msg["Subject"]),
        body=body,
        sender=sender,
        to=to if to is not None else str(msg["Reply-To"] or msg["From"]),
        in_reply_to=mid if in_reply_to is None else in_reply_to,
        references=mid if references is None else references,
        attachments=list(attachments),
        message_id=message_id,
    )
