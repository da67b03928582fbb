"""`python -m helpdesk.demo`: the whole loop on this machine, as scripts/demo.sh shows it.

Starts a private Dovecot and an SMTP sink on free loopback ports (DEMO_IMAP_PORT and
DEMO_SMTP_PORT choose them), writes a copy of the repository's settings.toml pointing at them into
a fresh folder, creates the five office mailboxes and starts the real daemon (`helpdesk run`,
IDLE). Then, each printed as the people involved see it: a citizen's mail, its acknowledgement,
the operator's notification, the operator's reply with `#tutup`, the answer and the rating
request; three more offices' mail (HTML only, English with a PDF, an auto-reply that is left
unanswered); `helpdesk tickets`. SIGTERM stops the daemon. The folder is deleted at the end unless
KEEP_DEMO=1, which prints the commands to look around in it.
"""

from __future__ import annotations

import email
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from .. import config
from .dovecot import LocalDovecot, free_port
from .installation import stop_daemon
from .mails import SAMPLES, as_seen, operator_reply, sample
from .sink import SmtpSink

REPO = Path(__file__).resolve().parents[2]


class DemoError(Exception):
    """Something the person running the demo must know, in one line (no traceback)."""


def port(variable: str) -> int:
    """The port named in the environment, checked to be free, or a free one."""
    value = os.environ.get(variable)
    if not value:
        return free_port()
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise DemoError(f"{variable}={value!r} is not a port number")
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", int(value)))
        except OSError:
            raise DemoError(
                f"port {value} ({variable}) is in use; choose another or leave {variable} unset for a free one"
            ) from None
    return int(value)


def write_settings(work: Path, imap_port: int, smtp_port: int) -> Path:
    """The repository's settings for the five seed offices, pointed at this demo's servers and folder."""
    text = (REPO / "settings.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^port = 10143\b", f"port = {imap_port}", text)
    text = re.sub(r"(?m)^port = 8025\b", f"port = {smtp_port}", text)
    text = re.sub(r'(?m)^data_dir = "var"', f'data_dir = "{work / "var"}"', text)
    for key, folder in (("rules_dir", "rules"), ("templates_dir", "templates")):  # the repository's own
        text = re.sub(rf'(?m)^{key} = "{folder}"', f'{key} = "{REPO / folder}"', text)
    path = work / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    try:
        imap_port, smtp_port = port("DEMO_IMAP_PORT"), port("DEMO_SMTP_PORT")
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="pst-demo-"))
    os.chmod(work, 0o755)
    settings_path = write_settings(work, imap_port, smtp_port)
    secret = os.environ.get("HELPDESK_SECRET") or secrets.token_hex(16)
    env = dict(os.environ, HELPDESK_SECRET=secret, PYTHONPATH=str(REPO))
    env.pop("HELPDESK_DATA_DIR", None)
    settings = config.load(settings_path, env=env, need_passwords=False)
    dovecot, sink = LocalDovecot(work / "dovecot", port=imap_port), SmtpSink(port=smtp_port)
    daemon = None
    log = work / "daemon.log"
    try:
        dovecot.start()
        sink.start()
        print(
            f"demo folder {work}: Dovecot IMAP on 127.0.0.1:{imap_port}, SMTP sink on "
            f"127.0.0.1:{smtp_port}; the daemon's log is {log}"
        )
        for office in settings.offices:
            env[f"IMAP_PASSWORD_{office.code}"] = dovecot.add_user(mailbox_user(office))
        cmd = [sys.executable, "-m", "helpdesk", "--config", str(settings_path)]
        check = subprocess.run([*cmd, "check"], env=env, capture_output=True, text=True)
        print(f"$ helpdesk check\n{check.stdout.strip()}\n")
        with log.open("w") as log_file:
            daemon = subprocess.Popen([*cmd, "run"], env=env, stderr=log_file, text=True)
        wait_for(lambda: "helpdesk running" in log.read_text(), 30, "the daemon did not start; see " + str(log))
        ok = whole_loop(settings, dovecot, sink) and other_offices(settings, dovecot, sink)
        print("$ helpdesk tickets --all")
        sys.stdout.flush()
        subprocess.run([*cmd, "tickets", "--all"], env=env)
        return 0 if ok else 1
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    finally:
        if daemon is not None:
            stop_daemon(daemon)
        sink.stop()
        dovecot.stop()
        if os.environ.get("KEEP_DEMO") == "1":
            print(look_around(work, settings_path, secret))
        else:
            shutil.rmtree(work, ignore_errors=True)


