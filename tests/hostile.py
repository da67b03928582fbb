"""Hostile mail for tests and benchmarks: pathological HTML, MIME nested past any sense (test helper)."""

from __future__ import annotations

PREFIX = (
    b"From: Warga <warga@example.org>\r\nTo: bps3576@bps.go.id\r\n"
    b"Subject: Permintaan data kemiskinan\r\nMessage-ID: <%s>\r\n"
    b"Date: Mon, 23 Nov 2026 09:00:00 +0700\r\nMIME-Version: 1.0\r\n"
)


def hostile_html(size: int, message_id: str = "hostile@example.org", pattern: str = "<p>x") -> bytes:
    """An HTML-only mail of about `size` bytes: a sentence, then `pattern` over and over."""
    body = "<html><body><p>Mohon data inflasi 2025.</p>" + pattern * (size // len(pattern))
    return (PREFIX % message_id.encode()).replace(b"kemiskinan", b"inflasi") + (
        b"Content-Type: text/html; charset=us-ascii\r\n\r\n" + body.encode() + b"\r\n"
    )


def deep_mime(levels: int, message_id: str = "deep@example.org", bottom_text: str = "dasar") -> bytes:
    """multipart/mixed: the citizen's text first, then `levels` multiparts nested one in another."""
    parts = [
        PREFIX % message_id.encode(),
        b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n',
        b"--b0\r\nContent-Type: text/plain\r\n\r\nMohon data kemiskinan Kota Mojokerto.\r\n--b0\r\n",
    ]
    for i in range(1, levels + 1):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    parts.append(b"Content-Type: text/plain\r\n\r\n" + bottom_text.encode() + b"\r\n")
    for i in range(levels, -1, -1):
        parts.append(b"--b%d--\r\n" % i)
    return b"".join(parts)
