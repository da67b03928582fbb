"""What the helpdesk told its staff never goes back out in an operator's reply (stages 3 and 5, pure).

Stripping quotes by their markers (outbound.strip) fails whenever a client quotes differently: inline
answers between quoted lines, HTML blockquotes turned into plain lines, Outlook re-flowing long
lines. So the helpdesk remembers every staff mail it wrote for a ticket (notifications, reminders,
refusal notices, forwarded follow-ups) as fingerprints on the ticket, and drops from a reply every
line made only of that text, wherever it stands and however it was quoted or re-wrapped.

A fingerprint is a 32-bit hash of four consecutive words (case, punctuation, quote markers, HTML
and line breaks ignored, so re-wrapping keeps them), plus one per whole line for lines too short
to hold four words. A reply line whose every word lies in a remembered four-word run is staff
text, unless it is the citizen's own words (their question, quoted back to them) or an earlier
answer they already received. When words of an internal block (similar consultations, internal
notes) would still go out in a line that survives, the reply is held: never guessed through.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Ticket

SHINGLE = 4  # words per fingerprint (_runs is written out for four)
_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTE_MARKS = re.compile(r"^[\s>|]*")
_RULE = re.compile(r"[\s>|\-_=*~.#]*")  # a line of quote markers, rules or punctuation only


def words(text: str) -> list[str]:
    """The words of `text`, case-folded: what survives any quoting or re-wrapping."""
    return [w.casefold() for w in _WORD.findall(text or "")]


_MASK = 0xFFFFFFFF
_MULT = 1_000_003


def _word(word: str) -> int:
    # CRC-32: stable across processes (the prints are stored) and cheap; a collision only makes
    # one more line look like staff text, and is unlikely within one ticket's few thousand prints.
    return zlib.crc32(word.encode())


def _combine(kind: int, hashes: Iterable[int]) -> int:
    h = kind
    for x in hashes:
        h = ((h * _MULT) ^ x) & _MASK
    return h


_RUN, _LINE = 0x52554E, 0x4C494E  # "RUN", "LIN": runs and whole short lines never collide by kind


def _runs(hashes: list[int]) -> list[int]:
    """The print of each run of SHINGLE consecutive word hashes."""
    # Written out for SHINGLE == 4: this runs over every staff mail the helpdesk writes.
    m, k = _MULT, _RUN * _MULT
    return [
        ((((((k ^ a) * m) ^ b) * m ^ c) * m ^ d) & _MASK)
        for a, b, c, d in zip(hashes, hashes[1:], hashes[2:], hashes[3:], strict=False)
    ]


def prints(text: str) -> set[int]:
    """Fingerprints of a text: each run of SHINGLE words across lines, and each short line."""
    out: set[int] = set()
    stream: list[int] = []
    line_hashes = [[_word(w) for w in words(_QUOTE_MARKS.sub("", line))] for line in (text or "").splitlines()]
    for hashes in line_hashes:
        if 0 < len(hashes) < SHINGLE:
            out.add(_combine(_LINE, hashes))
        stream += hashes
    # A short paragraph re-wrapped into several lines, with an answer written right below it, has
    # no four-word run in the reply: its whole words are remembered too.
    for paragraph in _paragraphs(line_hashes):
        words_in = [h for i in paragraph for h in line_hashes[i]]
        if len(words_in) < SHINGLE:
            out.add(_combine(_LINE, words_in))
    out.update(_runs(stream))
    if 0 < len(stream) < SHINGLE:
        out.add(_combine(_LINE, stream))
    return out


def _paragraphs(line_hashes: list[list[int]]) -> list[list[int]]:
    """Indexes of consecutive lines holding words, split where a line holds none."""
    out: list[list[int]] = [[]]
    for i, hashes in enumerate(line_hashes):
        if hashes:
            out[-1].append(i)
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def pack(values: set[int]) -> str:
    """A set of fingerprints as compact text for the store (4 bytes each, base64)."""
    return base64.b64encode(b"".join(v.to_bytes(4, "big") for v in sorted(values))).decode("ascii")


def unpack(text: str) -> set[int]:
    """The inverse of `pack`; anything unreadable counts as no fingerprints."""
    try:
        raw = base64.b64decode(text or "", validate=True)
    except ValueError:
        return set()
    return {int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw) - 3, 4)}


def remember(packed: str, text: str) -> str:
    """`packed` with the fingerprints of one more text added."""
    return pack(unpack(packed) | prints(text))


@dataclass(frozen=True)
class Cleaned:
    """A reply with the helpdesk's own staff text removed, or held."""

    text: str
    dropped: int = 0  # lines removed as staff text
    held: str = ""  # why the reply must not go out at all ("" = it may)
    held_line: int = 0  # the reply's line (1-based) that repeats internal text
    held_words: str = ""  # the first internal words on it, for the operator


