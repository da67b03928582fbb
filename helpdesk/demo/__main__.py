"""`python -m helpdesk.demo`: the whole loop on this machine, as scripts/demo.sh shows it.

Starts a private Dovecot on 127.0.0.1:10143 and an SMTP sink on 127.0.0.1:8025 (the ports
settings.toml points at), creates the five office mailboxes, starts the real daemon
(`helpdesk run`, IDLE), drops sample citizen mail into the mailboxes over IMAP, waits for the
acknowledgements to reach the sink, then prints the tickets and one acknowledgement, and stops the
daemon with SIGTERM. Data goes to a fresh temporary folder; nothing of the system's is touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .. import config
from .dovecot import LocalDovecot
from .installation import stop_daemon
from .sink import SmtpSink

REPO = Path(__file__).resolve().parents[2]


def sample(sender: str, to: str, subject: str, body: str, html: bool = False,
           attachment: tuple[str, bytes] | None = None) -> bytes:
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


SAMPLES = [
    ("3576", "Siti Aminah <siti.aminah@warga.example>", "Permintaan data inflasi Kota Mojokerto 2025",
     "Selamat pagi, saya mahasiswa dan membutuhkan data inflasi bulanan Kota Mojokerto tahun 2025 "
     "untuk skripsi. Terima kasih.", False, None),
    ("3571", "Budi <budi@warga.example>", "=?UTF-8?B?RGF0YSBrZW1pc2tpbmFuIOKAkyBLZWRpcmk=?=",
     "Mohon informasi jumlah penduduk miskin Kota Kediri 2020-2024.", True, None),
    ("8200", "Researcher <r.smith@university.example>", "Population census data for North Maluku",
     "Dear BPS, could you please send the 2020 population census tables for Ternate? Thank you.",
     False, ("surat-permohonan.pdf", b"%PDF-1.4 demo\n")),
    ("7604", "Andi <andi@warga.example>", "Auto: Saya sedang cuti", "Saya sedang cuti.", False, None),
]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="pst-demo-"))
    os.chmod(work, 0o755)
    settings_path = REPO / "settings.toml"
    env = dict(os.environ, HELPDESK_SECRET=os.environ.get("HELPDESK_SECRET", secrets.token_hex(16)),
               HELPDESK_DATA_DIR=str(work / "var"))
    raw_settings = config.load(settings_path, env={**env, **{f"IMAP_PASSWORD_{c}": "x" for c in
                                                          ("3576", "3571", "3514", "8200", "7604")}})
    dovecot = LocalDovecot(work / "dovecot", port=raw_settings.offices[0].imap.port)
    sink = SmtpSink(port=raw_settings.smtp.port)
    daemon = None
    try:
        print(f"demo folder: {work}")  # noqa: T201
        dovecot.start()
        sink.start()
        print(f"Dovecot IMAP on 127.0.0.1:{dovecot.port}, SMTP sink on 127.0.0.1:{sink.port}")  # noqa: T201
        for office in raw_settings.offices:
            env[f"IMAP_PASSWORD_{office.code}"] = dovecot.add_user(office.imap.username)
        cmd = [sys.executable, "-m", "helpdesk", "--config", str(settings_path)]
        check = subprocess.run([*cmd, "check"], env=env, capture_output=True, text=True)
        print(check.stdout.strip() or check.stderr.strip())  # noqa: T201
        daemon = subprocess.Popen([*cmd, "run"], env=env, stderr=subprocess.PIPE, text=True)
        wait_running(daemon)
        for code, sender, subject, body, html, att in SAMPLES:
            office = raw_settings.office(code)
            # An auto-reply gets no acknowledgement: show that the helpdesk stays quiet.
            raw = sample(sender, office.address, subject, body, html, att)
            if subject.startswith("Auto:"):
                raw = b"Auto-Submitted: auto-replied\r\n" + raw
            dovecot.append(office.imap.username, raw)
            print(f"-> mail from {sender} to {office.address}: {subject}")  # noqa: T201
        acks = wait_for_acknowledgements(sink, 3, timeout=60)
        print(f"\n{len(sink.messages)} mails reached the SMTP sink, {len(acks)} of them "  # noqa: T201
              "acknowledgements to citizens:")
        for m in sink.messages:
            print(f"  to {', '.join(m.rcpt_tos)}: {m.message['Subject']}")  # noqa: T201
        print("\n$ helpdesk tickets")  # noqa: T201
        sys.stdout.flush()
        subprocess.run([*cmd, "tickets"], env=env)
        if acks:
            first = acks[0].message
            print(f"\n--- the acknowledgement to {first['To']} ---")  # noqa: T201
            print(f"From: {first['From']}\nSubject: {first['Subject']}\n"  # noqa: T201
                  f"Auto-Submitted: {first['Auto-Submitted']}\n")
            print(first.get_body(("plain",)).get_content())  # noqa: T201
        return 0 if len(acks) >= 3 else 1
    finally:
        if daemon is not None:
            stop_daemon(daemon)
        sink.stop()
        dovecot.stop()
        if os.environ.get("KEEP_DEMO") != "1":
            shutil.rmtree(work, ignore_errors=True)


def wait_for_acknowledgements(sink: SmtpSink, count: int, timeout: float) -> list:
    """Acknowledgements are the mails to citizens marked auto-replied (staff mail is auto-generated)."""
    def acks() -> list:
        return [m for m in sink.messages if m.message["Auto-Submitted"] == "auto-replied"]
    with sink.handler.changed:
        sink.handler.changed.wait_for(lambda: len(acks()) >= count, timeout)
        return acks()


def wait_running(daemon: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Block until the daemon logs that it runs (it reads its mailboxes from then on)."""
    assert daemon.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = daemon.stderr.readline()
        if not line:
            raise SystemExit("the daemon exited before it ran")
        sys.stderr.write(line)
        if "helpdesk running" in line:
            # Keep echoing the daemon's log in the background so its pipe never fills.
            import threading
            threading.Thread(target=lambda: [sys.stderr.write(x) for x in daemon.stderr],
                             daemon=True).start()
            return
    raise SystemExit("the daemon did not start in time")


if __name__ == "__main__":
    raise SystemExit(main())
