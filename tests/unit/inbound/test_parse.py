"""parse(): every corpus sample read field by field, and no input bytes ever raise (stage 1)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.inbound.headers import decode_words, normalise_id, safe_filename
from helpdesk.inbound.htmltext import html_to_text
from helpdesk.inbound.parse import minted_id, parse

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def load(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def mail(name: str):
    return parse(load(name), NOW)


@pytest.mark.parametrize(
    "name, field, expected",
    [
        ("plain_id.eml", "message_id", "<CAF1plain0001@mail.gmail.com>"),
        ("plain_id.eml", "from_addr", "budi.santoso@gmail.com"),
        ("plain_id.eml", "from_name", "Budi Santoso"),
        ("plain_id.eml", "from_trusted_form", True),
        ("plain_id.eml", "to", ["bps3576@bps.go.id"]),
        ("plain_id.eml", "subject", "Permintaan data inflasi Kota Mojokerto 2025"),
        ("plain_id.eml", "language", "id"),
        ("plain_id.eml", "return_path", "budi.santoso@gmail.com"),
        ("plain_id.eml", "date_header", "Mon, 23 Nov 2026 08:59:12 +0700"),
        ("plain_id.eml", "defects", []),
        ("english.eml", "language", "en"),
        ("alternative_attachments.eml", "text", "Terlampir formulir dan tabel yang saya maksud."),
        ("alternative_attachments.eml", "html", "<p>Terlampir formulir dan tabel yang saya maksud.</p>"),
        ("alternative_attachments.eml", "cc", ["dosen@unair.ac.id", "dina@unair.ac.id"]),
        ("alternative_attachments.eml", "reply_to", "dina.pribadi@gmail.com"),
        ("alternative_attachments.eml", "in_reply_to", "<ack-9@pst.bps.go.id>"),
        ("alternative_attachments.eml", "references", ["<q-1@unair.ac.id>", "<ack-9@pst.bps.go.id>"]),
        ("latin1.eml", "text", "Señor, ¿tienen datos de café? Müller\n"),
        ("latin1.eml", "from_name", "José Muñoz"),
        ("cp1252.eml", "text", "Apa arti “angka sementara” di tabel… itu? € 100\n"),
        ("undeclared_utf8.eml", "text", "Mohon data “inflasi” — terima kasih ✓\n"),
        ("undeclared_cp1252.eml", "text", "Mohon data “inflasi” — terima kasih é\n"),
        ("rfc2047_subjects.eml", "subject", "Permintaan data “inflasi” Kota Mojokerto – café selesai"),
        ("rfc2047_subjects.eml", "from_name", "Ani Süryani"),
        ("rfc2047_split.eml", "subject", "Tanda “ kutip"),
        ("subject_crlf.eml", "subject", "a Bcc: x@evil"),
        ("no_message_id.eml", "has_message_id", False),
        ("no_date.eml", "date_header", ""),
        ("outlook_autoreply.eml", "auto_submitted", "auto-replied"),
        ("outlook_autoreply.eml", "x_auto_response_suppress", "All"),
        ("gmail_vacation.eml", "precedence", "bulk"),
        ("mailing_list.eml", "list_id", "Forum Statistik <forum.lists.example.org>"),
        ("mailing_list.eml", "headers", {"list-unsubscribe": "<mailto:forum-leave@lists.example.org>"}),
        ("postfix_bounce.eml", "return_path", ""),
        ("postfix_bounce.eml", "is_delivery_report", True),
        ("postfix_bounce.eml", "reported_message_ids", ["<ack-1@pst.bps.go.id>", "<q-77@contoh.co.id>"]),
        (
            "postfix_bounce.eml",
            "report_status",
            "salah@contoh.co.id 5.1.1 smtp; 550 5.1.1 <salah@contoh.co.id>: Recipient address rejected: User unknown",
        ),
        ("postfix_bounce.eml", "attachments", []),
        ("exchange_ndr.eml", "is_delivery_report", True),
        ("exchange_ndr.eml", "reported_message_ids", ["<ack-7@pst.bps.go.id>", "<q-7@kemenkeu.go.id>"]),
        ("exchange_ndr.eml", "from_addr", "postmaster@kemenkeu.go.id"),
        ("forged_from.eml", "from_addr", "x@evil.example"),
        ("forged_from.eml", "from_name", "ops@bps.go.id"),
        ("forged_from.eml", "from_trusted_form", False),
        ("two_from.eml", "from_trusted_form", False),
        ("two_from.eml", "from_addr", ""),
        (
            "html_only.eml",
            "text",
            "Selamat siang,\n\nMohon data kemiskinan & IPM\nKota Kediri.\n\n"
            "- tahun 2024\n- tahun 2025\nTerima kasih\nSari W.",
        ),
    ],
)
def test_corpus_field(name, field, expected):
    assert getattr(mail(name), field) == expected


def test_every_corpus_file_parses_with_its_own_size():
    paths = sorted(CORPUS.glob("*.eml"))
    assert len(paths) >= 10  # the corpus is there: the loop below is not empty
    for path in paths:
        raw = path.read_bytes()
        assert parse(raw, NOW).size == len(raw), path.name


def test_missing_message_id_is_minted_from_content():
    raw = load("no_message_id.eml")
    assert parse(raw, NOW).message_id == minted_id(raw)
    assert minted_id(raw).endswith("@pst-helpdesk.invalid>") and len(minted_id(raw)) == 55


def test_received_at_is_the_given_instant_not_the_date_header():
    assert mail("plain_id.eml").received_at == NOW


def test_attachments_keep_bytes_type_and_size():
    pdf, xlsx = mail("alternative_attachments.eml").attachments
    assert (pdf.filename, pdf.content_type) == ("formulir.pdf", "application/pdf")
    assert pdf.payload.startswith(b"%PDF-1.4") and pdf.size == len(pdf.payload)
    assert xlsx.filename == "tabel PDRB.xlsx" and xlsx.payload == b"PK\x03\x04" + bytes(range(256))


def test_path_traversal_filenames_become_basenames():
    names = [a.filename for a in mail("path_traversal.eml").attachments]
    assert names == ["passwd", "evil.exe", "lampiran-3"]


@pytest.mark.parametrize(
    "given_name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ("", "lampiran-4"),
        ("..", "lampiran-4"),
        ("a\r\nb\x00.pdf", "a b .pdf"),
        ("=?utf-8?q?laporan_=E2=80=9C1=E2=80=9D.pdf?=", "laporan “1”.pdf"),
    ],
)
def test_safe_filename(given_name, expected):
    assert safe_filename(given_name, 4) == expected


def test_safe_filename_is_at_most_150_chars_and_keeps_extension():
    name = safe_filename("x" * 400 + ".xlsx", 1)
    assert len(name) == 150 and name.endswith(".xlsx")


def test_broken_mime_keeps_going_and_records_defects():
    m = mail("broken_mime.eml")
    assert "charset aneh" in m.text and "tanpa penutup" in m.text
    assert [a.filename for a in m.attachments] == ["data.bin"]
    assert any("x-unknown" in d for d in m.defects)
    assert any("Base64" in d for d in m.defects)
    assert any("CloseBoundaryNotFound" in d for d in m.defects)


def test_undeclared_cp1252_is_recorded_as_a_defect():
    assert mail("undeclared_cp1252.eml").defects == ["text/plain: undeclared 8-bit; decoded as windows-1252"]


def test_huge_attachment_is_kept_whole():
    payload = bytes(range(256)) * 8192  # 2 MiB
    raw = (
        b"From: a@example.org\r\nMessage-ID: <big@x>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\n"
        b"besar\r\n--Z\r\nContent-Type: application/zip; name=big.zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(payload) + b"--Z--\r\n"
    )
    (att,) = parse(raw, NOW).attachments
    assert att.size == len(payload) and att.payload == payload


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 100,
        b"no header block at all\r\n\r\nbody",
        b"From:\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary",
        b"Subject: =?x-bogus?q?abc?=\r\n\r\n",
        b'Content-Type: text/plain; charset=""\r\n\r\n\xff\xfe',
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
        + b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" * 200,
        b"From: \xff\xfe <a@b.c>\r\nSubject: \xe9t\xe9\r\n\r\nx",
    ],
)
def test_hostile_bytes_never_raise(raw):
    m = parse(raw, NOW)
    assert m.message_id.startswith("<") and m.size == len(raw)


def test_8bit_header_is_decoded_like_a_body():
    assert parse(b"From: a@b.c\r\nSubject: \xe9t\xe9\r\n\r\nx", NOW).subject == "été"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("<a@b>", "<a@b>"),
        ("  <a@b> (comment)", "<a@b>"),
        ("a@b", "<a@b>"),
        ("", ""),
        ("junk", ""),
    ],
)
def test_normalise_id(value, expected):
    assert normalise_id(value) == expected


def test_decode_words_ignores_space_between_encoded_words_only():
    assert decode_words("=?utf-8?q?a?= =?utf-8?q?b?= c") == "ab c"


def test_html_to_text_drops_scripts_and_unescapes():
    assert html_to_text("<script>x()</script><p>a &lt;b&gt;</p>c<br/>d") == ("a <b>\nc\nd", True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw):
    assert parse(raw, NOW).size == len(raw)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(p.name for p in CORPUS.glob("*.eml"))), st.integers(0, 10_000), st.binary(max_size=20))
def test_truncated_or_spliced_corpus_never_raises(name, cut, noise):
    raw = load(name)
    raw = raw[: cut % (len(raw) + 1)] + noise
    assert parse(raw, NOW).size == len(raw)


@pytest.mark.parametrize(
    "header, addr, trusted",
    [
        # An internationalised domain becomes its IDNA form: plain SMTP cannot carry it otherwise.
        ("=?utf-8?Q?B=C3=BCrger?= <Warga@M\u00fcnchen.DE>", "warga@xn--mnchen-3ya.de", True),
        # A non-ASCII local part has no ASCII form: no reply address (the raw From is kept).
        ("B\u00fcrger <w\u00e4rga@example.de>", "", False),
        ("WARGA BESAR <WARGA.BESAR@EXAMPLE.ORG>", "warga.besar@example.org", True),
        # An encoded word inside the domain (Python's email generator writes IDNs so).
        ("B <Warga@=?utf-8?q?M=C3=BCnchen?=.de>", "warga@xn--mnchen-3ya.de", True),
    ],
)
def test_sender_address_is_ascii_for_smtp(header, addr, trusted):
    raw = f"From: {header}\r\nTo: bps3576@bps.go.id, info@b\u00fccher.de\r\nSubject: x\r\n\r\nHalo\r\n"
    mail = parse(raw.encode("utf-8"), NOW)
    assert (mail.from_addr, mail.from_trusted_form) == (addr, trusted)
    assert mail.to == ["bps3576@bps.go.id", "info@xn--bcher-kva.de"]
    assert mail.from_addr.isascii()
