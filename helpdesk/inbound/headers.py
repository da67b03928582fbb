"""Header values made safe: RFC 2047, control characters, Message-IDs, strict From (stage 1, inbound; pure).

Every function here accepts whatever a hostile or broken mail carries and returns plain text; none
of them raises on bad input.
"""

from __future__ import annotations

import binascii
import logging
import quopri
import re
from email.utils import getaddresses

log = logging.getLogger(__name__)

# Candidates for text that carries no usable charset: UTF-8 is self-checking, so try it first; the
# Windows code page is what Outlook on Indonesian Windows writes; Latin-1 never fails.
FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
# Labels that mean "the Windows superset" in practice (WHATWG maps these to windows-1252).
_CP1252_ALIASES = {
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "iso8859-1",
    "latin1",
    "latin-1",
    "iso_8859-1",
    "windows-1252",
    "cp1252",
    "x-user-defined",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([qQbB])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"\s+")
_MSG_ID = re.compile(r"<([^<>\s]{1,900})>")
# The forms nearly every mail uses, `Name Words <local@domain>` and `local@domain`, with nothing
# that needs RFC 5322's parser (no quotes, comments, encoded words, dots or runs of spaces in the
# name): read with one regular expression. getaddresses reads them alike, strict or not, at a
# twentieth of the cost; anything else goes to it (tests/unit/inbound/test_headers_fast.py).
_ATOMS = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_PLAIN_ADDRESS = re.compile(
    rf"(?:([A-Za-z0-9]+(?: [A-Za-z0-9]+)*) <({_ATOMS}@{_ATOMS})>|({_ATOMS}@{_ATOMS}))(?:, ?(?=\S)|$)"
)


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Decode bytes by the declared charset, else utf-8, windows-1252, latin-1; returns (text, problem)."""
    label = (charset or "").strip().strip('"').lower()
    problem = ""
    if label and label not in _CP1252_ALIASES:
        try:
            return data.decode(label), ""
        except LookupError:
            problem = f"unknown charset {label[:40]!r}"
        except (UnicodeError, ValueError):
            problem = f"bytes invalid in declared charset {label[:40]!r}"
    if label in _CP1252_ALIASES and label not in ("us-ascii", "ascii"):
        # Declared Latin-1 is nearly always cp1252 in practice (curly quotes in 0x80-0x9f).
        candidates: tuple[str, ...] = ("windows-1252", "latin-1")
    else:
        candidates = FALLBACK_CHARSETS
    for name in candidates:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if name != candidates[0] or problem:
            problem = f"{problem or 'undeclared 8-bit'}; decoded as {name}"
        return text, problem
    return data.decode("latin-1"), problem  # unreachable: latin-1 maps every byte


def unescape_surrogates(value: str) -> str:
    """Header text read by the compat32 parser keeps raw 8-bit bytes as surrogates: decode them."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return decode_bytes(data)[0]


def _decode_word(charset: str, encoding: str, text: str) -> bytes:
    if encoding in "bB":
        text += "=" * (-len(text) % 4)
        try:
            return binascii.a2b_base64(text.encode("ascii", "replace"))
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=False)


def decode_words(value: str) -> str:
    """RFC 2047: decode encoded words; adjacent words in one charset are joined before decoding."""
    value = unescape_surrogates(value)
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0

    def flush() -> None:
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset)[0])
            pending.clear()

    for m in _ENCODED_WORD.finditer(value):
        gap = value[pos : m.start()]
        # Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2).
        if gap and not (pending and _BETWEEN_WORDS.fullmatch(gap)):
            flush()
            out.append(gap)
        charset = m.group(1).lower()
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(_decode_word(charset, m.group(2), m.group(3)))
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def clean(value: str, limit: int = 998) -> str:
    """One line of display text: control characters (CR, LF, NUL...) to spaces, whitespace collapsed."""
    if value.isascii() and value.isprintable() and "  " not in value:
        # Nearly every value: printable ASCII holds no control character and no whitespace but
        # the space, so the two substitutions below would change nothing.
        return value.strip()[:limit]
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()[:limit]


def header_text(value: str | None, limit: int = 998) -> str:
    """A decoded, single-line header value; "" for None."""
    if value is None:
        return ""
    return clean(decode_words(str(value)), limit)


def normalise_id(value: str | None) -> str:
    """The first Message-ID in a header as "<...>", or "" when there is none."""
    if not value:
        return ""
    value = clean(unescape_surrogates(str(value)))
    m = _MSG_ID.search(value)
    if m:
        return f"<{m.group(1)}>"
    # Some clients omit the angle brackets; accept a bare id only when it is one token with an @.
    token = value.strip()
    if token and " " not in token and "@" in token and len(token) <= 900:
        return f"<{token.strip('<>')}>"
    return ""


