"""Every mail the helpdesk writes: Jinja2 templates -> a threaded, loop-safe RFC 5322 message (stage 3).

Templates live in templates/ as `<name>.<lang>.txt` (first line `Subject: ...`, a blank line, then the
body) and optionally `<name>.<lang>.html` (autoescaped: what a citizen wrote is escaped there).
"""

from __future__ import annotations

import base64
import mimetypes
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import charset as _charset
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from ..model import OutgoingMail

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
# The message is assembled with the compat32 classes: the same MIME structure and headers as
# EmailMessage(policy=SMTP) gave, at a fifth of the cost (the header registry of the modern
# policy dominated the time of a whole ingest). Every header value still passes header_safe first.
_UTF8_QP = _charset.Charset("utf-8")
_UTF8_QP.body_encoding = _charset.QP
_CRLF = compat32.clone(linesep="\r\n")
_WORD_BYTES = 45           # 45 bytes -> 60 base64 characters: an encoded word stays within 75


def header_safe(text: str, limit: int = 200) -> str:
    """Text from outside made fit for a header: no CR, LF or control characters (CVE-2024-6923)."""
    return " ".join(_CONTROL.sub(" ", text or "").split())[:limit]


def mint_message_id(purpose: str, ticket: str, domain: str) -> str:
    """A Message-ID minted before sending: the outbox's idempotency key and the thread's anchor."""
    tag = ticket.lower() if ticket else "x"
    return f"<pst.{purpose}.{tag}.{secrets.token_hex(8)}@{domain}>"


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
    """Loads templates by name and language, falling back to Indonesian."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.env = Environment(loader=FileSystemLoader(str(self.dir)), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]), keep_trailing_newline=True,
                               trim_blocks=True, lstrip_blocks=True)

    def _name(self, name: str, lang: str, ext: str) -> str | None:
        for candidate in (f"{name}.{lang}.{ext}", f"{name}.id.{ext}"):
            if (self.dir / candidate).is_file():
                return candidate
        return None

    def render(self, name: str, lang: str, **context: Any) -> Rendered:
        text_name = self._name(name, lang, "txt")
        if text_name is None:
            raise TemplateError(f"template {name}.id.txt not found in {self.dir}")
        text = self.env.get_template(text_name).render(**context)
        first, _, body = text.partition("\n")
        if not first.lower().startswith("subject:"):
            raise TemplateError(f"{text_name}: first line must be 'Subject: ...'")
        html_name = self._name(name, lang, "html")
        html = self.env.get_template(html_name).render(**context) if html_name else None
        return Rendered(header_safe(first[8:], 250), body.lstrip("\n"), html)

    def check(self, names: Iterable[str]) -> list[str]:
        """Every problem with the templates: missing files and syntax errors, with file names."""
        problems = []
        for name in names:
            if self._name(name, "id", "txt") is None:
                problems.append(f"{self.dir}/{name}.id.txt: missing")
        for path in sorted(self.dir.glob("*.txt")) + sorted(self.dir.glob("*.html")):
            try:
                self.env.parse(path.read_text(encoding="utf-8"))
            except TemplateError as exc:
                problems.append(f"{path}: line {getattr(exc, 'lineno', '?')}: {exc}")
        return problems


def build_mail(*, office: str, from_addr: str, from_name: str, to: Sequence[str], subject: str,
               text: str, html: str | None, purpose: str, ticket: str = "", message_id: str,
               in_reply_to: str = "", references: Sequence[str] = (), reply_to: str = "",
               auto_submitted: str = "auto-replied", attachments: Sequence[FileAttachment] = (),
               now: datetime, cc: Sequence[str] = ()) -> OutgoingMail:
    """Assemble one outgoing message; every header value is sanitised here, in one place."""
    body: MIMEBase = _text_part(text, "plain")
    if html is not None:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    if attachments:
        body = _multipart("mixed", [body] + [_attachment(att) for att in attachments])
    msg = body
    msg["From"] = _address(header_safe(from_name, 100), from_addr)
    msg["To"] = ", ".join(header_safe(a, 254) for a in to)
    if cc:
        msg["Cc"] = ", ".join(header_safe(a, 254) for a in cc)
    if reply_to:
        msg["Reply-To"] = header_safe(reply_to, 254)
    msg["Subject"] = _text_header(header_safe(subject, 250))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = header_safe(in_reply_to, 998)
    refs = [header_safe(r, 998) for r in references if r]
    if refs:
        # Keep the first and the newest ids when a thread grows long (RFC 5322 3.6.4 advice).
        msg["References"] = " ".join(refs if len(refs) <= 10 else refs[:1] + refs[-9:])
    # RFC 3834: our mail is automatic or on behalf of a human; either way robots must not answer it.
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-PST-Helpdesk"] = header_safe(f"{office} {ticket}".strip(), 100)
    msg["MIME-Version"] = "1.0"
    return OutgoingMail(message_id=message_id, office=office, mail_from=from_addr,
                        recipients=list(to) + list(cc), raw=msg.as_string(policy=_CRLF), purpose=purpose,
                        ticket=ticket, created_at=now, next_attempt_at=now)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(text if text.endswith("\n") else text + "\n", _UTF8_QP)
    del part["MIME-Version"]
    return part


def _multipart(subtype: str, parts: list[MIMEBase]) -> MIMEMultipart:
    multi = MIMEMultipart(subtype, _subparts=parts)
    del multi["MIME-Version"]
    return multi


def _attachment(att: FileAttachment) -> MIMEBase:
    maintype, _, subtype = (att.content_type or "application/octet-stream").partition("/")
    if not subtype:
        guessed = mimetypes.guess_type(att.filename)[0] or "application/octet-stream"
        maintype, _, subtype = guessed.partition("/")
    part = MIMEBase(maintype, subtype)
    del part["MIME-Version"]
    part.set_payload(att.payload)
    encoders.encode_base64(part)
    name = header_safe(att.filename, 150) or "lampiran"
    part.add_header("Content-Disposition", "attachment",
                    filename=name if name.isascii() else ("utf-8", "", name))
    return part


def _text_header(value: str) -> str:
    """ASCII stays as it is (folded at spaces); anything else becomes RFC 2047 UTF-8 words.

    Encoded here, word by word, rather than by email.header.Header, whose line-splitting search
    costs more than the whole rest of a mail; the generator folds between the words."""
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


def _address(name: str, addr: str) -> str:
    return formataddr((name, addr), charset="utf-8") if name else addr