def _covered(line_words: list[list[str]], known: set[int]) -> list[list[bool]]:
    """Per word of each line: is it inside a known four-word run, or a known short line?"""
    flat = [(i, j) for i, ws in enumerate(line_words) for j in range(len(ws))]
    hashes = [[_word(w) for w in ws] for ws in line_words]
    stream = [hashes[i][j] for i, j in flat]
    marks = [[False] * len(ws) for ws in line_words]
    for k, run in enumerate(_runs(stream)):
        if run in known:
            for i, j in flat[k : k + SHINGLE]:
                marks[i][j] = True
    for i, hs in enumerate(hashes):
        if 0 < len(hs) < SHINGLE and _combine(_LINE, hs) in known:
            marks[i] = [True] * len(hs)
    for paragraph in _paragraphs(hashes):
        words_in = [h for i in paragraph for h in hashes[i]]
        if len(words_in) < SHINGLE and _combine(_LINE, words_in) in known:
            for i in paragraph:
                marks[i] = [True] * len(hashes[i])
    return marks


def clean(text: str, *, staff: set[int], internal: set[int], allowed: set[int]) -> Cleaned:
    """Drop the lines of `text` that are staff text; hold when internal text would remain.

    `staff`: prints of every staff mail of the ticket; `internal`: prints of the blocks that are
    private to the office (similar consultations, internal notes); `allowed`: prints of what the
    citizen wrote or already received, which may be quoted back to them."""
    lines = (text or "").split("\n")
    line_words = [words(_QUOTE_MARKS.sub("", line)) for line in lines]
    is_staff = _covered(line_words, staff)
    is_internal = _covered(line_words, internal)
    is_allowed = _covered(line_words, allowed)
    drop = [bool(ws) and all(is_staff[i]) and not all(is_allowed[i]) for i, ws in enumerate(line_words)]
    # Quote markers and rules between dropped lines carry nothing of the operator's.
    for i, line in enumerate(lines):
        if not line_words[i] and line.strip() and _RULE.fullmatch(line):
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(lines) and line_words[j]]
            drop[i] = not near or any(drop[j] for j in near) or line.lstrip().startswith(">")
    kept = [i for i in range(len(lines)) if not drop[i]]
    for i in kept:
        leaked = [w for w, s, a in zip(line_words[i], is_internal[i], is_allowed[i], strict=True) if s and not a]
        if leaked:
            shown = " ".join(leaked[:6])
            return Cleaned("", sum(drop), f"line {i + 1} repeats internal text ({shown} ...)", i + 1, shown)
    out = "\n".join(lines[i] for i in kept)
    out = re.sub(r"\n{3,}", "\n\n", out).strip("\n")
    return Cleaned(out.strip(), sum(drop))


CITIZEN_WORDS = ("received", "follow_up", "reply")  # what the citizen wrote, or already received
INTERNAL_EVENTS = ("note", "handover")  # text for staff only


def clean_reply(text: str, ticket: Ticket) -> Cleaned:
    """`clean` with the fingerprints the ticket remembers and the texts its events hold."""
    allowed: set[int] = set()
    internal = unpack(ticket.internal_prints)
    for event in ticket.events:
        body = str((event.data or {}).get("text", ""))
        if event.type in CITIZEN_WORDS:
            allowed |= prints(body)
        elif event.type in INTERNAL_EVENTS:
            internal |= prints(body)
    return clean(text, staff=unpack(ticket.staff_prints), internal=internal, allowed=allowed)
