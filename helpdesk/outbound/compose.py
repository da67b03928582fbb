"""Every mail the helpdesk writes: Jinja2 templates -> a threaded, loop-safe RFC 5322 message (stage 3).

Templates ship in the package (helpdesk/templates/) as `<name>.<lang>.txt` (first line `Subject: ...`,
a blank line, then the body) and optionally `<name>.<lang>.html` (autoescaped: what a citizen wrote is
escaped there). An office's `templates_dir` overrides them file by file.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..defaults import TEMPLATES
from ..kinds import Purpose
from ..model import OutgoingMail

if TYPE_CHECKING:
    from jinja2 import Template

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
# The message text is written here directly: the same MIME structure and headers as
# EmailMessage(policy=SMTP) gave (quoted-printable UTF-8 text, an HTML alternative, base64
# attachments), at a tenth of the cost: the email package's header registry and generator took
# more time than all the rest of an ingest. Every header value passes header_safe first.
_CRLF = "\r\n"
_LINE = 78  # RFC 5322: lines should be at most 78 characters
_WORD_BYTES = 45  # 45 bytes -> 60 base64 characters: an encoded word stays within 75
_TOKEN = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}$")
RELOAD_SECONDS = 2.0  # an edited template is used from at most this long after the edit


def header_safe(text: str, limit: int = 200) -> str:
    """Text from outside made fit for a header: no CR, LF or control characters (CVE-2024-6923)."""
    text = text or ""
    if text.isascii() and text.isprintable() and "  " not in text:
        # Printable ASCII holds no control character and no whitespace but single spaces: the
        # substitution and the split would only strip its ends (ten header values a mail).
        return text.strip()[:limit]
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


class _RandomHex:
    """Unguessable hex digits, as secrets.token_hex gives them, from one os.urandom read per 4 KB.

    A mail needs two or three of them (its Message-ID, a MIME boundary, a notification's id); a
    system call for each released the interpreter's lock in the middle of the intake, which then
    waited for the other threads to hand it back. Every byte is handed out once; a forked child
    starts with an empty pool, so that parent and child never hand out the same bytes."""

    SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._used = b"", 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._pool, self._used = b"", 0

    def __call__(self, nbytes: int) -> str:
        with self._lock:
            if self._used + nbytes > len(self._pool):
                self._pool, self._used = os.urandom(max(self.SIZE, nbytes)), 0
            start = self._used
            self._used += nbytes
            return self._pool[start : start + nbytes].hex()


random_hex = _RandomHex()


def mint_message_id(purpose: str, ticket: str, domain: str) -> str:
    """A Message-ID minted before sending: the outbox's idempotency key and the thread's anchor."""
    tag = ticket.lower() if ticket else "x"
    return f"<pst.{purpose}.{tag}.{random_hex(8)}@{domain}>"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    content_type: str
    payload: bytes


class Templates:
    """Loads templates by name and language, falling back to Indonesian.

    A file in the office's `directory` wins over the packaged one of the same name, so an office
    may replace only its acknowledgement and keep every other text as shipped. The HTML
    alternative is only taken from the folder the text came from."""

    def __init__(self, directory: Path | None = None, cache_dir: Path | None = None, secret: str = "") -> None:
        # Jinja2 is imported with the first Templates, not with this module: build_mail alone
        # serves the daemon's start, the sending process and the store-reading commands.
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        from .templatecache import TemplateCache

        self.dirs = ([Path(directory)] if directory else []) + [TEMPLATES]
        self.env = Environment(
            loader=FileSystemLoader([str(d) for d in self.dirs]),
            # Compiled code kept between runs, signed with a key from the secret (outbound.templatecache);
            # without a folder or a secret, compiled every run.
            bytecode_cache=TemplateCache(cache_dir, secret) if cache_dir is not None and secret else None,
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._names: dict[tuple[str, str, str], str | None] = {}
        self._loaded: dict[str, tuple[Template, float]] = {}

    def _name(self, name: str, lang: str, ext: str) -> str | None:
        # Which files exist is looked up once (two stats per mail otherwise); an edited template is
        # still re-read (see `_template`), a template added or removed needs a restart.
        key = (name, lang, ext)
        if key not in self._names:
            found = next((c for c in (f"{name}.{lang}.{ext}", f"{name}.id.{ext}") if self.path(c) is not None), None)
            text = self._name(name, lang, "txt") if ext == "html" and found else None
            if text and self.path(found).parent != self.path(text).parent:  # type: ignore[arg-type, union-attr]
                found = None  # an office's own text with the packaged HTML would be two different mails
            self._names[key] = found
        return self._names[key]

    def path(self, filename: str) -> Path | None:
        """The file a template name is read from: the office's own, else the packaged one."""
        return next((d / filename for d in self.dirs if (d / filename).is_file()), None)

    def files(self) -> list[Path]:
        """Every template file in use, one per name (an override hides the packaged file)."""
        names = sorted({p.name for d in self.dirs for pattern in ("*.txt", "*.html") for p in d.glob(pattern)})
        return [p for p in map(self.path, names) if p is not None]

    def _template(self, name: str) -> Template:
        # Jinja stats the file on every get_template to see whether it was edited: three stats per
        # mail, a twentieth of the intake's time on this machine. Asking Jinja at most every
        # RELOAD_SECONDS still picks up an edit without a restart.
        now = time.monotonic()
        loaded = self._loaded.get(name)
        if loaded is None or now - loaded[1] >= RELOAD_SECONDS:
            template = self.env.get_template(name)
            # Its globals are a ChainMap over the environment's (range, dict, cycler...), copied
            # into a fresh dict at every render: two thirds of a render's time. Nothing adds
            # globals after the environment is made, so one flat copy holds the same names.
            template.globals = dict(template.globals)
            loaded = (template, now)
            self._loaded[name] = loaded
        return loaded[0]

    def render(self, name: str, lang: str, **context: Any) -> Rendered:
        from jinja2 import TemplateError

        text_name = self._name(name, lang, "txt")
        if text_name is None:
            raise TemplateError(f"template {name}.id.txt not found in {', '.join(map(str, self.dirs))}")
        text = self._template(text_name).render(**context)
        first, _, body = text.partition("\n")
        if not first.lower().startswith("subject:"):
            raise TemplateError(f"{text_name}: first line must be 'Subject: ...'")
        html_name = self._name(name, lang, "html")
        html = self._template(html_name).render(**context) if html_name else None
        return Rendered(header_safe(first[8:], 250), body.lstrip("\n"), html)

    def check(self, names: Iterable[str]) -> list[str]:
        """Every problem with the templates: missing files and syntax errors, with file names."""
        from jinja2 import TemplateError

        problems = []
        for name in names:
            if self._name(name, "id", "txt") is None:
                problems.append(f"{self.dirs[0]}/{name}.id.txt: missing")
        for path in self.files():
            try:
                # Compiled through the environment's cache: the sample renders of `check` that
                # follow reuse it instead of parsing every file a second time.
                self._template(path.name)
            except TemplateError as exc:
                problems.append(f"{path}: line {getattr(exc, 'lineno', '?')}: {exc}")
        return problems


def build_mail(
    *,
    office: str,
    from_addr: str,
    from_name: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    purpose: Purpose,
    ticket: str = "",
    message_id: str,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    reply_to: str = "",
    auto_submitted: str = "auto-replied",
    attachments: Sequence[FileAttachment] = (),
    now: datetime,
    cc: Sequence[str] = (),
) -> OutgoingMail:
    """Assemble one outgoing message; every header value is sanitised here, in one place."""
    part = _text_part(text, "plain")
    if html is not None:
        part = _multipart("alternative", [part, _text_part(html, "html")])
    if attachments:
        part = _multipart("mixed", [part] + [_attachment(att) for att in attachments])
    head = [
        _header("From", _address(header_safe(from_name, 100), from_addr)),
        _header("To", ", ".join(header_safe(a, 254) for a in to)),
    ]
    if cc:
        head.append(_header("Cc", ", ".join(header_safe(a, 254) for a in cc)))
    if reply_to:
        head.append(_header("Reply-To", header_safe(reply_to, 254)))
    head += [
        _header("Subject", _text_header(header_safe(subject, 250))),
        _header("Date", _date(now)),
        _header("Message-ID", header_safe(message_id, 998)),
    ]
    if in_reply_to:
        head.append(_header("In-Reply-To", header_safe(in_reply_to, 998)))
    refs = [header_safe(r, 998) for r in references if r]
    if refs:
        # Keep the first and the newest ids when a thread grows long (RFC 5322 3.6.4 advice).
        head.append(_header("References", " ".join(refs if len(refs) <= 10 else refs[:1] + refs[-9:])))
    # RFC 3834: our mail is automatic or on behalf of a human; either way robots must not answer it.
    head += [
        _header("Auto-Submitted", header_safe(auto_submitted, 100)),
        _header("X-Auto-Response-Suppress", "All"),
        _header("X-PST-Helpdesk", header_safe(f"{office} {ticket}".strip(), 100)),
        _header("MIME-Version", "1.0"),
    ]
    raw = "".join(head) + part[0] + _CRLF + part[1]
    return OutgoingMail(
        message_id=message_id,
        office=office,
        mail_from=from_addr,
        recipients=list(to) + list(cc),
        raw=raw,
        purpose=purpose,
        ticket=ticket,
        created_at=now,
        next_attempt_at=now,
    )


Part = tuple[str, str]  # (its header lines, its body), both CRLF-terminated


def _header(name: str, value: str) -> str:
    """One header line, folded at spaces so that lines stay within 78 characters where they can."""
    line = f"{name}: {value}"
    if len(line) <= _LINE:
        return line + _CRLF
    lines, current = [], f"{name}:"
    for word in value.split(" "):
        if not word:
            continue
        if len(current) + 1 + len(word) > _LINE and current != f"{name}:":
            lines.append(current)
            current = " " + word
        else:
            current += " " + word
    lines.append(current)
    return _CRLF.join(lines) + _CRLF


def _text_part(text: str, subtype: str) -> Part:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    body = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{_CRLF}Content-Transfer-Encoding: quoted-printable{_CRLF}',
        body.replace("\n", _CRLF),
    )