def id_list(value: str | None) -> list[str]:
    """All Message-IDs in a References-like header, in order, without duplicates."""
    if not value:
        return []
    ids: list[str] = []
    for m in _MSG_ID.finditer(clean(unescape_surrogates(str(value)), 20000)):
        ident = f"<{m.group(1)}>"
        if ident not in ids:
            ids.append(ident)
    return ids


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def plain_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """(name, address) of each address when every value is a list of plain ones, else None."""
    found: list[tuple[str, str]] = []
    for value in values:
        pos, end = 0, len(value)
        if not end:
            return None
        while pos < end:
            m = _PLAIN_ADDRESS.match(value, pos)
            if m is None:
                return None
            found.append((m[1] or "", m[2] or m[3]))
            pos = m.end()
    return found


def _strict_getaddresses(values: list[str]) -> list[tuple[str, str]]:
    """getaddresses(strict=True) from Python >= 3.11.10, reimplemented where it is missing."""
    plain = plain_addresses(values)
    if plain is not None:
        return plain
    try:
        return getaddresses(values, strict=True)  # type: ignore[call-arg]
    except TypeError:
        pass
    if not all(_balanced(v) for v in values):
        return [("", "")]
    result = getaddresses(values)
    # As in CPython's strict mode: each comma outside a quoted name separates one address.
    expected = sum(1 + re.sub(r'"(?:\\.|[^"\\])*"', "", v).count(",") for v in values)
    if len(result) != expected or any("[" in a for _, a in result):
        return [("", "")]
    return result


def ascii_address(addr: str) -> str:
    """`addr` lower-cased with an internationalised domain in its IDNA (xn--) form; "" when unusable.

    Our SMTP client speaks plain SMTP, not SMTPUTF8: an address with a non-ASCII domain made
    aiosmtplib raise UnicodeEncodeError at RCPT and stopped the whole outbox. The punycode form
    reaches the same mailbox; a non-ASCII local part has no ASCII form, so it is no reply address.
    """
    if "=?" in addr:
        # Not allowed by RFC 2047, but Python's own generator writes an IDN domain this way.
        addr = decode_words(addr)
    local, at, domain = clean(addr).lower().rpartition("@")
    if not at or not local or not domain:
        return ""
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return f"{local}@{domain}" if local.isascii() else ""


def addresses(values: list[str]) -> list[str]:
    """Lower-case ASCII addresses of address headers, in order, without duplicates or non-addresses."""
    out: list[str] = []
    values = [clean(unescape_surrogates(v), 20000) for v in values]
    plain = plain_addresses(values)
    for _, addr in getaddresses(values) if plain is None else plain:
        addr = ascii_address(addr) if "@" in addr else ""
        if addr and addr not in out:
            out.append(addr)
    return out


def parse_from(values: list[str]) -> tuple[str, str, bool]:
    """From read strictly: (address, display name, trusted form)."""
    values = [clean(unescape_surrogates(v), 2000) for v in values]
    if not values:
        return "", "", False
    strict = [(n, a) for n, a in _strict_getaddresses(values) if a or n]
    if len(values) == 1 and len(strict) == 1 and strict[0][1].count("@") == 1:
        name, addr = strict[0]
        name = header_text(name, 200)
        # A display name that holds an address is how a forger shows "ops@bps.go.id" to a human.
        trusted = "@" not in name and "<" not in name and ">" not in name and " " not in addr
        addr = ascii_address(addr)
        return addr, name, trusted and bool(addr)
    # Not one well-formed address: keep the actual address only when there is exactly one.
    lax = [(n, a) for n, a in getaddresses(values) if "@" in a]
    angle = [a for v in values for a in re.findall(r"<([^<>\s]+@[^<>\s]+)>", v)]
    if len(angle) == 1:
        name = next((n for n, a in lax if a == angle[0]), "")
        return ascii_address(angle[0]), header_text(name, 200), False
    if len(lax) == 1:
        return ascii_address(lax[0][1]), header_text(lax[0][0], 200), False
    return "", "", False


def safe_filename(name: str | None, index: int) -> str:
    """A sender's filename fit for display only: basename, no control characters, at most 150 chars."""
    name = decode_words(name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = clean(name).strip(". ")
    name = name.replace(":", "_")
    if not name:
        return f"lampiran-{index}"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 149 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:150]
    return name
