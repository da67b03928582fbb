"""settings.toml -> frozen dataclasses; every problem reported with its file and key.

Each setting is declared once, on its dataclass field below (`declare.setting`: default, meaning,
check); the loader, `helpdesk check` and the README's table come from those declarations. Any
string value may be written "env:NAME" to read it from the environment, so secrets never live in
the repository.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .declare import (
    WEEKDAYS,
    Reader,
    at_least,
    declared,
    email,
    emails,
    one_of,
    positive,
    reminder_times,
    setting,
    zone,
)
from .defaults import RULES
from .errors import ConfigError

__all__ = [
    "WEEKDAYS",
    "DEFAULT_HOURS",
    "Settings",
    "Office",
    "Operator",
    "Team",
    "ImapSettings",
    "SmtpSettings",
    "load",
    "read",
    "SECTIONS",
]

# DESIGN.md: default office hours Mon-Thu 08:00-15:30, Fri 08:00-16:00, closed at the weekend.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    0: (time(8), time(15, 30)),
    1: (time(8), time(15, 30)),
    2: (time(8), time(15, 30)),
    3: (time(8), time(15, 30)),
    4: (time(8), time(16)),
}
TLS = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class ImapSettings:
    host: str = setting(meaning="the office mailbox's IMAP server (`helpdesk run` needs `[offices.imap]`)")
    port: int = setting(993, "IMAP port")
    tls: str = setting("ssl", "`none`, `starttls` or `ssl`", check=one_of(*TLS))
    username: str = setting("", "mailbox login")
    password: str = setting("", "mailbox password; use `env:IMAP_PASSWORD_<code>`", secret=True)
    folder: str = setting("INBOX", "the folder read")
    processed_flag: str = setting("$PSTProcessed", "keyword set (with `\\Seen`) once a mail is durably handled")
    poll_seconds: float = setting(60.0, "polling interval when the server offers no IDLE", check=positive)
    idle: bool = setting(True, "use IDLE where the server offers it")
    timeout: float = setting(30.0, "seconds for every IMAP call", check=positive)
    batch_size: int = setting(200, "mails fetched and committed together", check=at_least(1))


@dataclass(frozen=True)
class SmtpSettings:
    host: str = setting("127.0.0.1", "outgoing server")
    port: int = setting(25, "outgoing server's port")
    tls: str = setting("none", "`none`, `starttls` or `ssl`", check=one_of(*TLS))
    username: str = setting("", "optional login")
    password: str = setting("", "optional password; use `env:SMTP_PASSWORD`", secret=True)
    timeout: float = setting(30.0, "seconds for every SMTP call", check=positive)
    max_attempts: int = setting(
        8, "temporary failures (4xx, refused, timeout) retried this often, then failed", check=at_least(1)
    )
    backoff_seconds: float = setting(60.0, "first retry delay; doubles each time, at most 1 hour", check=at_least(0))
    sessions: int = setting(
        8, "SMTP sessions the outbox sends over side by side (each mail takes four round trips)", check=at_least(1)
    )
    process: bool = setting(
        True,
        "SMTP sessions in a process of their own beside the daemon "
        "(`false`: inside the daemon's process, slower under load)",
    )


@dataclass(frozen=True)
class Office:
    code: str = setting(meaning="office code, e.g. 3576")
    name: str = setting(meaning="office name, e.g. BPS Kota Mojokerto")
    address: str = setting(meaning="the public address citizens write to", check=email)
    timezone: str = setting(
        "Asia/Jakarta", "`Asia/Jakarta` (WIB), `Asia/Makassar` (WITA), `Asia/Jayapura` (WIT)", check=zone
    )
    reply_days: int = setting(2, "working days to answer", check=at_least(1))
    supervisors: tuple[str, ...] = setting(
        (), "escalations, digests, quarantine and delivery-failure notices", check=emails
    )
    imap: ImapSettings | None = None  # [offices.imap], read with ImapSettings' declarations
    hours: dict[int, tuple[time, time]] = setting(
        DEFAULT_HOURS,
        '`{ mon = "08:00-15:30", ... fri = "08:00-16:00" }`; days not named are closed',
        shown="Mon-Thu 08:00-15:30, Fri 08:00-16:00",
    )
    holidays_add: tuple[date, ...] = setting((), "closed days the government decreed after the `holidays` package")
    holidays_remove: tuple[date, ...] = setting((), "package holidays the office works on after all")
    phone: str = setting("", "shown in every acknowledgement")
    website: str = setting("", "shown in every acknowledgement")
    complaints: str = setting("", "where complaints (pengaduan) go, shown in every acknowledgement")
    waiting_close_days: int = setting(7, "calendar days waiting for the citizen before auto-close", check=at_least(1))
    reminders: tuple[str, ...] = setting(
        ("opening", "2h"),
        '`"opening"` (at opening on the deadline day) and office hours before it (`"2h"`)',
        check=reminder_times,
    )
    ack_per_sender_per_day: int = setting(
        5,
        "acknowledgements to one sender per day at most (counted by each office apart: offices share nothing)",
        check=at_least(1),
    )
    ack_per_hour: int = setting(
        60,
        "acknowledgements the office sends per hour; beyond it they wait in the outbox "
        "for a later hour and the supervisors are told (once a day)",
        check=at_least(1),
    )
    consultation_url: str = setting(
        "",
        "link shown with a public answer suggested in an acknowledgement; `{number}` is the ticket",
        shown="none (text only)",
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        return {
            "Asia/Jakarta": "WIB",
            "Asia/Pontianak": "WIB",
            "Asia/Makassar": "WITA",
            "Asia/Jayapura": "WIT",
            "Asia/Ternate": "WIT",
        }.get(self.timezone, self.timezone)


@dataclass(frozen=True)
class Operator:
    name: str = setting(meaning="the operator's name, as citizens and colleagues see it")
    address: str = setting(meaning="their own mail address (replies are trusted only from it)", check=email)
    office: str = setting(meaning="the office code they answer for")
    team: str = setting("umum", "their team: one of the office's `teams[]`, or a team its rules name")
    absent: tuple[date, ...] = setting((), "leave days")


@dataclass(frozen=True)
class Team:
    name: str = setting(meaning="team name, as the rules' `then.team` names it")
    office: str = setting(meaning="the office code")
    strategy: str = setting("round_robin", "`round_robin` or `fewest_open`", check=one_of("round_robin", "fewest_open"))


@dataclass(frozen=True)
class Settings:
    path: Path
    secret: str = setting(
        meaning="signs operator reply tokens; at least 16 characters; use `env:HELPDESK_SECRET`",
        check=lambda v: None if len(v) >= 16 else "must be at least 16 characters",
        secret=True,
    )
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    offices: tuple[Office, ...] = ()
    operators: tuple[Operator, ...] = ()
    teams: tuple[Team, ...] = ()
    data_dir: Path = setting(
        Path("var"), "store, spool, mailbox status (relative to the settings file); `$HELPDESK_DATA_DIR` overrides it"
    )
    rules_dir: Path = setting(
        RULES, "routing rules (`*.toml`) of the offices", shown="the neutral rules in the package"
    )
    templates_dir: Path | None = setting(
        None, "templates that replace the packaged ones file by file", shown="none (the packaged templates)"
    )
    answers_dir: Path | None = setting(
        None,
        "saved answers (`#jawaban NAMA`) that replace or add to the packaged ones file by file",
        shown="none (the packaged saved answers)",
    )
    trusted_authserv_id: str = setting(
        "",
        "the receiving server whose `Authentication-Results: ...; dmarc=pass` "
        "lets an operator's mail through without a token",
        shown="none (tokens only)",
    )
    mail_seconds: float = setting(
        10.0,
        "time budget for reading one mail's body (MIME walk, HTML to text, bounce "
        "detectors); past it the ticket is made from what was read, marked on the "
        "ticket, the whole mail kept in the spool",
        check=positive,
    )
    attachment_mb: float = setting(
        10.0,
        "megabytes of a citizen's files attached to one staff mail; above it the "
        "notification lists each file with its size and where it is (`helpdesk show "
        "NUMBER`, the spool path)",
        check=at_least(0),
    )

    def office(self, code: str) -> Office:
        try:
            return self._offices_by_code[code]
        except KeyError:
            raise KeyError(code) from None

    def operators_of(self, code: str) -> tuple[Operator, ...]:
        """The office's operators, in settings order."""
        return self._staff_by_office.get(code, ((), ()))[0]

    def teams_of(self, code: str) -> tuple[Team, ...]:
        """The office's teams, in settings order."""
        return self._staff_by_office.get(code, ((), ()))[1]

    @cached_property
    def _staff_by_office(self) -> dict[str, tuple[tuple[Operator, ...], tuple[Team, ...]]]:
        # Routing asks for every mail: the lists of 550 offices' staff are split once.
        operators: dict[str, list[Operator]] = {}
        teams: dict[str, list[Team]] = {}
        for op in self.operators:
            operators.setdefault(op.office, []).append(op)
        for team in self.teams:
            teams.setdefault(team.office, []).append(team)
        return {code: (tuple(operators.get(code, ())), tuple(teams.get(code, ()))) for code in {*operators, *teams}}

    @cached_property
    def _offices_by_code(self) -> dict[str, Office]:
        # Looked up for every mail: with 550 offices a scan of the list cost more than the lookup.
        found: dict[str, Office] = {}
        for office in self.offices:
            found.setdefault(office.code, office)  # the first of a code, as the scan found it
        return found

    def office_by_address(self, address: str) -> Office | None:
        address = address.lower()
        return next((o for o in self.offices if o.address.lower() == address), None)

    def operator(self, address: str) -> Operator | None:
        address = address.lower()
        return next((o for o in self.operators if o.address.lower() == address), None)

    @property
    def cache_dir(self) -> Path:
        """What is kept only to start faster (sla.holidaycache); deleting it loses nothing."""
        return self.data_dir / "cache"

    @cached_property
    def own_addresses(self) -> frozenset[str]:
        """Every address the helpdesk sends from: mail from these is our own and never answered.

        Computed once (the settings are frozen): it is asked three times for every mail."""
        return frozenset(o.address.lower() for o in self.offices)


