"""An office whose store cannot be read is stopped; its supervisors hear it once (stage 3).

The notice cannot wait in that office's outbox (its file is the broken one): it waits in the
daemon's own store (tickets.notices) and goes out like any mail. Which broken file was reported
is remembered there by its size and time, so a `run --once` every minute tells them once; a file
repaired and broken again is told again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..kinds import Purpose
from .compose import build_mail, mint_message_id

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)
PURPOSE = Purpose.STORE_BROKEN

TEXT = """\
Penyimpanan data kantor {code} ({name}) di PST Helpdesk tidak dapat dibaca:
{why}

Kantor ini dihentikan: kotak suratnya tidak dibaca dan berkasnya tidak ditimpa. Surat warga tetap
di kotak surat dan akan dijadikan tiket setelah berkas diperbaiki atau dipulihkan dari cadangan
dan helpdesk dijalankan ulang. Kantor lain berjalan seperti biasa (helpdesk status).

The PST Helpdesk store of office {code} cannot be read (above). The office is stopped: its mailbox
is not read and its file is not written over; citizens' mail waits in the mailbox. Repair or
restore {path} and restart the helpdesk. The other offices go on.
"""


def fingerprint(app: App, code: str) -> str:
    try:
        st = app.store.broken_file(code).stat()
    except OSError:
        return "unreadable"
    return f"{st.st_size}:{st.st_mtime_ns}"


def tell_broken(app: App) -> list[str]:
    """Queue one notice per broken office not told yet; forget offices working again. Returns the
    offices told now (the caller commits)."""
    store, told = app.store, []
    with store.lock:
        for code in [c for c in store.notices.told if c not in store.broken]:
            del store.notices.told[code]  # repaired: a new breakage is a new notice
        for code, why in store.broken.items():
            try:
                office = app.settings.office(code)
            except KeyError:
                continue
            seen = fingerprint(app, code)
            if store.notices.told.get(code) == seen:
                continue
            store.notices.told[code] = seen
            told.append(code)
            if not office.supervisors:
                log.error("office %s stopped (store unreadable) and has no supervisors to tell", code)
                continue
            store.queue_mail(
                build_mail(
                    office=code,
                    from_addr=office.address,
                    from_name="PST Helpdesk",
                    to=list(office.supervisors),
                    subject=f"PST Helpdesk: kantor {code} berhenti - penyimpanan data tidak dapat dibaca",
                    text=TEXT.format(code=code, name=office.name, why=why, path=store.broken_file(code)),
                    html=None,
                    purpose=PURPOSE,
                    message_id=mint_message_id(PURPOSE, "", office.address.split("@", 1)[1]),
                    auto_submitted="auto-generated",
                    now=app.clock.now(),
                )
            )
            log.warning("supervisors of office %s told that its store cannot be read", code)
    return told
