"""An answer made fit for another reader: only its substance, no one's personal data (insight; pure).

A past answer offered to another citizen (the acknowledgement's suggestions) or to an operator
(the notification's similar consultations) was written to one person. Before it is shown to anyone
else this removes: the salutation and the requester's name, NIK/KK numbers (16 digits), phone
numbers (Indonesian mobile and landline forms), e-mail addresses, and the requester's question
quoted in it. What is removed inside a sentence is shown as REMOVED, so a reader sees that
something was there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..outbound import staffcopy

REMOVED = "[...]"

# "Yth. Bapak Bambang," "Kepada Yth. Ibu Sari Dewi," "Dear Mr. Smith," "Halo Pak Budi!" "Selamat
# pagi Bapak/Ibu," : a greeting up to its comma, colon, exclamation mark or line end.
_SALUTATION = re.compile(
    r"^[ \t]*(?:kepada[ \t]+)?(?:yth\.?|yang[ \t]+terhormat|dear|hai|halo|hello|hi|assalamu\S*"
    r"|selamat[ \t]+(?:pagi|siang|sore|malam))\b[^\n,:!]{0,80}[,:!]?[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# A title followed by capitalised words: "Bapak Bambang Sutrisno", "Ibu Sari", "Sdr. Budi".
_TITLED_NAME = re.compile(
    r"\b(?:Bapak|Bpk\.?|Pak|Ibu|Bu|Sdr\.?|Sdri\.?|Saudara|Saudari|Mr\.?|Mrs\.?|Ms\.?)"
    r"[ \t]+(?:[A-Z][\w'.-]*(?:[ \t]+[A-Z][\w'.-]*){0,3})"
)
_NIK = re.compile(r"(?<!\d)(?:\d[ .-]?){15}\d(?!\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+62|62|0)[ .-]?8\d{1,3}(?:[ .-]?\d{2,4}){2,3}"  # mobile: 0812-3456-7890
    r"|\(0\d{2,3}\)[ .-]?\d{3,4}[ .-]?\d{2,4}"  # (0321) 321765
    r"|(?:\+62|0)\d{2,3}[ -]\d{5,8})(?!\w)"
)  # 0321-321765
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _names(names: Iterable[str]) -> list[re.Pattern[str]]:
    """The requester's whole name and each of its words of 3 letters or more, as whole words."""
    out = []
    for name in names:
        name = " ".join(str(name or "").split())
        parts = [name] + [w for w in name.split() if len(w) >= 3]
        out += [re.compile(rf"(?<!\w){re.escape(p)}(?!\w)", re.IGNORECASE) for p in parts if p]
    return out


def scrub(answer: str, *, names: Iterable[str] = (), question: str = "", keep_addresses: Iterable[str] = ()) -> str:
    """The substance of `answer`, without greeting, names, NIK/KK, phones, e-mails or question."""
    text = str(answer or "")
    if question.strip():
        # Lines that only repeat the question (quoted or not) go whole.
        text = staffcopy.clean(text, staff=staffcopy.prints(question), internal=set(), allowed=set()).text
    keep = {a.lower() for a in keep_addresses}
    text = _SALUTATION.sub("", text)
    text = _EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() in keep else REMOVED, text)
    text = _NIK.sub(REMOVED, text)
    text = _PHONE.sub(REMOVED, text)
    text = _TITLED_NAME.sub(REMOVED, text)
    for pattern in _names(names):
        text = pattern.sub(REMOVED, text)
    text = re.sub(rf"(?:{re.escape(REMOVED)}[ \t,]*)+(?={re.escape(REMOVED)})", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip(" \t\n,")


def clip(text: str, limit: int) -> str:
    """`text` whole when it fits `limit` characters, else cut at a word boundary and marked " [...]"."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip() + " " + REMOVED


def excerpt(text: str, limit: int) -> str:
    """Whitespace folded, cut at a word boundary before `limit` characters."""
    return clip(" ".join(text.split()), limit)
