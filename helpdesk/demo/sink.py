"""An SMTP server on 127.0.0.1 that records what it receives (aiosmtpd): the demo's and tests' sink.

Answers can be scripted: `fail_next(1, code=451)` makes the next DATA fail with a 451 reply;
`reject_recipient(address, code=550)` turns a recipient down at RCPT.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property

from aiosmtpd.controller import Controller

from .dovecot import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @cached_property
    def message(self) -> EmailMessage:
        """The mail parsed, on first use: parsing each mail as it came in (policy.default, some
        milliseconds a mail) made the sink, not the helpdesk, the limit of benchmarks/ingest.py."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.data_replies: list[str] = []
        self.refused: dict[str, str] = {}
        self.changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.changed:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.changed.notify_all()
        return "250 2.0.0 Message accepted for delivery"


class SmtpSink:
    """`start()`/`stop()`; `messages` holds what was accepted, in order."""

    def __init__(self, port: int | None = None, data_size_limit: int = 64 * 1024 * 1024) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        # Above data_size_limit aiosmtpd answers 552, as a mail server does for a mail too big.
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, data_size_limit=data_size_limit)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def clear(self) -> None:
        with self.handler.changed:
            self.handler.messages.clear()
            self.handler.data_replies.clear()
            self.handler.refused.clear()

    def fail_next(self, count: int, code: int = 451) -> None:
        """The next `count` DATA commands are answered with this code instead of accepted."""
        text = "4.3.0 Sistem sibuk, coba lagi nanti" if code < 500 else "5.7.1 Pesan ditolak"
        with self.handler.changed:
            self.handler.data_replies.extend([f"{code} {text}"] * count)

    def reject_recipient(self, address: str, code: int = 550) -> None:
        self.handler.refused[address.lower()] = f"{code} 5.1.1 <{address}>: Recipient address rejected"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` messages arrived (or the timeout); returns them all."""
        with self.handler.changed:
            self.handler.changed.wait_for(lambda: len(self.handler.messages) >= count, timeout)
            return list(self.handler.messages)

    def wait_for_subject(self, words: str, timeout: float = 10.0) -> list[Received]:
        """Block until a message whose subject holds `words` arrived (or the timeout); returns those."""

        def hits() -> list[Received]:
            return [m for m in self.handler.messages if words in str(m.message["Subject"])]

        with self.handler.changed:
            self.handler.changed.wait_for(hits, timeout)
            return hits()
