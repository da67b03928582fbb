"""What a routing rule may test: small named classes that say why they fired (stage 4, pure).

Registered by name in `MATCHERS` (explicitly, never by import side effects); rules.py builds them
from `when.<name> = value` and reports a bad value with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import InboundMail

BODY_LIMIT = 20_000  # characters of a body searched: a question is short, a pasted table is not
COMPLAINT_WORDS = (
    "pengaduan",
    "aduan",
    "mengadu",
    "keluhan",
    "mengeluh",
    "komplain",
    "complaint",
    "complain",
)


class RuleError(ValueError):
    """A rule value that cannot work; the loader adds file and line."""


@dataclass(frozen=True)
class MailView:
    """The facts of a mail that rules may look at, lower-cased once."""

    office: str
    recipients: tuple[str, ...]
    sender: str
    subject: str
    body: str
    attachments: tuple[tuple[str, str], ...]  # (filename lower-case, content type)
    language: str
    _folded: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def folded(self, name: str) -> str | None:
        """A field lower-cased when it is ASCII, else None (see `WordsPattern`); once per mail."""
        if name not in self._folded:
            value: str = getattr(self, name)
            self._folded[name] = value.lower() if value.isascii() else None
        return self._folded[name]

    @classmethod
    def of(cls, mail: InboundMail, office: str) -> MailView:
        return cls(
            office=office,
            recipients=tuple(a.lower() for a in mail.to + mail.cc),
            sender=mail.from_addr.lower(),
            subject=mail.subject,
            body=mail.text[:BODY_LIMIT],
            attachments=tuple((a.filename.lower(), a.content_type.lower()) for a in mail.attachments),
            language=mail.language,
        )


def _strings(value: Any, what: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise RuleError(f"expected {what} or a non-empty list of them, got {value!r}")
    return tuple(v.strip() for v in values)


# Indonesian inflects by suffix ("kemiskinannya", "inflasinya"); English plurals too. Only these
# may follow a word, so "impor" does not fire inside "important" nor "inflasi" inside "deflasi".
SUFFIXES = ("nya", "kan", "an", "i", "lah", "kah", "pun", "s", "es")


class WordsPattern:
    """Words, each also with one of the SUFFIXES, as whole words in any case.

    `search` finds what `pattern` finds, at a fraction of its cost (a tenth of a millisecond a mail
    for the seed rules): the pattern tries itself at every position of the text. For ASCII words
    in ASCII text, where IGNORECASE matching is exactly matching in lower case, `search` first
    asks whether the lower-cased text holds the longest piece of any word at all (a substring
    test), and only then searches it with the lower-cased words, case-sensitively and without the
    look-behind, checking the character before a hit itself (the engine skips to the words' first
    letters in C)."""

    def __init__(self, words: Iterable[str]) -> None:
        ordered = sorted(words, key=len, reverse=True)
        self.pattern = self._compile(ordered, re.IGNORECASE, r"(?<!\w)")
        self.fast: re.Pattern[str] | None = None
        self.keys: tuple[str, ...] = ()
        if all(w.isascii() for w in ordered):
            lower = [w.lower() for w in ordered]
            self.fast = self._compile(lower, 0, "")
            self.keys = tuple(dict.fromkeys(max(w.split(" "), key=len) for w in lower))

    @staticmethod
    def _compile(words: list[str], flags: int, before: str) -> re.Pattern[str]:
        # A phrase matches across any run of spaces or a line break ("indeks  harga", wrapped text).
        alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
        return re.compile(rf"{before}(?:{alternatives})(?:{'|'.join(SUFFIXES)})?(?!\w)", flags)

    def search(self, text: str, folded: str | None) -> str | None:
        """The first whole-word hit in `text` as written there, or None; `folded` is
        `text.lower()` when `text` is ASCII (MailView.folded), else None."""
        if self.fast is None or folded is None:
            m = self.pattern.search(text)
            return m.group(0) if m else None
        for key in self.keys:  # a plain loop: a generator for any() cost more than the tests
            if key in folded:
                break
        else:
            return None
        hit = self.fast.search(folded)
        while hit is not None and hit.start() and _word_char(folded[hit.start() - 1]):
            hit = self.fast.search(folded, hit.start() + 1)
        return text[hit.start() : hit.end()] if hit else None


def _word_char(char: str) -> bool:
    """What `\\w` matches (str patterns): letters, digits and the underscore."""
    return char.isalnum() or char == "_"


class Matcher:
    """One condition of a rule; `check` returns why it fired, or None."""

    NAME = "matcher"

    def __init__(self, value: Any) -> None:
        raise NotImplementedError

    def check(self, mail: MailView) -> str | None:
        raise NotImplementedError


class OfficeCode(Matcher):
    NAME = "office"

    def __init__(self, value: Any) -> None:
        self.codes = _strings(value, "an office code")

    def check(self, mail: MailView) -> str | None:
        return f"office is {mail.office}" if mail.office in self.codes else None


class Recipient(Matcher):
    NAME = "recipient"

    def __init__(self, value: Any) -> None:
        self.addresses = tuple(a.lower() for a in _strings(value, "an address"))

    def check(self, mail: MailView) -> str | None:
        hit = next((a for a in mail.recipients if a in self.addresses), None)
        return f"sent to {hit}" if hit else None


class Sender(Matcher):
    NAME = "sender"

    def __init__(self, value: Any) -> None:
        self.addresses = tuple(a.lower() for a in _strings(value, "an address"))

    def check(self, mail: MailView) -> str | None:
        return f"sender is {mail.sender}" if mail.sender in self.addresses else None


class SenderDomain(Matcher):
    """A domain matches itself and its subdomains: "go.id" covers "jatimprov.go.id"."""

    NAME = "sender_domain"

    def __init__(self, value: Any) -> None:
        self.domains = tuple(d.lower().lstrip("@.") for d in _strings(value, "a domain"))

    def check(self, mail: MailView) -> str | None:
        domain = mail.sender.rpartition("@")[2]
        hit = next((d for d in self.domains if domain == d or domain.endswith("." + d)), None)
        return f"sender domain {domain} is under {hit}" if hit and domain else None


class _Words(Matcher):
    FIELDS: tuple[str, ...] = ()

    def __init__(self, value: Any) -> None:
        self.words = WordsPattern(_strings(value, "a word"))

    def check(self, mail: MailView) -> str | None:
        for name in self.FIELDS:
            hit = self.words.search(getattr(mail, name), mail.folded(name))
            if hit is not None:
                return f"{name} contains {hit!r}"
        return None


class SubjectWords(_Words):
    NAME, FIELDS = "subject_words", ("subject",)


class BodyWords(_Words):
    NAME, FIELDS = "body_words", ("body",)


class Words(_Words):
    NAME, FIELDS = "words", ("subject", "body")


class _Regex(Matcher):
    FIELDS: tuple[str, ...] = ()

    def __init__(self, value: Any) -> None:
        if not isinstance(value, str) or not value:
            raise RuleError(f"expected a regular expression, got {value!r}")
        try:
            self.pattern = re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"bad regular expression {value!r}: {exc}") from None

    def check(self, mail: MailView) -> str | None:
        for name in self.FIELDS:
            m = self.pattern.search(getattr(mail, name))
            if m:
                return f"{name} matches /{self.pattern.pattern}/ at {m.group(0)[:40]!r}"
        return None


class SubjectRegex(_Regex):
    NAME, FIELDS = "subject_regex", ("subject",)


class BodyRegex(_Regex):
    NAME, FIELDS = "body_regex", ("body",)


class Attachment(Matcher):
    """`attachment = true`: has one; `false`: has none."""

    NAME = "attachment"

    def __init__(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise RuleError(f"expected true or false, got {value!r}")
        self.wanted = value

    def check(self, mail: MailView) -> str | None:
        has = bool(mail.attachments)
        if has != self.wanted:
            return None
        return f"{len(mail.attachments)} attachment(s)" if has else "no attachment"


class AttachmentType(Matcher):
    """ "pdf" or ".pdf" (extension), "application/pdf" (type), "image/*" (any image)."""

    NAME = "attachment_type"

    def __init__(self, value: Any) -> None:
        self.types = tuple(t.lower() for t in _strings(value, "a type"))

    def _fits(self, filename: str, ctype: str, wanted: str) -> bool:
        if "/" in wanted:
            return ctype.startswith(wanted[:-1]) if wanted.endswith("/*") else ctype == wanted
        return filename.endswith("." + wanted.lstrip("."))

    def check(self, mail: MailView) -> str | None:
        for filename, ctype in mail.attachments:
            hit = next((w for w in self.types if self._fits(filename, ctype, w)), None)
            if hit:
                return f"attachment {filename!r} ({ctype}) is {hit}"
        return None


class Language(Matcher):
    NAME = "language"

    def __init__(self, value: Any) -> None:
        self.languages = tuple(v.lower() for v in _strings(value, "a language code (id, en)"))

    def check(self, mail: MailView) -> str | None:
        return f"language is {mail.language}" if mail.language in self.languages else None


class Complaint(Matcher):
    """Complaints (pengaduan) have their own channel and must not drown among data questions."""

    NAME = "complaint"
    WORDS = WordsPattern(COMPLAINT_WORDS)

    def __init__(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise RuleError(f"expected true or false, got {value!r}")
        self.wanted = value

    def check(self, mail: MailView) -> str | None:
        hit = self.WORDS.search(mail.subject, mail.folded("subject"))
        if hit is None:
            hit = self.WORDS.search(mail.body, mail.folded("body"))
        if (hit is not None) != self.wanted:
            return None
        return f"looks like a complaint ({hit!r})" if hit is not None else "does not look like a complaint"


MATCHERS: dict[str, type[Matcher]] = {
    m.NAME: m
    for m in (
        OfficeCode,
        Recipient,
        Sender,
        SenderDomain,
        SubjectWords,
        BodyWords,
        Words,
        SubjectRegex,
        BodyRegex,
        Attachment,
        AttachmentType,
        Language,
        Complaint,
    )
}
