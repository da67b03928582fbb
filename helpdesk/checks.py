"""`helpdesk check`: every problem with settings, rules and templates, each with its file and key.

Settings were read (and each value checked) by config.read; these are the problems that need more
than one value: names that point at each other, templates rendered with a sample ticket, the data
folder, and (with --connect) the servers themselves.
"""

from __future__ import annotations

import difflib
import traceback
from dataclasses import replace
from pathlib import Path

from jinja2 import TemplateError

from .config import Office, Settings
from .desk.saved import SavedAnswers
from .outbound.compose import Templates
from .outbound.samples import CITIZEN_TEMPLATES, CONTEXTS, sample_context, sample_ticket
from .routing import rules
from .tickets.atomic import unwritable
from .tickets.office import unreadable_stores

REQUIRED_TEMPLATES = tuple(CONTEXTS)  # every template some part of the helpdesk renders


def problems(settings: Settings) -> list[str]:
    """Problems in settings, rules and templates that stop the daemon from starting."""
    templates = Templates(settings.templates_dir, settings.cache_dir, settings.secret)
    found = templates.check(REQUIRED_TEMPLATES)
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        found.append(f"{settings.path}: helpdesk.templates_dir: {settings.templates_dir} is not a folder")
    elif settings.templates_dir is not None:
        found += unused_overrides(settings.templates_dir)
    if not found:
        found += render_problems(templates, settings.offices)
    try:
        ruleset = rules.load_rules(settings.rules_dir)
    except rules.RulesError as exc:
        found += exc.problems  # rules/*.toml: bad rules with file and line
    else:
        found += rules.check(settings, ruleset)  # names the rules point at
        found += team_problems(settings, ruleset)
    found += saved_answers(settings)
    for office in settings.offices:
        if office.imap is None:
            found.append(f"{settings.path}: offices[{office.code}].imap: missing: no mailbox to read")
    return found


def unused_overrides(folder: Path) -> list[str]:
    """An office's template file no part of the helpdesk reads: most likely a mistyped name."""
    known = [
        f"{name}.{lang}.{ext}" for name in REQUIRED_TEMPLATES for lang in _languages(name) for ext in ("txt", "html")
    ]
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".txt", ".html") and path.name not in known:
            near = difflib.get_close_matches(path.name, known, 1)
            found.append(f"{path}: not a template the helpdesk uses" + (f"; did you mean {near[0]}?" if near else ""))
    return found


def render_problems(templates: Templates, offices: tuple[Office, ...]) -> list[str]:
    """Each template rendered with a sample ticket, citizens' ones in Indonesian and English."""
    if not offices:
        return []
    # Contact lines only show when set: fill them so those branches are rendered too.
    office = replace(
        offices[0],
        phone=offices[0].phone or "0321-000",
        website=offices[0].website or "https://example.org",
        complaints=offices[0].complaints or "https://www.lapor.go.id",
    )
    found = []
    for name in REQUIRED_TEMPLATES:
        for lang in _languages(name):
            try:
                templates.render(name, lang, **sample_context(name, office))
            except (TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
                found.append(_where(templates, name, lang, exc))
    return found


def _languages(name: str) -> tuple[str, ...]:
    """Citizens get Indonesian or English; staff mail is always Indonesian (outbound.notices)."""
    return ("id", "en") if name in CITIZEN_TEMPLATES else ("id",)


def _where(templates: Templates, name: str, lang: str, exc: Exception) -> str:
    """'file:line: message' for a template that failed to render."""
    line = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((f"{name}.{lang}.txt", f"{name}.{lang}.html", f"{name}.id.txt", f"{name}.id.html")):
            line, filename = str(frame.lineno), frame.filename
            return f"{filename}:{line}: {exc} (rendered with a sample ticket, language {lang})"
    path = templates.path(f"{name}.{lang}.txt") or templates.path(f"{name}.id.txt")
    return f"{path}:{line}: {exc} (rendered with a sample ticket, language {lang})"


def team_problems(settings: Settings, ruleset: rules.RuleSet) -> list[str]:
    """An operator's team must be one the office knows: a `teams[]` entry or a team its rules name."""
    named = rules.named_teams(ruleset)
    found = []
    for i, op in enumerate(settings.operators):
        known = sorted(
            {t.name for t in settings.teams if t.office == op.office}
            | named.get(op.office, set())
            | named.get("", set())
        )
        if known and op.team not in known:
            near = difflib.get_close_matches(op.team, known, 1)
            hint = f"did you mean {near[0]}?" if near else f"known: {', '.join(known)}"
            found.append(
                f"{settings.path}: operators[{i}].team: {op.team!r} is not a team of office {op.office}; {hint}"
            )
    return found


def data_dir_problems(settings: Settings) -> list[str]:
    """The data folder can be written (or made): `check` says so; `run` stops with status 5 instead.
    Each office's store can be read: one that cannot is named (`run` stops that office alone)."""
    disk = unwritable(Path(settings.data_dir))
    if disk:
        return [f"{settings.path}: helpdesk.data_dir: {disk}"]
    found = []
    for code, why in unreadable_stores(Path(settings.data_dir), [o.code for o in settings.offices]).items():
        found.append(f"{settings.path}: offices[{code}]: store cannot be read, the office is stopped: {why}")
    return found


def saved_answers(settings: Settings) -> list[str]:
    """Every saved answer rendered for a sample ticket of each office, in Indonesian and English."""
    saved, found = SavedAnswers(settings.answers_dir), []
    for office in settings.offices:
        for lang in ("id", "en"):
            found += [p for p in saved.check(replace(sample_ticket(office), language=lang), office) if p not in found]
    return found
