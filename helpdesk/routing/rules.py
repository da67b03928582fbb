"""rules/*.toml -> Rule objects per office; every problem named with its file and line (stage 4).

A rules file looks like this (one per office, or shared when it names no office):

    office = "3576"             # omit: the rules apply to every office
    [default]                   # what the rules left unset; one default per office
    team = "umum"
    [[rules]]
    name = "pengaduan"
    when.complaint = true       # every condition must hold
    then.team = "pengaduan"
    then.stop = true

Files are read in name order and rules keep their order inside a file, so "00-shared.toml" runs
before "3576.toml". Matchers are the names in `match.MATCHERS`, actions those in `match.ACTIONS`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conditions import MATCHERS, RuleError
from .match import ACTIONS, PRIORITIES, Rule

_RULES_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]")
_DEFAULT_HEADER = re.compile(r"^\s*\[\s*default\s*\]")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
TOP_KEYS = frozenset({"office", "default", "rules"})
RULE_KEYS = frozenset({"name", "when", "then"})


class RulesError(ValueError):
    """Every problem found in the rules directory, each 'file:line: message'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class RuleSet:
    """All rules, in order, with the office each applies to ("" = every office) and the defaults."""

    rules: list[tuple[str, Rule]] = field(default_factory=list)
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # office ("" shared) -> actions
    default_where: dict[str, str] = field(default_factory=dict)

    _by_office: dict[str, list[Rule]] = field(default_factory=dict, repr=False, compare=False)

    def for_office(self, office: str) -> tuple[list[Rule], dict[str, Any] | None]:
        """The rules that apply to this office, in order, and its default (or the shared one)."""
        rules = self._by_office.get(office)
        if rules is None:
            # Kept per office: every mail asks, and 550 offices' rules are thousands to filter.
            rules = self._by_office[office] = [rule for scope, rule in self.rules if scope in ("", office)]
        return list(rules), self.defaults.get(office, self.defaults.get(""))


