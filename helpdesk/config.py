"""settings.toml -> frozen dataclasses; every problem reported with its file and key.

Any string value may be written "env:NAME" to read it from the environment, so secrets never live
in the repository.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# DESIGN.md: default office hours Mon-Thu 08:00-15:30, Fri 08:00-16:00, closed at the weekend.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    0: (time(8), time(15, 30)), 1: (time(8), time(15, 30)), 2: (time(8), time(15, 30)),
    3: (time(8), time(15, 30)), 4: (time(8), time(16)),
}
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    tls: str = "ssl"                  # none | starttls | ssl
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    processed_flag: str = "$PSTProcessed"  # keyword set (with \Seen) once a mail is durably handled
    poll_seconds: float = 60.0        # polling interval when the server offers no IDLE
    idle: bool = True                 # use IDLE where the server offers it
    timeout: float = 30.0             # every IMAP call
    batch_size: int = 200             # mails fetched and committed together


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    tls: str = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    max_attempts: int = 8             # temporary failures retried with backoff, then failed
    backoff_seconds: float = 60.0     # first retry delay; doubles each time, capped at 1 hour
    sessions: int = 8                 # SMTP sessions a drain uses side by side
    process: bool = True              # SMTP from a process of its own (false: in the daemon's)


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    address: str
    timezone: str = "Asia/Jakarta"
    reply_days: int = 2
    supervisors: tuple[str, ...] = ()
    imap: ImapSettings | None = None
    hours: dict[int, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    holidays_add: tuple[date, ...] = ()      # closed days the government decreed after the package
    holidays_remove: tuple[date, ...] = ()   # package holidays the office works on after all
    phone: str = ""
    website: str = ""
    complaints: str = ""                     # where complaints (pengaduan) go, shown in every ack
    waiting_close_days: int = 7              # calendar days waiting for the citizen before auto-close
    reminders: tuple[str, ...] = ("opening", "2h")  # before a deadline: at opening that day, 2 office hours
    ack_per_sender_per_day: int = 5
    ack_per_hour: int = 60                   # acknowledgements per hour; the rest wait (a flood, spam)
    consultation_url: str = ""               # link to a public answer, "{number}" replaced; "" = text only

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        return {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
                "Asia/Jayapura": "WIT", "Asia/Ternate": "WIT"}.get(self.timezone, self.timezone)


@dataclass(frozen=True)
class Operator:
    name: str
    address: str
    office: str
    team: str = "umum"
    absent: tuple[date, ...] = ()            # leave days


@dataclass(frozen=True)
class Team:
    name: str
    office: str
    strategy: str = "round_robin"            # round_robin | fewest_open


@dataclass(frozen=True)
class Settings:
    path: Path
    data_dir: Path
    secret: str = field(repr=False)
    smtp: SmtpSettings
    offices: tuple[Office, ...]
    operators: tuple[Operator, ...] = ()
    teams: tuple[Team, ...] = ()
    rules_dir: Path = Path("rules")
    templates_dir: Path = Path("templates")
    answers_dir: Path | None = None          # saved answers replacing the packaged ones file by file
    trusted_authserv_id: str = ""            # Authentication-Results server whose dmarc/dkim pass counts
    mail_seconds: float = 10.0               # time budget for reading one mail's body (hostile HTML, MIME)
    attachment_mb: float = 10.0              # citizen's files attached to one staff mail; above, only listed

    def office(self, code: str) -> Office:
        for office in self.offices:
            if office.code == code:
                return office
        raise KeyError(code)

    def office_by_address(self, address: str) -> Office | None:
        address = address.lower()
        return next((o for o in self.offices if o.address.lower() == address), None)

    def operator(self, address: str) -> Operator | None:
        address = address.lower()
        return next((o for o in self.operators if o.address.lower() == address), None)

    @property
    def own_addresses(self) -> frozenset[str]:
        """Every address the helpdesk sends from: mail from these is our own and never answered."""
        return frozenset(o.address.lower() for o in self.offices)


class _Reader:
    """Reads typed values out of the TOML tree, collecting every problem instead of stopping."""

    def __init__(self, path: Path, env: dict[str, str], need_passwords: bool = True) -> None:
        self.path, self.env, self.problems = path, env, []
        self.need_passwords = need_passwords

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}: {key}: {message}")

    def get(self, table: dict[str, Any], key: str, where: str, kind: type, default: Any = ...,
            ) -> Any:
        if key not in table:
            if default is ...:
                self.fail(f"{where}.{key}".lstrip("."), "missing")
                return None
            return default
        value = table[key]
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:]
            if name not in self.env and key == "password" and not self.need_passwords:
                return ""      # a command that never logs in needs no mailbox or SMTP password
            if name not in self.env:
                self.fail(f"{where}.{key}".lstrip("."), f"environment variable {name} is not set")
                return default if default is not ... else None
            value = self.env[name]
            if kind is int:
                try:
                    value = int(value)
                except ValueError:
                    pass
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"{where}.{key}".lstrip("."), f"expected {kind.__name__}, got {value!r}")
            return default if default is not ... else None
        return value


def _parse_hours(r: _Reader, table: dict[str, Any], where: str) -> dict[int, tuple[time, time]]:
    hours: dict[int, tuple[time, time]] = {}
    for key, value in table.items():
        if key not in WEEKDAYS:
            r.fail(f"{where}.{key}", f"unknown weekday; use one of {', '.join(WEEKDAYS)}")
            continue
        m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", str(value))
        if not m:
            r.fail(f"{where}.{key}", f"expected \"HH:MM-HH:MM\", got {value!r}")
            continue
        try:
            opens, closes = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        except ValueError as exc:
            r.fail(f"{where}.{key}", str(exc))
            continue
        if closes <= opens:
            r.fail(f"{where}.{key}", "closing must be after opening")
            continue
        hours[WEEKDAYS.index(key)] = (opens, closes)
    return hours


def _parse_dates(r: _Reader, values: list[Any], where: str) -> tuple[date, ...]:
    out = []
    for value in values:
        try:
            out.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            r.fail(where, f"not a date: {value!r}")
    return tuple(out)


def _parse_imap(r: _Reader, t: dict[str, Any], where: str) -> ImapSettings:
    tls = r.get(t, "tls", where, str, "ssl")
    if tls not in ("none", "starttls", "ssl"):
        r.fail(f"{where}.tls", "must be none, starttls or ssl")
    return ImapSettings(
        host=r.get(t, "host", where, str) or "", port=r.get(t, "port", where, int, 993),
        tls=tls, username=r.get(t, "username", where, str, ""),
        password=r.get(t, "password", where, str, ""), folder=r.get(t, "folder", where, str, "INBOX"),
        processed_flag=r.get(t, "processed_flag", where, str, "$PSTProcessed"),
        poll_seconds=r.get(t, "poll_seconds", where, float, 60.0),
        idle=r.get(t, "idle", where, bool, True), timeout=r.get(t, "timeout", where, float, 30.0),
        batch_size=r.get(t, "batch_size", where, int, 200))


def _parse_office(r: _Reader, t: dict[str, Any], i: int) -> Office:
    where = f"offices[{i}]"
    code = r.get(t, "code", where, str) or f"?{i}"
    address = (r.get(t, "address", where, str) or "").lower()
    if address and not ADDRESS.match(address):
        r.fail(f"{where}.address", f"not an email address: {address!r}")
    tz = r.get(t, "timezone", where, str, "Asia/Jakarta")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail(f"{where}.timezone", f"unknown time zone {tz!r}")
        tz = "Asia/Jakarta"
    reply_days = r.get(t, "reply_days", where, int, 2)
    if reply_days is not None and reply_days < 1:
        r.fail(f"{where}.reply_days", "must be at least 1")
    supervisors = r.get(t, "supervisors", where, list, [])
    for s in supervisors:
        if not isinstance(s, str) or not ADDRESS.match(s):
            r.fail(f"{where}.supervisors", f"not an email address: {s!r}")
    imap = _parse_imap(r, t["imap"], f"{where}.imap") if "imap" in t else None
    hours = _parse_hours(r, t["hours"], f"{where}.hours") if "hours" in t else dict(DEFAULT_HOURS)
    reminders = tuple(r.get(t, "reminders", where, list, ["opening", "2h"]))
    for rem in reminders:
        if rem != "opening" and not re.fullmatch(r"\d+(h|m)", str(rem)):
            r.fail(f"{where}.reminders", f"expected \"opening\" or office hours like \"2h\", got {rem!r}")
    return Office(
        code=code, name=r.get(t, "name", where, str, code), address=address, timezone=tz,
        reply_days=reply_days or 2, supervisors=tuple(s.lower() for s in supervisors if isinstance(s, str)),
        imap=imap, hours=hours,
        holidays_add=_parse_dates(r, r.get(t, "holidays_add", where, list, []), f"{where}.holidays_add"),
        holidays_remove=_parse_dates(r, r.get(t, "holidays_remove", where, list, []),
                                     f"{where}.holidays_remove"),
        phone=r.get(t, "phone", where, str, ""), website=r.get(t, "website", where, str, ""),
        complaints=r.get(t, "complaints", where, str, ""),
        waiting_close_days=r.get(t, "waiting_close_days", where, int, 7),
        reminders=reminders,
        ack_per_sender_per_day=r.get(t, "ack_per_sender_per_day", where, int, 5),
        ack_per_hour=r.get(t, "ack_per_hour", where, int, 60),
        consultation_url=r.get(t, "consultation_url", where, str, ""))


def load(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
         need_passwords: bool = True) -> Settings:
    """Read and validate settings; raise ConfigError listing every problem found.

    `need_passwords=False` (commands that only read the store or the calendar) lets an IMAP or SMTP
    password's unset environment variable pass as "": a supervisor running `helpdesk report` on a
    server holding only some of the offices' secrets must not be refused for all of them.
    """
    env = dict(os.environ if env is None else env)
    path = Path(path or env.get("HELPDESK_CONFIG") or "settings.toml")
    r = _Reader(path, env, need_passwords)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: {exc}"]) from None
    base = path.resolve().parent

    hd = raw.get("helpdesk", {})
    # HELPDESK_DATA_DIR lets the demo and a second test instance run from the same settings file.
    data_dir = base / (env.get("HELPDESK_DATA_DIR") or r.get(hd, "data_dir", "helpdesk", str, "var"))
    secret = r.get(hd, "secret", "helpdesk", str)
    if secret is not None and len(secret) < 16:
        r.fail("helpdesk.secret", "must be at least 16 characters")
    sm = raw.get("smtp", {})
    tls = r.get(sm, "tls", "smtp", str, "none")
    if tls not in ("none", "starttls", "ssl"):
        r.fail("smtp.tls", "must be none, starttls or ssl")
    sessions = r.get(sm, "sessions", "smtp", int, 8)
    if sessions < 1:
        r.fail("smtp.sessions", "must be at least 1")
    smtp = SmtpSettings(
        host=r.get(sm, "host", "smtp", str, "127.0.0.1"), port=r.get(sm, "port", "smtp", int, 25),
        tls=tls, username=r.get(sm, "username", "smtp", str, ""),
        password=r.get(sm, "password", "smtp", str, ""),
        timeout=r.get(sm, "timeout", "smtp", float, 30.0),
        max_attempts=r.get(sm, "max_attempts", "smtp", int, 8),
        backoff_seconds=r.get(sm, "backoff_seconds", "smtp", float, 60.0),
        sessions=max(1, sessions), process=r.get(sm, "process", "smtp", bool, True))

    offices = tuple(_parse_office(r, t, i) for i, t in enumerate(raw.get("offices", [])))
    if not offices:
        r.fail("offices", "no [[offices]] configured")
    codes = [o.code for o in offices]
    for code in {c for c in codes if codes.count(c) > 1}:
        r.fail("offices", f"office code {code} appears more than once")
    if len({o.address for o in offices}) != len(offices):
        r.fail("offices", "two offices share an address")

    operators = []
    for i, t in enumerate(raw.get("operators", [])):
        where = f"operators[{i}]"
        op = Operator(name=r.get(t, "name", where, str) or "", address=(r.get(t, "address", where, str) or "").lower(),
                      office=str(r.get(t, "office", where, str) or ""), team=r.get(t, "team", where, str, "umum"),
                      absent=_parse_dates(r, r.get(t, "absent", where, list, []), f"{where}.absent"))
        if op.office and op.office not in codes:
            r.fail(f"{where}.office", f"no office with code {op.office!r}")
        if op.address and not ADDRESS.match(op.address):
            r.fail(f"{where}.address", f"not an email address: {op.address!r}")
        operators.append(op)
    teams = []
    for i, t in enumerate(raw.get("teams", [])):
        where = f"teams[{i}]"
        team = Team(name=r.get(t, "name", where, str) or "", office=str(r.get(t, "office", where, str) or ""),
                    strategy=r.get(t, "strategy", where, str, "round_robin"))
        if team.strategy not in ("round_robin", "fewest_open"):
            r.fail(f"{where}.strategy", "must be round_robin or fewest_open")
        teams.append(team)

    if r.problems:
        raise ConfigError(r.problems)
    return Settings(
        path=path, data_dir=data_dir, secret=secret, smtp=smtp, offices=offices,
        operators=tuple(operators), teams=tuple(teams),
        rules_dir=base / r.get(hd, "rules_dir", "helpdesk", str, "rules"),
        templates_dir=base / r.get(hd, "templates_dir", "helpdesk", str, "templates"),
        answers_dir=(base / r.get(hd, "answers_dir", "helpdesk", str)) if hd.get("answers_dir") else None,
        trusted_authserv_id=r.get(hd, "trusted_authserv_id", "helpdesk", str, ""),
        mail_seconds=r.get(hd, "mail_seconds", "helpdesk", float, 10.0),
        attachment_mb=r.get(hd, "attachment_mb", "helpdesk", float, 10.0))
