"""An operator's reply to a staff mail in the quoting styles mail clients use (test helper)."""

from __future__ import annotations

import html
import textwrap

from helpdesk.inbound.htmltext import html_to_text


def wrap(text: str, width: int) -> str:
    """Re-flow long lines, as Outlook and format=flowed clients do when quoting."""
    return "\n".join(textwrap.fill(line, width) if line else "" for line in text.split("\n"))


def quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


ATTRIBUTION = "Pada Sen, 23 Nov 2026 pukul 09.01 PST Helpdesk <bps3576@bps.go.id> menulis:"
OUTLOOK = (
    "________________________________\nFrom: PST Helpdesk <bps3576@bps.go.id>\n"
    "Sent: Monday, November 23, 2026 9:01 AM\nTo: Rina <rina@bps.go.id>\n"
    "Subject: [PST-3576-2026-000001] data\n"
)


def reply(style: str, staff: str, answers: list[str], width: int) -> str:
    """An operator's reply in one quoting style; the answer split in parts where it goes inline."""
    body = wrap(staff, width)
    parts = body.split("\n\n")
    if style == "top":
        return "\n\n".join(answers) + f"\n\n{ATTRIBUTION}\n{quoted(body)}\n"
    if style == "bottom":
        return f"{ATTRIBUTION}\n{quoted(body)}\n\n" + "\n\n".join(answers) + "\n"
    if style == "inline":
        mixed = [quoted(p) + "\n\n" + (answers[i] if i < len(answers) else "") for i, p in enumerate(parts)]
        return f"{ATTRIBUTION}\n" + "\n\n".join(mixed) + "\n\n--\nRina\n"
    if style == "outlook":
        return "\n\n".join(answers) + "\n\n" + OUTLOOK + "\n" + body + "\n"
    if style == "html":
        return html_to_text(reply_html(staff, answers, width))[0]
    raise ValueError(style)


def reply_html(staff: str, answers: list[str], width: int) -> str:
    """An HTML-only reply, answered between the blockquotes of the quoted mail (Gmail, Outlook)."""
    parts = wrap(staff, width).split("\n\n")
    blocks = [
        f"<blockquote>{'<br>'.join(html.escape(x) for x in p.split(chr(10)))}</blockquote>"
        + (f"<div>{html.escape(answers[i])}</div>" if i < len(answers) else "")
        for i, p in enumerate(parts)
    ]
    return "<html><body>" + "".join(blocks) + "</body></html>"


STYLES = ("top", "bottom", "inline", "outlook", "html")
