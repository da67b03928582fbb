"""The SMTP client's answers become Temporary/PermanentFailure by code (against a real aiosmtpd)."""

from __future__ import annotations

import pytest

from helpdesk.config import SmtpSettings
from helpdesk.errors import PermanentFailure, TemporaryFailure
from helpdesk.model import OutgoingMail
from helpdesk.outbound.smtp import SmtpSender


def outgoing(to: str) -> OutgoingMail:
    return OutgoingMail(
        message_id="<t1@bps.go.id>",
        office="3576",
        mail_from="bps3576@bps.go.id",
        recipients=[to],
        raw="Subject: x\r\nMessage-ID: <t1@bps.go.id>\r\n\r\nhalo\r\n",
        purpose="acknowledgement",
    )


async def test_accepted_mail_returns_the_servers_answer(smtp_sink):
    sender = SmtpSender(SmtpSettings(port=smtp_sink.port, timeout=5))
    answer = await sender.send(outgoing("warga@example.org"))
    await sender.close()
    assert "accepted" in answer and len(smtp_sink.messages) == 1


async def test_4xx_is_temporary_and_5xx_permanent(smtp_sink):
    sender = SmtpSender(SmtpSettings(port=smtp_sink.port, timeout=5))
    smtp_sink.fail_next(1, code=451)
    with pytest.raises(TemporaryFailure) as temporary:
        await sender.send(outgoing("warga@example.org"))
    smtp_sink.reject_recipient("hilang@example.org", code=550)
    with pytest.raises(PermanentFailure) as permanent:
        await sender.send(outgoing("hilang@example.org"))
    await sender.close()
    assert temporary.value.code == 451 and permanent.value.code == 550


async def test_a_mail_the_client_cannot_encode_is_a_permanent_failure_not_a_crash(smtp_sink):
    # A non-ASCII local part needs SMTPUTF8; retrying would stop every later drain at this mail.
    sender = SmtpSender(SmtpSettings(port=smtp_sink.port, timeout=5))
    with pytest.raises(PermanentFailure, match="cannot be sent"):
        await sender.send(outgoing("wärga@example.org"))
    answer = await sender.send(outgoing("warga@example.org"))  # the next mail goes as usual
    await sender.close()
    assert "accepted" in answer
