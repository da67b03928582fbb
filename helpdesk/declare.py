"""One declaration per setting: `setting(default, meaning, check=...)` on a config dataclass field.

The loader (`read_table`), `helpdesk check` (unknown keys with the closest known one, each value's
check) and the README's configuration table (`helpdesk settings`) all come from these declarations,
so a setting is written once. A new setting is one line in config.py, for example

    ack_per_hour: int = setting(20, "acknowledgements an office sends per hour at most", check=at_least(1))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, field, fields
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Check = Callable[[Any], "str | None"]  # the value -> what is wrong with it, or None
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def setting(
    default: Any = MISSING,
    meaning: str = "",
    *,
    check: Check | None = None,
    shown: str | None = None,
    secret: bool = False,
) -> Any:
    """Declare a setting: its default (none: required), one line of meaning, how it is checked.

    `shown` replaces the default in the README table where the value itself reads badly."""
    meta = {"meaning": meaning, "check": check, "shown": shown}
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


def declared(cls: type) -> dict[str, Field]:
    """The settings a config dataclass declares, in order (other fields are filled by the loader)."""
    return {f.name: f for f in fields(cls) if "meaning" in f.metadata}


def required(f: Field) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


# ---- checks: each returns what is wrong, or None ----


def one_of(*values: str) -> Check:
    return lambda v: None if v in values else f"must be {', '.join(values[:-1])} or {values[-1]}, got {v!r}"


def at_least(low: int) -> Check:
    return lambda v: None if v >= low else f"must be at least {low}"


def positive(value: float) -> str | None:
    return None if value > 0 else "must be more than 0"


def email(value: str) -> str | None:
    return None if ADDRESS.match(value) else f"not an email address: {value!r}"


def emails(values: tuple[str, ...]) -> str | None:
    return next((email(v) for v in values if email(v)), None)


def zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}; e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura"
    return None


def reminder_times(values: tuple[str, ...]) -> str | None:
    bad = [v for v in values if v != "opening" and not re.fullmatch(r"\d+(h|m)", v)]
    return f'expected "opening" or office hours like "2h", got {bad[0]!r}' if bad else None


# ---- conversion from TOML (and "env:" strings) to the declared type ----


class Invalid(ValueError):
    """A value that cannot be the declared type; the message says what was expected."""


def _scalar(kind: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and kind in (int, float):  # from an "env:" value
            try:
                return kind(value)
            except ValueError:
                pass
        if isinstance(value, str) and kind is bool and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Invalid(f"expected {kind.__name__}, got {value!r}")
        return value

    return convert


def _words(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _dates(value: Any) -> tuple[date, ...]:
    if not isinstance(value, list):
        raise Invalid(f"expected a list of dates, got {value!r}")
    try:
        return tuple(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in value)
    except ValueError:
        raise Invalid(f"expected dates like 2026-12-24, got {value!r}") from None


def _hours(value: Any) -> dict[int, tuple[time, time]]:
    if not isinstance(value, dict):
        raise Invalid(f'expected {{ mon = "08:00-15:30", ... }}, got {value!r}')
    hours = {}
    for day, span in value.items():
        if day not in WEEKDAYS:
            near = _close(day, WEEKDAYS, 0.6)
            raise Invalid(
                f"{day}: unknown weekday" + (f"; did you mean {near[0]}?" if near else f"; use {', '.join(WEEKDAYS)}")
            )
        m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", str(span))
        try:
            opens, closes = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))  # type: ignore[index]
        except (TypeError, ValueError):
            raise Invalid(f'{day}: expected "HH:MM-HH:MM", got {span!r}') from None
        if closes <= opens:
            raise Invalid(f"{day}: closing must be after opening")
        hours[WEEKDAYS.index(day)] = (opens, closes)
    return hours


# The declared type (as written in config.py) -> how a TOML value becomes it. A setting of a type
# not listed here fails the declarations test before it can fail an office.
CONVERT: dict[str, Callable[[Any], Any]] = {
    "str": _scalar(str),
    "int": _scalar(int),
    "float": _scalar(float),
    "bool": _scalar(bool),
    "tuple[str, ...]": _words,
    "tuple[date, ...]": _dates,
    "Path": _scalar(str),
    "Path | None": _scalar(str),
    "dict[int, tuple[time, time]]": _hours,
}


class Reader:
    """Reads declared settings out of a TOML table, collecting every problem instead of stopping."""

    def __init__(
        self, path: Path, env: dict[str, str], need_passwords: bool = True, elsewhere: dict[str, str] | None = None
    ) -> None:
        self.path, self.env, self.need_passwords = path, env, need_passwords
        self.elsewhere = elsewhere or {}  # every declared key -> "offices[].reply_days", for hints
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}: {key}: {message}")

    def unknown(self, table: dict[str, Any], known: list[str], where: str, what: str = "key") -> None:
        """Every key of `table` not in `known`, named with the closest known one."""
        for key in table:
            if key not in known:
                near = _close(key, known, 0.6)
                far = _close(key, list(self.elsewhere), 0.8)
                hint = (
                    f"did you mean {near[0]}?"
                    if near
                    else f"did you mean {self.elsewhere[far[0]]}?"
                    if far
                    else f"known: {', '.join(known)}"
                )
                self.fail(f"{where}.{key}".lstrip("."), f"unknown {what}; {hint}")

    def table(self, cls: type, table: Any, where: str, nested: tuple[str, ...] = ()) -> dict[str, Any]:
        """The declared settings of `cls` found in `table`, converted and checked, as keyword arguments.

        A missing or wrong value is a problem and is left out (the declared default stands in), so
        one mistake never hides the next; a missing required string stands in as ""."""
        if not isinstance(table, dict):
            self.fail(where, f"expected a table, got {table!r}")
            return {name: "" for name, f in declared(cls).items() if required(f)}
        decl = declared(cls)
        self.unknown(table, list(decl) + list(nested), where)
        out: dict[str, Any] = {}
        for name, f in decl.items():
            key = f"{where}.{name}".lstrip(".")
            if name not in table:
                if required(f):
                    self.fail(key, "missing (required)")
                continue
            value = table[name]
            if isinstance(value, str) and value.startswith("env:"):
                if value[4:] not in self.env:
                    if name == "password" and not self.need_passwords:
                        continue  # a command that never logs in needs no mailbox or SMTP password
                    self.fail(key, f"environment variable {value[4:]} is not set")
                    continue
                value = self.env[value[4:]]
            try:
                value = CONVERT[str(f.type)](value)
            except Invalid as exc:
                self.fail(key, str(exc))
                continue
            wrong = f.metadata["check"](value) if f.metadata["check"] else None
            if wrong:
                self.fail(key, wrong)
                continue
            out[name] = value
        # A required value that was missing or wrong stands in as "", so the rest can still be checked.
        return {name: "" for name, f in decl.items() if required(f)} | out


def _shown(f: Field) -> str:
    if f.metadata["shown"] is not None:
        return f.metadata["shown"]
    if required(f):
        return "required"
    factory = f.default_factory
    value = factory() if f.default is MISSING and callable(factory) else f.default
    if value in (None, "", ()):
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value}`"


def table_rows(sections: dict[str, type]) -> list[str]:
    """The README's configuration table, one row per declared setting."""
    rows = ["| key | meaning | default |", "|---|---|---|"]
    for prefix, cls in sections.items():
        for name, f in declared(cls).items():
            rows.append(f"| `{prefix}.{name}` | {f.metadata['meaning']} | {_shown(f)} |")
    return rows


def _close(word: str, choices: Sequence[str], cutoff: float) -> list[str]:
    """The closest of `choices`, as a list of at most one (difflib: imported only for a mistake)."""
    import difflib

    return difflib.get_close_matches(word, choices, 1, cutoff)