def _multipart(subtype: str, parts: list[Part]) -> Part:
    # "=_" never occurs in quoted-printable or base64 text: the boundary cannot collide.
    boundary = f"=_pst_{random_hex(12)}"
    body = "".join(f"--{boundary}{_CRLF}{head}{_CRLF}{text}{_CRLF}" for head, text in parts)
    return (f'Content-Type: multipart/{subtype};{_CRLF} boundary="{boundary}"{_CRLF}', f"{body}--{boundary}--{_CRLF}")


def _attachment(att: FileAttachment) -> Part:
    ctype = (att.content_type or "").strip().lower()
    if not _TOKEN.match(ctype):
        import mimetypes  # with the first attachment: it reads the system's type tables

        ctype = mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
    if ctype.partition("/")[0] in ("message", "multipart"):
        # RFC 2046 forbids base64 for these; a forwarded mail goes as the file it is.
        ctype = "application/octet-stream"
    name = header_safe(att.filename, 150) or "lampiran"
    if name.isascii():
        disposition = 'attachment; filename="{}"'.format(name.replace("\\", "\\\\").replace('"', '\\"'))
    else:
        disposition = "attachment; filename*=utf-8''" + quote(name, safe="")
    body = base64.encodebytes(att.payload).decode("ascii").replace("\n", _CRLF)
    return (
        f"Content-Type: {ctype}{_CRLF}Content-Transfer-Encoding: base64{_CRLF}"
        + _header("Content-Disposition", disposition),
        body,
    )