def whole_loop(settings: config.Settings, dovecot: LocalDovecot, sink: SmtpSink) -> bool:
    """Citizen -> acknowledgement and notification -> the operator's #tutup -> answer and rating request."""
    code, sender, subject, body, html, att = SAMPLES[0]
    office = settings.office(code)
    citizen = email.utils.parseaddr(sender)[1]
    raw = sample(sender, office.address, subject, body, html, att)
    print(as_seen(f"1. {citizen} writes to {office.address}", parsed(raw)))
    dovecot.append(mailbox_user(office), raw)
    ack = arrival(sink, lambda m: citizen in m.rcpt_tos, "the acknowledgement")
    print(as_seen(f"2. {citizen} receives the acknowledgement", ack))
    staff = {op.address: op.name for op in settings.operators}
    note = arrival(sink, lambda m: set(m.rcpt_tos) & staff.keys(), "the operator's notification")
    operator = next(a for a in note["To"].addresses).addr_spec
    print(as_seen(f"3. {staff[operator]} (operator) is notified", note))
    reply = operator_reply(note, operator, staff[operator])
    print(as_seen(f"4. {staff[operator]} simply replies, with #tutup on the first line", parsed(reply), lines=8))
    dovecot.append(mailbox_user(office), reply)
    answer = arrival(sink, lambda m: citizen in m.rcpt_tos, "the answer", skip=1)
    print(as_seen(f"5. {citizen} receives the answer, from {office.address}", answer))
    rating = arrival(sink, lambda m: citizen in m.rcpt_tos, "the rating request", skip=2)
    print(as_seen(f"6. the ticket is closed; {citizen} is asked for a rating", rating))
    return True


def other_offices(settings: config.Settings, dovecot: LocalDovecot, sink: SmtpSink) -> bool:
    """Three more offices: HTML only with an RFC 2047 subject, English with a PDF, an auto-reply."""
    before = len(sink.messages)
    for code, sender, subject, body, html, att in SAMPLES[1:]:
        office = settings.office(code)
        raw = sample(sender, office.address, subject, body, html, att)
        if subject.startswith("Auto:"):
            raw = b"Auto-Submitted: auto-replied\r\n" + raw  # answered by nobody: no ping-pong
        dovecot.append(mailbox_user(office), raw)
        print(f"-> {sender} writes to {office.address}: {parsed(raw)['Subject']}")
    acks = sink_wait(
        sink, lambda: [m for m in sink.messages[before:] if m.message["Auto-Submitted"] == "auto-replied"], 2
    )
    print(f"\n{len(acks)} acknowledgements (none for the auto-reply):")
    for m in acks:
        print(f"  to {', '.join(m.rcpt_tos)}: {m.message['Subject']}")
    print()
    return len(acks) == 2


def mailbox_user(office: config.Office) -> str:
    assert office.imap is not None  # every demo office reads its mailbox
    return office.imap.username


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def arrival(sink: SmtpSink, wanted, what: str, skip: int = 0, timeout: float = 60) -> EmailMessage:
    """The (skip+1)-th mail the sink received that `wanted` accepts."""
    found = sink_wait(sink, lambda: [m for m in sink.messages if wanted(m)], skip + 1, timeout)
    if len(found) <= skip:
        raise DemoError(f"{what} did not arrive within {timeout:.0f} s")
    return found[skip].message


def sink_wait(sink: SmtpSink, select, count: int, timeout: float = 60) -> list:
    with sink.handler.changed:
        sink.handler.changed.wait_for(lambda: len(select()) >= count, timeout)
        return select()


def wait_for(condition, timeout: float, failure: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DemoError(failure)
        time.sleep(0.1)


def look_around(work: Path, settings_path: Path, secret: str) -> str:
    return f"""
The demo folder is kept: {work}
Look around (the mail servers are stopped; these read the store):
  export HELPDESK_CONFIG={settings_path} HELPDESK_SECRET={secret} PYTHONPATH={REPO}
  python3 -m helpdesk tickets --all
  python3 -m helpdesk show PST-3576-{time.strftime("%Y")}-000001
  python3 -m helpdesk status
  python3 -m helpdesk export --format csv --events
  python3 -m helpdesk report --office 3576 --month {time.strftime("%Y-%m")}
  mutt -f {work}/var/spool/in/{time.strftime("%Y/%m")}/   # the raw mail, one mbox per fetched batch
Remove it with: rm -rf {work}
"""


if __name__ == "__main__":
    raise SystemExit(main())
