"""HTML to plain text in time linear in the input, within a deadline (stage 1, inbound; pure).

libxml2's HTML parser (through lxml) reads the markup in 64 KB pieces and calls back for each
tag and each run of text; no tree is built. The regular expressions used before took time growing
with the square of the size on hostile markup (300 KB of `<script ` held the daemon 75 s), and the
standard library's html.parser of Python 3.11 does the same on unclosed tags and quotes. Between
pieces the deadline is looked at: past it, the text read so far is the text, and the caller says so.
"""

from __future__ import annotations

import re
import time

CHUNK = 64 * 1024
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "table",
        "ul",
        "ol",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "dl",
        "dt",
        "dd",
    }
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _Collector:
    """lxml parser target: visible text, with line breaks at block ends and "- " for list items."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.hidden = 0

    def start(self, tag: str, attrib: object) -> None:
        tag = str(tag).lower()
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in _BLOCKS:
            self.out.append("\n")

    def end(self, tag: str) -> None:
        tag = str(tag).lower()
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS and tag != "br":  # <br> is one break, not a block's two
            self.out.append("\n")

    def data(self, text: str) -> None:
        if not self.hidden:
            self.out.append(text)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> str:
        return "".join(self.out)


def html_to_text(markup: str, deadline: float | None = None) -> tuple[str, bool]:
    """(visible text, complete): `complete` is False when the deadline (time.monotonic()) cut it short."""
    from lxml import etree  # imported at the first HTML mail: the daemon starts without it

    target = _Collector()
    parser = etree.HTMLParser(target=target, recover=True, no_network=True, remove_comments=True)
    complete = True
    try:
        for start in range(0, len(markup), CHUNK):
            parser.feed(markup[start : start + CHUNK])
            # After the first piece: a mail read late in its budget still shows its beginning.
            if deadline is not None and start + CHUNK < len(markup) and time.monotonic() > deadline:
                complete = False
                break
        parser.close()
    except etree.Error:
        pass  # libxml2 gives up on some garbage; what the target collected is still the text
    text = target.close().replace("\xa0", " ")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip(), complete
