"""Only what the operator newly wrote: quotes, reply headers and signatures removed (stages 3 and 5, pure).

The body is cut at the first mark of quoted or appended text that a mail client writes (an
attribution line, an Outlook header block, a phone footer, a "-- " signature delimiter); a trailing
run of "> " lines goes too. When nothing stands above an attribution (bottom-posting or inline
answers) the attribution and the quote right under it go and the rest is read again. Signatures
without a delimiter stay: better to send a "Salam," than lose an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FLAGS = re.IGNORECASE

# Gmail, Thunderbird, Apple Mail, Yahoo, K-9 (en): "On Mon, 21 Dec 2026 at 10:00, X <x@y> wrote:",
# "On 21/12/2026 10:00, X wrote:", "On Dec 21, 2026, at 10:00, X wrote:". Gmail wraps long ones.
_ATTRIBUTION_EN = re.compile(r"On\s(?=.*\d).{4,300}\swrote\s?:", _FLAGS)
# The same clients in Indonesian: "Pada tanggal Sen, 21 Des 2026 10.00, X menulis:",
# "Pada Sen, 21 Des 2026 pukul 10.00 X <x@y> menulis:", "Pada 21/12/2026 10.00, X menulis:".
_ATTRIBUTION_ID = re.compile(r"Pada\s(?=.*\d).{4,300}\smenulis\s?:", _FLAGS)

# Outlook desktop, Samsung Email, Thunderbird (reply with headers): "-----Original Message-----",
# "-----Pesan Asli-----", "-------- Original message --------".
_ORIGINAL_MESSAGE = re.compile(r"-{2,}\s*(Original Message|Pesan Asli)\s*-{2,}", _FLAGS)
# Outlook web (and new Outlook): a rule of underscores right above the "From:" block.
_UNDERSCORE_RULE = re.compile(r"_{10,}")
# Outlook desktop/web, Samsung Email header block, en and id; "*From:*" when rendered from HTML.
_HEADER_FROM = re.compile(r"\*?(From|Dari)\s?:\*?\s.*\S", _FLAGS)
_HEADER_DATE = re.compile(r"\*?(Sent|Date|Dikirim|Tanggal|Terkirim)\s?:\*?(\s.*)?", _FLAGS)
_HEADER_OTHER = re.compile(r"\*?(To|Cc|Subject|Kepada|Ke|Perihal|Subjek|Tembusan)\s?:\*?(\s.*)?", _FLAGS)

# Phone and webmail footers: iPhone/iPad, Samsung, Huawei, Yahoo Mail, Outlook mobile, Windows Mail.
_PHONE_FOOTER = re.compile(
    r"(Sent from (my |Yahoo Mail|Mail for Windows|Outlook|Samsung|Gmail|Huawei|Xiaomi)"
    r"|Sent via (the )?Samsung"
    r"|Dikirim dari (iPhone|iPad|ponsel|perangkat|Yahoo|Samsung|Surel|Email|Mail|Outlook|Gmail"
    r"|Huawei|Xiaomi|Android|HP)"
    r"|(Get|Dapatkan) Outlook (for|untuk) (Android|iOS))"
    r"[^\n]{0,80}",
    _FLAGS,
)

# RFC 3676 signature delimiter "-- "; many clients drop the trailing space.
_SIGNATURE = re.compile(r"--[ \t]?")
# Any client: a quoted line.
_QUOTED = re.compile(r"\s{0,3}>")

_LOOKAHEAD = 6  # lines an Outlook header block may span after "From:"


def _next_nonblank(lines: list[str], i: int) -> int | None:
    for j in range(i, min(len(lines), i + 3)):
        if lines[j].strip():
            return j
    return None


def _attribution(lines: list[str], i: int) -> int:
    """Number of lines (1 or 2) of an attribution starting at line i, 0 if none."""
    line = lines[i].strip()
    if not re.match(r"(On|Pada)\s", line, _FLAGS):
        return 0
    candidates = [(line, 1)]
    if i + 1 < len(lines) and lines[i + 1].strip():  # Gmail wraps long attributions once
        candidates.append((f"{line} {lines[i + 1].strip()}", 2))
    for text, span in candidates:
        if _ATTRIBUTION_EN.fullmatch(text) or _ATTRIBUTION_ID.fullmatch(text):
            return span
    return 0


def _header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style "From: / Sent: / To: / Subject:" block starts at line i."""
    if not _HEADER_FROM.fullmatch(lines[i].strip()):
        return False
    following = [line.strip() for line in lines[i + 1 : i + 1 + _LOOKAHEAD]]
    return any(_HEADER_DATE.fullmatch(line) for line in following) and any(
        _HEADER_OTHER.fullmatch(line) for line in following
    )


def _is_rule_before_headers(lines: list[str], i: int) -> bool:
    if not _UNDERSCORE_RULE.fullmatch(lines[i].strip()):
        return False
    j = _next_nonblank(lines, i + 1)
    return j is not None and _header_block(lines, j)


# Each detector says whether line i starts appended text; the kind decides what happens when
# nothing is above it.
_CUTS: tuple[tuple[str, Callable[[list[str], int], bool]], ...] = (
    ("attribution", lambda lines, i: _attribution(lines, i) > 0),
    ("original", lambda lines, i: bool(_ORIGINAL_MESSAGE.fullmatch(lines[i].strip()))),
    ("original", _is_rule_before_headers),
    ("original", _header_block),
    ("footer", lambda lines, i: bool(_PHONE_FOOTER.fullmatch(lines[i].strip()))),
    ("signature", lambda lines, i: bool(_SIGNATURE.fullmatch(lines[i].rstrip("\n")))),
)


def _first_cut(lines: list[str]) -> tuple[int, str] | None:
    for i in range(len(lines)):
        for kind, detect in _CUTS:
            if detect(lines, i):
                return i, kind
    return None


def _trim(lines: list[str]) -> list[str]:
    """Drop blank lines at both ends and a trailing run of quoted lines (with blanks among them)."""
    end = len(lines)
    while True:
        while end and not lines[end - 1].strip():
            end -= 1
        last = lines[end - 1] if end else ""
        if last and (_QUOTED.match(last) or _UNDERSCORE_RULE.fullmatch(last.strip())):
            end -= 1
            continue
        break
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    return lines[start:end]


def _strip_lines(lines: list[str], depth: int = 0) -> list[str]:
    cut = _first_cut(lines)
    if cut is None:
        return _trim(lines)
    i, kind = cut
    head = _trim(lines[:i])
    if head or kind != "attribution" or depth > 3:
        return head
    # Nothing above an attribution: the operator answered below or between the quotes.
    j = i + _attribution(lines, i)
    while j < len(lines) and (not lines[j].strip() or _QUOTED.match(lines[j])):
        j += 1
    return _strip_lines(lines[j:], depth + 1)


def new_text(body: str) -> str:
    """The text the operator newly wrote in a reply, without quotes, reply headers or signature."""
    if not isinstance(body, str) or not body:
        return ""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_strip_lines(lines))