class _File:
    """One rules file being read; problems collect instead of stopping at the first."""

    def __init__(self, path: Path, text: str, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        self.lines = text.splitlines()
        self.rule_lines = [i + 1 for i, line in enumerate(self.lines) if _RULES_HEADER.match(line)]
        self.default_line = next((i + 1 for i, line in enumerate(self.lines) if _DEFAULT_HEADER.match(line)), 1)

    def fail(self, line: int, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {message}")

    def key_line(self, start: int, key: str) -> int:
        """The line of the block starting at `start` that names `key` (else the block's first)."""
        end = next((n for n in self.rule_lines if n > start), len(self.lines) + 1)
        leaf = re.escape(key.rpartition(".")[2])
        for n in range(start, end):
            if re.search(rf"(^|[\s.{{,]){leaf}\s*[=.]", self.lines[n - 1]):
                return n
        return start


def _actions(f: _File, table: Any, line: int, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        f.fail(line, f"{where}: expected a table of actions")
        return {}
    out: dict[str, Any] = {}
    for key, value in table.items():
        at = f.key_line(line, key)
        if key not in ACTIONS:
            f.fail(at, f"{where}.{key}: unknown action; known: {', '.join(ACTIONS)}")
        elif key in ("team", "operator", "category") and not (isinstance(value, str) and value.strip()):
            f.fail(at, f"{where}.{key}: expected a non-empty string, got {value!r}")
        elif key == "priority" and value not in PRIORITIES:
            f.fail(at, f"{where}.priority: expected one of {', '.join(PRIORITIES)}, got {value!r}")
        elif key == "reply_days" and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30):
            f.fail(at, f"{where}.reply_days: expected working days from 1 to 30, got {value!r}")
        elif key == "tags" and not (isinstance(value, list) and all(isinstance(t, str) and t for t in value)):
            f.fail(at, f"{where}.tags: expected a list of words, got {value!r}")
        elif key == "stop" and not isinstance(value, bool):
            f.fail(at, f"{where}.stop: expected true or false, got {value!r}")
        else:
            out[key] = value.strip().lower() if key == "operator" else value
    return out


def _rule(f: _File, table: Any, index: int, name_seen: set[str]) -> Rule | None:
    line = f.rule_lines[index] if index < len(f.rule_lines) else 1
    where = f"rules[{index}]"
    if not isinstance(table, dict):
        f.fail(line, f"{where}: expected a table")
        return None
    before = len(f.problems)
    for key in table.keys() - RULE_KEYS:
        f.fail(f.key_line(line, key), f"{where}.{key}: unknown key; a rule has name, when.* and then.*")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        f.fail(line, f"{where}: missing name")
        name = f"#{index}"
    elif name in name_seen:
        f.fail(line, f"{where}: the name {name!r} is used twice in this file")
    name_seen.add(name)
    matchers = []
    when = table.get("when", {})
    if not isinstance(when, dict):
        f.fail(f.key_line(line, "when"), f"rule {name!r}: when: expected a table of conditions")
        when = {}
    for key, value in when.items():
        at = f.key_line(line, key)
        cls = MATCHERS.get(key)
        if cls is None:
            f.fail(at, f"rule {name!r}: when.{key}: unknown condition; known: {', '.join(MATCHERS)}")
            continue
        try:
            matchers.append(cls(value))
        except RuleError as exc:
            f.fail(at, f"rule {name!r}: when.{key}: {exc}")
    actions = _actions(f, table.get("then", {}), line, f"rule {name!r}: then")
    if not table.get("then"):
        f.fail(line, f"rule {name!r}: no then.* action: the rule would do nothing")
    if len(f.problems) > before:
        return None
    return Rule(name=name, matchers=tuple(matchers), actions=actions, where=f"{f.path.name}:{line}")


def load_file(path: Path, rules: RuleSet, problems: list[str]) -> None:
    """Read one rules file into `rules`, adding each problem found to `problems`."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: cannot read: {exc}")
        return
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        problems.append(f"{path}:{m.group(1) if m else 1}: {_TOML_LINE.sub('', str(exc)).strip()}")
        return
    f = _File(path, text, problems)
    for key in data.keys() - TOP_KEYS:
        f.fail(
            f.key_line(1, key),
            f"{key}: unknown key; a rules file has office, [default] and [[rules]]",
        )
    office = data.get("office", "")
    if not isinstance(office, str):
        f.fail(f.key_line(1, "office"), f"office: expected an office code, got {office!r}")
        office = ""
    if "default" in data:
        default = _actions(f, data["default"], f.default_line, "default")
        if office in rules.defaults:
            f.fail(
                f.default_line,
                f"second default for {'office ' + office if office else 'all offices'}"
                f"; the first is at {rules.default_where[office]}",
            )
        else:
            rules.defaults[office] = default
            rules.default_where[office] = f"{path.name}:{f.default_line}"
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        f.fail(1, "rules: expected [[rules]] tables")
        return
    seen: set[str] = set()
    for i, table in enumerate(raw_rules):
        rule = _rule(f, table, i, seen)
        if rule is not None:
            rules.rules.append((office, rule))


def load_rules(directory: Path) -> RuleSet:
    """Every *.toml under `directory`, in name order; raises RulesError listing every problem."""
    rules = RuleSet()
    problems: list[str] = []
    directory = Path(directory)
    if not directory.is_dir():
        raise RulesError([f"{directory}: rules directory not found"])
    for path in sorted(directory.glob("*.toml")):
        load_file(path, rules, problems)
    if problems:
        raise RulesError(problems)
    return rules


def references(rules: RuleSet) -> list[tuple[str, str, str, str]]:
    """(office, "team"|"operator", value, where) for every name the rules point at, for `check`."""
    out: list[tuple[str, str, str, str]] = []
    for office, actions in rules.defaults.items():
        for key in ("team", "operator"):
            if key in actions:
                out.append((office, key, actions[key], rules.default_where[office]))
    for office, rule in rules.rules:
        for key in ("team", "operator"):
            if key in rule.actions:
                out.append((office, key, rule.actions[key], rule.where))
    return out


def named_teams(rules: RuleSet) -> dict[str, set[str]]:
    """office ("" for every office) -> the teams its rules and default name."""
    out: dict[str, set[str]] = {}
    for office, key, value, _ in references(rules):
        if key == "team":
            out.setdefault(office, set()).add(value)
    return out


def check(settings: Any, loaded: RuleSet | None = None) -> list[str]:
    """`helpdesk check`: rule problems with file and line, and names no configured operator has.

    An office with no operators configured yet is not an error (its tickets wait unassigned and the
    digest lists them); once it has some, a team or operator a rule names must exist. `loaded`: the
    rules already read from `settings.rules_dir`, so that one check reads them once."""
    try:
        rules = loaded if loaded is not None else load_rules(settings.rules_dir)
    except RulesError as exc:
        return exc.problems
    problems = []
    codes = [o.code for o in settings.offices]
    scopes = {office: where for office, where in rules.default_where.items()}
    scopes.update((office, rule.where) for office, rule in reversed(rules.rules))
    for office, where in sorted(scopes.items()):
        if office and office not in codes:
            path = settings.rules_dir / where.rpartition(":")[0]
            lines = path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, text in enumerate(lines, 1) if re.match(r"\s*office\s*=", text)), 1)
            problems.append(f"{path}:{line}: office {office!r} is not configured; configured: {', '.join(codes)}")
    for scope, key, value, where in references(rules):
        for office in [scope] if scope else codes:
            staff = [op for op in settings.operators if op.office == office]
            if office not in codes or not staff:
                continue
            if key == "operator" and value not in {op.address for op in staff}:
                problems.append(
                    f"{settings.rules_dir / where.rpartition(':')[0]}:{where.rpartition(':')[2]}: "
                    f"operator {value} is not configured for office {office}"
                )
            teams = {op.team for op in staff} | {t.name for t in settings.teams if t.office == office}
            if key == "team" and value not in teams:
                problems.append(
                    f"{settings.rules_dir / where.rpartition(':')[0]}:{where.rpartition(':')[2]}: "
                    f"team {value!r} has no operators in office {office}"
                )
    return problems
