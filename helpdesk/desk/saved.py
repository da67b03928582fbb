"""Saved answers: an office's ready texts an operator sends with `#jawaban NAME` (operator toolbox).

Each answer is a Markdown or text file, `NAME.md` or `NAME.txt` (`NAME.en.md` for English tickets),
whose first line is `# Title` and whose rest is the text. The package ships defaults in
helpdesk/answers/; the setting `answers_dir` names a folder whose files replace or add to them,
file by file. The text may use the citizen's name, the ticket number and the office's links:
`{{ nama }}`, `{{ tiket }}`, `{{ kantor }}`, `{{ situs }}`, `{{ telepon }}`, `{{ pengaduan }}`,
`{{ tautan }}` (the office's `consultation_url` for this ticket). Rendering is sandboxed and strict:
an unknown variable is an error `helpdesk check` reports, never a blank in a citizen's mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Office
from ..model import Ticket

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

_FILE = re.compile(r"(?P<name>[a-z0-9][a-z0-9_-]{0,40})(?:\.(?P<lang>en|id))?\.(?:md|txt)")


@cache
def _env() -> SandboxedEnvironment:
    """Made at the first answer rendered: the daemon and the commands start without Jinja2."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True
    )


class UnknownAnswer(LookupError):
    """Names no saved answer has; the operator is told which ones exist."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


@dataclass(frozen=True)
class SavedAnswer:
    name: str  # e.g. "data-dasar", what follows #jawaban
    lang: str  # "id" or "en"
    title: str  # the file's "# Title" line
    text: str  # the Jinja text below it
    source: str  # where it was read from, for check's messages


def parse(name: str, lang: str, content: str, source: str) -> SavedAnswer:
    """One file's content as a saved answer; ValueError when its first line is no "# Title"."""
    first, _, rest = content.lstrip("\ufeff").partition("\n")
    if not first.startswith("# ") or not first[2:].strip():
        raise ValueError(f"{source}: the first line must be '# Title'")
    return SavedAnswer(name, lang, first[2:].strip(), rest.strip("\n"), source)


def _files(folder: Any) -> Iterable[tuple[str, str, Any]]:
    """(name, lang, file) for every saved-answer file in a folder (a Path or a package resource)."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for item in folder.iterdir():
        m = _FILE.fullmatch(item.name)
        if m and item.is_file():
            found.append((m.group("name"), m.group("lang") or "id", item))
    return sorted(found, key=lambda f: (f[0], f[1], f[2].name))


class SavedAnswers:
    """The shipped saved answers, replaced or extended file by file by the office's folder."""

    def __init__(self, override: Path | None = None) -> None:
        self.answers: dict[tuple[str, str], SavedAnswer] = {}
        self.problems: list[str] = []
        for folder in (files("helpdesk").joinpath("answers"), override):
            for name, lang, item in _files(folder):
                try:
                    self.answers[(name, lang)] = parse(name, lang, item.read_text(encoding="utf-8"), str(item))
                except (ValueError, OSError, UnicodeDecodeError) as exc:
                    self.problems.append(str(exc))

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self.answers})

    def get(self, name: str, lang: str = "id") -> SavedAnswer | None:
        name = name.strip().lower()
        return self.answers.get((name, lang)) or self.answers.get((name, "id"))

    def compose(self, names: Iterable[str], ticket: Ticket, office: Office) -> str:
        """The named answers, filled in for this ticket, one after another; UnknownAnswer names the
        ones that do not exist (then nothing is sent at all)."""
        wanted = list(names)
        missing = [n for n in wanted if self.get(n) is None]
        if missing:
            raise UnknownAnswer(missing)
        lang = ticket.reply_language
        return "\n\n".join(render(self.get(n, lang), ticket, office) for n in wanted)  # type: ignore[arg-type]

    def check(self, ticket: Ticket, office: Office) -> list[str]:
        """Every problem: unreadable files and answers that do not render for a sample ticket."""
        from jinja2 import TemplateError

        found = list(self.problems)
        for answer in self.answers.values():
            try:
                render(answer, ticket, office)
            except TemplateError as exc:
                found.append(f"{answer.source}: {exc}")
        return found


def variables(ticket: Ticket, office: Office) -> dict[str, str]:
    """What a saved answer may say about the citizen, the ticket and the office."""
    english = ticket.reply_language == "en"
    link = office.consultation_url.replace("{number}", ticket.number) if office.consultation_url else ""
    return {
        "nama": ticket.requester_name or ("Sir/Madam" if english else "Bapak/Ibu"),
        "tiket": ticket.number,
        "kantor": office.name,
        "situs": office.website,
        "telepon": office.phone,
        "pengaduan": office.complaints,
        "tautan": link,
    }


def render(answer: SavedAnswer, ticket: Ticket, office: Office) -> str:
    return _compiled(answer.text).render(variables(ticket, office)).strip()


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    """Each answer's text compiled once per process: `check` renders it for every office and
    language, the daemon at each `#jawaban` (an edited file is a new text, compiled anew)."""
    return _env().from_string(text)
