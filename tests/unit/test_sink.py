"""The demo's and tests' SMTP sink stays a real SMTP server while it reads DATA in pieces and
plain addresses with one pattern (helpdesk.demo.sink), spoken to by the standard library's client."""

from __future__ import annotations

import smtplib

import pytest

from helpdesk.demo.sink import SmtpSink


@pytest.fixture
def small_sink():
    sink = SmtpSink(data_size_limit=5000).start()
    yield sink
    sink.stop()


def test_the_text_arrives_as_the_client_meant_it_dots_undoubled_and_an_empty_mail_too(small_sink):
    with smtplib.SMTP("127.0.0.1", small_sink.port) as client:
        client.sendmail("a@bps.go.id", ["W <w@example.org>"], b"Subject: x\r\n\r\n.satu\r\n..dua\r\nend.\r\n.\r\nx\r\n")
        client.sendmail("a@bps.go.id", ["w@example.org"], b"")
    first, empty = small_sink.messages
    assert first.mail_from == "a@bps.go.id" and first.rcpt_tos == ["w@example.org"]
    assert first.data == b"Subject: x\r\n\r\n.satu\r\n..dua\r\nend.\r\n.\r\nx\r\n"
    assert str(first.message["Subject"]) == "x"
    assert empty.data == b"\r\n"


def test_a_mail_over_the_size_limit_is_refused_at_its_end_and_the_session_goes_on(small_sink):
    with smtplib.SMTP("127.0.0.1", small_sink.port) as client:
        client.ehlo()
        del client.esmtp_features["size"]  # no SIZE in MAIL: the limit is found while reading DATA
        client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: x\r\n\r\n" + b"a" * 900 + b".\r\n" * 10)
        with pytest.raises(smtplib.SMTPDataError) as big:
            client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: big\r\n\r\n" + (b"a" * 900 + b".\r\n") * 6)
        client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: after\r\n\r\nok\r\n")
    assert big.value.smtp_code == 552
    assert [str(m.message["Subject"]) for m in small_sink.messages] == ["x", "after"]


def test_pipelined_commands_are_answered_in_order(smtp_sink):
    with smtplib.SMTP("127.0.0.1", smtp_sink.port) as client:
        client.ehlo()
        assert client.has_extn("pipelining")
        smtp_sink.reject_recipient("hilang@example.org")
        client.send(b"MAIL FROM:<a@bps.go.id>\r\nRCPT TO:<hilang@example.org>\r\nRCPT TO:<w@example.org>\r\nDATA\r\n")
        codes = [client.getreply()[0] for _ in range(4)]
        client.send(b"Subject: x\r\n\r\nhalo\r\n.\r\n")
        done = client.getreply()[0]
    assert codes == [250, 550, 250, 354] and done == 250
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["w@example.org"]]


def test_a_long_mail_of_sentences_arrives_whole_read_in_pieces(smtp_sink):
    # Lines that end a sentence (`.CRLF`) or begin with a dot, and a text longer than the sink
    # keeps in its reader (64 KiB): the end is only where a line holds a lone dot.
    text = b"".join(b"Kalimat ke-%d berakhir dengan titik.\r\n.baris bertitik\r\n" % n for n in range(8000))
    with smtplib.SMTP("127.0.0.1", smtp_sink.port) as client:
        client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: panjang\r\n\r\n" + text)
        client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: pendek\r\n\r\nok.\r\n")
    long, short = smtp_sink.messages
    assert len(text) > 400_000 and long.data == b"Subject: panjang\r\n\r\n" + text
    assert short.data == b"Subject: pendek\r\n\r\nok.\r\n"


def test_a_command_line_over_its_limit_is_refused_and_the_session_goes_on(smtp_sink):
    with smtplib.SMTP("127.0.0.1", smtp_sink.port) as client:
        client.ehlo()
        client.send(b"NOOP " + b"x" * 3000 + b"\r\n")
        too_long = client.getreply()[0]
        client.sendmail("a@bps.go.id", ["w@example.org"], b"Subject: x\r\n\r\nok\r\n")
    assert too_long == 500 and len(smtp_sink.messages) == 1
