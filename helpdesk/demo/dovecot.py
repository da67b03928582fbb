"""A private Dovecot IMAP server on 127.0.0.1 for the demo and the end-to-end tests.

It runs Debian's `dovecot` binary with its own configuration in a folder of ours (never the
system's /etc/dovecot), on a free loopback port. Every user name logs in with the server's one
password (a static passdb), so a test makes fresh mailboxes by naming a new user, with no reload.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
default_client_limit = {client_limit}
mail_location = maildir:{root}/mail/%u
mail_privileged_group =
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  process_min_avail = 1
{login_tuning}}}
service imap {{
  process_limit = {process_limit}
{imap_tuning}}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if not found:
        raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd")
    return found


class LocalDovecot:
    """Start with `start()`, stop with `stop()`; `add_user`, `append` and `fetch_flags` help tests."""

    def __init__(self, root: Path, port: int | None = None, connections: int = 0) -> None:
        """`connections`: tune for that many IMAP connections at once (the scale benchmark's 550
        offices); 0 keeps Dovecot's defaults, which suit the tests and the demo."""
        self.root = Path(root)
        self.connections = connections
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.password = "pw-" + secrets.token_hex(8)

    def start(self, timeout: float = 20.0) -> LocalDovecot:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Dovecot refuses to run its login and mail processes as root: use its own users.
            internal, login = "dovecot", "dovenull"
            mail_user = pwd.getpwnam("dovecot")
            for sub in ("mail", "home"):
                os.chown(self.root / sub, mail_user.pw_uid, mail_user.pw_gid)
            os.chmod(self.root, 0o755)
        else:
            me = pwd.getpwuid(os.geteuid())
            internal = login = me.pw_name
            mail_user = me
        group = pwd.getpwnam(internal).pw_gid
        conf = self.root / "dovecot.conf"
        conf.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                password=self.password,
                internal_user=internal,
                internal_group=grp.getgrgid(group).gr_name,
                login_user=login,
                uid=mail_user.pw_uid,
                gid=mail_user.pw_gid,
                **self._tuning(),
            )
        )
        self.proc = subprocess.Popen(
            [dovecot_binary(), "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = self.proc.stderr.read() if self.proc.stderr else b""
                raise RuntimeError(f"dovecot exited: {said.decode(errors='replace')}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)  # polling a port that is not open yet: nothing to wait on instead
        self.stop()
        raise RuntimeError(f"dovecot did not open port {self.port} within {timeout} s\n{self.log()}")

    def _tuning(self) -> dict[str, object]:
        """Settings for hundreds of connections. By default Dovecot runs one IMAP process per
        connection, and each process needs an inotify instance to learn of new mail at once: past
        the kernel's limit (fs.inotify.max_user_instances, 128) it checks the mailbox every 30 s
        instead, and IDLE announced mail up to 30 s late. An IMAP process serving 50 connections
        needs one. Login processes are kept (performance mode): a new one per login halved the
        logins per second."""
        if not self.connections:
            return {"process_limit": 1024, "client_limit": 1000, "login_tuning": "", "imap_tuning": ""}
        return {
            "process_limit": 1024,
            "client_limit": max(1000, 2 * self.connections),
            "login_tuning": "  service_count = 0\n",
            "imap_tuning": "  service_count = 0\n  client_limit = 50\n",
        }

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # -- helpers for the demo and the tests --------------------------------------------------------
    def add_user(self, user: str) -> str:
        """A mailbox for `user` (made at first login); returns the password to log in with."""
        return self.password

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(user, self.password)
        return client

    def append(
        self, user: str, raw: bytes, flags: tuple[bytes, ...] = (), date: datetime | None = None, folder: str = "INBOX"
    ) -> int:
        """APPEND a message with this INTERNALDATE; returns its UID."""
        with self.client(user) as c:
            answer = c.append(folder, raw, flags=flags, msg_time=date)
            # Dovecot answers "[APPENDUID <validity> <uid>] Append completed."
            text = answer.decode() if isinstance(answer, bytes) else str(answer)
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))

    def fetch_flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client(user) as c:
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            return {uid: d[b"FLAGS"] for uid, d in c.fetch(uids, ["FLAGS"]).items()} if uids else {}
