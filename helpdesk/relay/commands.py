"""Commands on their own lines atop an operator's reply: #tutup, #tunggu, ... (stage 5, pure).

Only the top counts: leading blank lines are skipped, then every line that starts with "#word" is a
command line, until the first line that is not. A "#" later in the text is prose. An unknown
command, or a malformed one, means the caller tells the operator and relays nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Indonesian and English spellings -> canonical English name.
ALIASES: dict[str, str] = {
    "tutup": "close",
    "close": "close",
    "tunggu": "wait",
    "wait": "wait",
    "alihkan": "assign",
    "assign": "assign",
    "catatan": "note",
    "note": "note",
    "publik": "public",
    "public": "public",
    "jawaban": "saved",
    "answer": "saved",  # saved answers (desk.saved), by name
}
# The rest of the line is the argument; without one, this is said to the operator.
TAKES_ARGUMENT = {"assign": "perlu nama atau alamat petugas", "saved": "perlu nama jawaban tersimpan"}


def _known() -> str:
    indonesian: dict[str, str] = {}
    for word, name in ALIASES.items():
        indonesian.setdefault(name, word)  # each Indonesian spelling stands first
    return ", ".join(f"#{word}" + (" NAMA" if name in TAKES_ARGUMENT else "") for name, word in indonesian.items())


# The commands as the operator is told them (refusal notices, an unknown command): "#tutup, ...".
KNOWN = _known()

# "#word" opening a (stripped) line, or following one on it ("#tutup #publik"); "# Judul" and
# "#123" are not commands, and "#tutup." ends at the dot.
_COMMAND_WORD = re.compile(r"\s*#([A-Za-z][A-Za-z0-9_-]*)\b")
_TRAILING_PUNCT = re.compile(r"[\s.,;:!]*")


@dataclass(frozen=True)
class Command:
    """One command: canonical English name (close, wait, assign, note, public) and its argument."""

    name: str
    arg: str = ""
    written: str = ""  # as the operator wrote it, e.g. "#tutup", for replies to the operator


@dataclass
class CommandSet:
    """What the top of a reply asks for, and the text after the command lines."""

    commands: list[Command] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # "#word" as written, in order
    errors: list[str] = field(default_factory=list)  # malformed commands, said in Indonesian
    body: str = ""  # text after the command lines, stripped

    @property
    def ok(self) -> bool:
        """False when the caller must answer the operator and relay nothing."""
        return not self.unknown and not self.errors

    def has(self, name: str) -> bool:
        """Whether the command with this canonical name was given."""
        return any(c.name == name for c in self.commands)

    @property
    def is_note(self) -> bool:
        """The body is an internal note: nothing goes to the citizen."""
        return self.has("note")

    @property
    def assign_to(self) -> str | None:
        """The operator name or address of #alihkan/#assign, as written; None without one."""
        return next((c.arg for c in self.commands if c.name == "assign"), None)

    @property
    def saved_answers(self) -> list[str]:
        """The names after every #jawaban/#answer, in order ("#jawaban a b" names two)."""
        return [name for c in self.commands if c.name == "saved" for name in c.arg.replace(",", " ").split()]

    @property
    def is_handover(self) -> bool:
        """#alihkan with text: the text is a note for the new assignee, not an answer."""
        return self.assign_to is not None and not self.is_note

    @property
    def is_internal(self) -> bool:
        """Nothing of this reply goes to the citizen: a note, or a hand-over."""
        return self.is_note or self.assign_to is not None

    @property
    def citizen_text(self) -> str:
        """What may be relayed to the citizen: the body, unless rejected, a note or a hand-over."""
        return self.body if self.ok and not self.is_internal else ""


def _add(result: CommandSet, line: str) -> str:
    """Record the "#word" commands that open `line`; return what remains of it for the body."""
    pos = 0
    while m := _COMMAND_WORD.match(line, pos):
        word, pos = m.group(1), m.end()
        name = ALIASES.get(word.lower())
        if name is None:
            result.unknown.append(f"#{word}")
            return ""
        if name in TAKES_ARGUMENT:
            arg = line[pos:].strip().lstrip(":").strip()
            if arg:
                result.commands.append(Command(name, arg, f"#{word}"))
            else:
                result.errors.append(f"#{word} {TAKES_ARGUMENT[name]}")
            return ""
        if not result.has(name):
            result.commands.append(Command(name, "", f"#{word}"))
    rest = line[pos:]
    return "" if _TRAILING_PUNCT.fullmatch(rest) else rest.strip()


def _check(result: CommandSet) -> None:
    if result.has("close") and result.has("wait"):
        result.errors.append("#tutup dan #tunggu tidak dapat dipakai bersama")
    if result.has("saved") and (result.has("note") or result.has("assign")):
        result.errors.append("#jawaban dikirim kepada pengguna: tidak dapat dipakai bersama #catatan atau #alihkan")
    targets = {c.arg.lower() for c in result.commands if c.name == "assign"}
    if len(targets) > 1:
        result.errors.append("#alihkan hanya boleh ke satu petugas")


def parse_commands(text: str) -> CommandSet:
    """Read the command lines at the top of `text` (case-insensitive); the rest is the body."""
    result = CommandSet()
    if not isinstance(text, str):
        return result
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    first_body_line = ""
    while i < len(lines):
        line = lines[i].strip()
        if not line:  # blank lines before and between command lines
            i += 1
            continue
        if not _COMMAND_WORD.match(line):
            break
        i += 1
        remainder = _add(result, line)
        if remainder:  # "#tutup Terima kasih, ..." : the words start the body
            first_body_line = remainder
            break
    rest = "\n".join(lines[i:])
    result.body = (f"{first_body_line}\n{rest}" if first_body_line else rest).strip()
    _check(result)
    return result
