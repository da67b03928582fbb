"""Supervisors hear once that the data disk cannot be written (stage 3; straight over SMTP).

The outbox lives on the disk that is full, so this one notice cannot wait in it: it goes out
directly, once per episode, and is lost if the SMTP server is down too (the log has it then).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from ..kinds import Purpose
from .smtp import SmtpSender

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)

TEXT = """\
Penyimpanan data PST Helpdesk tidak dapat ditulis: {what}.

Pengambilan surat dihentikan sementara. Tidak ada surat warga yang hilang: surat tetap di kotak
surat dan akan dijadikan tiket segera setelah ruang disk tersedia kembali. Mohon periksa disk
{data_dir} (helpdesk status).

The PST Helpdesk data disk cannot be written: {what}. Intake is paused; no citizen mail is lost,
it is ticketed as soon as the disk can be written again. Please check {data_dir}.
"""


class DiskAlert:
    """`paused()` tells the supervisors of every office once; `resumed()` ends the episode."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._told = False
        self._lock = threading.Lock()

    def paused(self, what: str) -> None:
        with self._lock:
            if self._told:
                return
            self._told = True
        settings = self.app.settings
        supervisors = sorted({s for o in settings.offices for s in o.supervisors})
        if not supervisors:
            return
        from .compose import build_mail, mint_message_id  # rarely needed: not with the daemon's start

        office = settings.offices[0]
        domain = office.address.split("@", 1)[1]
        mail = build_mail(
            office=office.code,
            from_addr=office.address,
            from_name="PST Helpdesk",
            to=supervisors,
            subject=f"PST Helpdesk: {what} - pengambilan surat berhenti sementara",
            text=TEXT.format(what=what, data_dir=settings.data_dir),
            html=None,
            purpose=Purpose.DISK_ALERT,
            message_id=mint_message_id("disk_alert", "", domain),
            auto_submitted="auto-generated",
            now=self.app.clock.now(),
        )
        try:
            asyncio.run(_send(SmtpSender(settings.smtp), mail))
            log.warning("supervisors told: %s", what)
        except Exception as exc:  # noqa: BLE001 - the log line is then the only alarm
            log.error("could not tell the supervisors that the %s: %s", what, exc)

    def resumed(self) -> None:
        with self._lock:
            self._told = False


async def _send(sender: SmtpSender, mail) -> None:  # noqa: ANN001
    try:
        await sender.send(mail)
    finally:
        await sender.close()