def _text_header(value: str) -> str:
    """ASCII stays as it is (folded at spaces); anything else becomes RFC 2047 UTF-8 words.

    Encoded word by word (email.header.Header's line-splitting search cost more than the whole
    rest of a mail); `_header` folds between the words."""
    if value.isascii() and "=?" not in value:
        return value
    words, chunk = [], b""
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


@lru_cache(maxsize=1024)
def _address(name: str, addr: str) -> str:
    # Cached: the From of an office's mail is always one of a few (its name and address).
    from email.utils import formataddr

    return formataddr((name, addr), charset="utf-8") if name else addr


_last_date: tuple[tuple[float, object], str] = ((0.0, None), "")


def _date(now: datetime) -> str:
    """format_datetime(now), computed once per second and zone: the mails of a batch share it."""
    global _last_date
    # The header shows whole seconds of the local time: the second of the instant and the
    # offset decide it.
    key = (now.timestamp() // 1, now.utcoffset())
    last = _last_date
    if last[0] != key:
        # email.utils is imported with the first mail built, not with the templates (`helpdesk check`).
        from email.utils import format_datetime

        last = _last_date = (key, format_datetime(now))
    return last[1]


def without_attachments(raw: str) -> str:
    """The same mail with only its text (a server refused it for size): a multipart/mixed keeps its
    first part, the text and HTML the helpdesk wrote; the headers, Message-ID included, stay."""
    import email

    msg = email.message_from_string(raw)
    if msg.get_content_type() != "multipart/mixed" or not msg.is_multipart():
        return raw
    parts = msg.get_payload()
    assert isinstance(parts, list)  # multipart: its parts
    msg.set_payload(parts[:1])
    return msg.as_string()