# Every table of settings.toml and the dataclass declaring its keys (README's table in this order).
SECTIONS: dict[str, type] = {
    "helpdesk": Settings,
    "smtp": SmtpSettings,
    "offices[]": Office,
    "offices[].imap": ImapSettings,
    "operators[]": Operator,
    "teams[]": Team,
}
_TOP = ["helpdesk", "smtp", "offices", "operators", "teams"]


def read(
    path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None, need_passwords: bool = True
) -> tuple[Settings | None, list[str]]:
    """Settings and every problem found in them; the settings are None only when the file cannot be read.

    With problems, a wrong value is replaced by its default, so `helpdesk check` goes on to the
    rules and templates and reports everything in one run.
    `need_passwords=False` (commands that only read the store or the calendar) lets an IMAP or SMTP
    password's unset environment variable pass as "": a supervisor running `helpdesk report` on a
    server holding only some of the offices' secrets must not be refused for all of them.
    """
    env = dict(os.environ if env is None else env)
    path = Path(path or env.get("HELPDESK_CONFIG") or "settings.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"{path}: file not found"]
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [f"{path}: {exc}"]
    r = Reader(
        path,
        env,
        need_passwords,
        {name: f"{prefix}.{name}" for prefix, cls in reversed(SECTIONS.items()) for name in declared(cls)},
    )
    base = path.resolve().parent
    r.unknown(raw, _TOP, "", "section")
    hd = r.table(Settings, raw.get("helpdesk", {}), "helpdesk")
    # HELPDESK_DATA_DIR lets the demo and a second test instance run from the same settings file.
    configured = hd.pop("data_dir", "var")
    data_dir = base / (env.get("HELPDESK_DATA_DIR") or configured)
    for key in ("rules_dir", "templates_dir", "answers_dir"):
        if key in hd:
            hd[key] = base / hd[key]
    smtp = SmtpSettings(**r.table(SmtpSettings, raw.get("smtp", {}), "smtp"))
    offices = tuple(_office(r, t, f"offices[{i}]") for i, t in enumerate(_list(r, raw, "offices")))
    if not offices:
        r.fail("offices", "no [[offices]] configured")
    codes = [o.code for o in offices]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        r.fail("offices", f"office code {code} appears more than once")
    if len({o.address for o in offices}) != len(offices):
        r.fail("offices", "two offices share an address")
    operators = tuple(
        _staff(r, Operator, t, f"operators[{i}]", codes) for i, t in enumerate(_list(r, raw, "operators"))
    )
    teams = tuple(_staff(r, Team, t, f"teams[{i}]", codes) for i, t in enumerate(_list(r, raw, "teams")))
    settings = Settings(
        path=path, data_dir=data_dir, smtp=smtp, offices=offices, operators=operators, teams=teams, **hd
    )
    return settings, r.problems


def load(
    path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None, need_passwords: bool = True
) -> Settings:
    """Read and validate settings; raise ConfigError listing every problem found."""
    settings, problems = read(path, env, need_passwords)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def _list(r: Reader, raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        r.fail(key, f"expected [[{key}]] tables")
        return []
    return value


def _office(r: Reader, t: Any, where: str) -> Office:
    values = r.table(Office, t, where, nested=("imap",))
    if "address" in values:
        values["address"] = values["address"].lower()
    values["supervisors"] = tuple(s.lower() for s in values.get("supervisors", ()))
    if isinstance(t, dict) and "imap" in t:
        values["imap"] = ImapSettings(**r.table(ImapSettings, t["imap"], f"{where}.imap"))
    return Office(**values)


def _staff(r: Reader, cls: type, t: Any, where: str, codes: list[str]) -> Any:
    values = r.table(cls, t, where)
    if "address" in values:
        values["address"] = values["address"].lower()
    if values.get("office") and values["office"] not in codes:
        r.fail(f"{where}.office", f"no office with code {values['office']!r}; configured: {', '.join(codes)}")
    return cls(**values)
