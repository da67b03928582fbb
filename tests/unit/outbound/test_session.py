"""The sending process's SMTP session (smtplib, blocking): the server's answers become
Temporary/PermanentFailure as with the daemon's own client, pipelined or not (against aiosmtpd)."""

from __future__ import annotations

import dataclasses
import socket
import ssl

import pytest
import trustme

from helpdesk.config import SmtpSettings
from helpdesk.demo.sink import SmtpSink
from helpdesk.errors import PermanentFailure, TemporaryFailure
from helpdesk.outbound.sending import Mail
from helpdesk.outbound.session import SmtpSession


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def sink(request):
    server = SmtpSink(pipelining=request.param).start()
    yield server
    server.stop()


def mail(*to: str, raw: str = "Subject: x\r\nMessage-ID: <t1@bps.go.id>\r\n\r\nhalo\r\n") -> Mail:
    return Mail("<t1@bps.go.id>", "bps3576@bps.go.id", list(to), raw)


def session(port: int) -> SmtpSession:
    return SmtpSession(SmtpSettings(port=port, timeout=5))


def test_accepted_mail_returns_the_servers_answer_and_arrives_as_written(sink):
    s = session(sink.port)
    # A leading dot is doubled on the wire and undone by the server; bare LFs go as CRLF.
    answer = s.send(mail("warga@example.org", raw="Subject: x\n\n.titik\nhalo\n"))
    s.close()
    assert "accepted" in answer
    [got] = sink.messages
    assert got.rcpt_tos == ["warga@example.org"] and got.data == b"Subject: x\r\n\r\n.titik\r\nhalo\r\n"


def test_4xx_is_temporary_and_5xx_permanent_and_the_session_goes_on(sink):
    s = session(sink.port)
    sink.fail_next(1, code=451)
    with pytest.raises(TemporaryFailure) as temporary:
        s.send(mail("warga@example.org"))
    sink.reject_recipient("hilang@example.org", code=550)
    with pytest.raises(PermanentFailure) as permanent:
        s.send(mail("hilang@example.org"))
    answer = s.send(mail("warga@example.org"))
    s.close()
    assert temporary.value.code == 451 and not temporary.value.unreachable
    assert permanent.value.code == 550 and permanent.value.refused is None
    assert "accepted" in answer and len(sink.messages) == 1


def test_a_recipient_refused_beside_others_is_named_so_only_it_is_retried(sink):
    sink.reject_recipient("hilang@example.org", code=450)
    s = session(sink.port)
    with pytest.raises(TemporaryFailure) as refused:
        s.send(mail("warga@example.org", "hilang@example.org"))
    s.close()
    assert refused.value.refused == ["hilang@example.org"]
    assert [m.rcpt_tos for m in sink.messages] == [["warga@example.org"]]


def test_a_mail_the_client_cannot_encode_is_a_permanent_failure_not_a_crash(sink):
    s = session(sink.port)
    with pytest.raises(PermanentFailure, match="cannot be sent"):
        s.send(mail("wärga@example.org"))
    answer = s.send(mail("warga@example.org"))  # the next mail goes as usual
    s.close()
    assert "accepted" in answer


def test_a_session_the_server_closed_is_opened_again_for_the_next_mail():
    first = SmtpSink().start()
    s = session(first.port)
    try:
        s.send(mail("warga@example.org"))
    finally:
        first.stop()  # the server goes away between two mails, and comes back
    again = SmtpSink(port=first.port).start()
    try:
        answer = s.send(mail("warga@example.org"))
        s.close()
    finally:
        again.stop()
    assert "accepted" in answer and len(again.messages) == 1


def test_no_server_is_unreachable_a_temporary_failure():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TemporaryFailure) as down:
        session(port).send(mail("warga@example.org"))
    assert down.value.unreachable


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_sink(authority: trustme.CA, tls: str, login: tuple[str, str] | None = None, **options) -> SmtpSink:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return SmtpSink(tls=tls, tls_context=context, login=login, **options).start()


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_as_configured_with_the_servers_certificate_checked(tls, authority, tmp_path, monkeypatch):
    # A STARTTLS server that takes no mail before STARTTLS, or one that speaks only TLS: the mail
    # arriving proves the session went encrypted.
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # the system's trusted authorities
    sink = tls_sink(authority, tls)
    try:
        s = SmtpSession(SmtpSettings(port=sink.port, timeout=5, tls=tls))
        answer = s.send(mail("warga@example.org"))
        s.close()
    finally:
        sink.stop()
    assert "accepted" in answer and [m.rcpt_tos for m in sink.messages] == [["warga@example.org"]]


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_a_certificate_nobody_trusts_is_refused_and_nothing_is_sent(tls, authority):
    sink = tls_sink(authority, tls)
    try:
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED") as refused:
            SmtpSession(SmtpSettings(port=sink.port, timeout=5, tls=tls)).send(mail("warga@example.org"))
    finally:
        sink.stop()
    assert refused.value.unreachable and sink.messages == []


def test_the_session_logs_in_when_a_username_is_set_and_a_wrong_password_is_permanent(authority, tmp_path, monkeypatch):
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    sink = tls_sink(authority, "starttls", login=("pst3576", "rahasia"))
    try:
        good = SmtpSession(
            SmtpSettings(port=sink.port, timeout=5, tls="starttls", username="pst3576", password="rahasia")
        )
        answer = good.send(mail("warga@example.org"))
        good.close()
        bad = SmtpSettings(port=sink.port, timeout=5, tls="starttls", username="pst3576", password="salah")
        with pytest.raises(PermanentFailure) as refused:
            SmtpSession(bad).send(mail("warga@example.org"))
    finally:
        sink.stop()
    assert "accepted" in answer and len(sink.messages) == 1
    assert refused.value.code == 535


def test_starttls_asked_of_a_server_that_does_not_offer_it_sends_nothing_in_clear(sink):
    with pytest.raises(TemporaryFailure, match="no STARTTLS") as refused:
        SmtpSession(SmtpSettings(port=sink.port, timeout=5, tls="starttls")).send(mail("warga@example.org"))
    assert refused.value.unreachable and sink.messages == []


def test_a_server_offering_only_auth_login_gets_it(authority, tmp_path, monkeypatch):
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    sink = tls_sink(authority, "starttls", login=("pst3576", "rahasia"), login_mechanisms=("LOGIN",))
    settings = SmtpSettings(port=sink.port, timeout=5, tls="starttls", username="pst3576", password="rahasia")
    try:
        s = SmtpSession(settings)
        answer = s.send(mail("warga@example.org"))
        offered = s._server.features["auth"]
        s.close()
        with pytest.raises(PermanentFailure) as refused:
            SmtpSession(dataclasses.replace(settings, password="salah")).send(mail("warga@example.org"))
    finally:
        sink.stop()
    assert offered == "LOGIN" and "accepted" in answer and len(sink.messages) == 1 and refused.value.code == 535


def test_a_server_that_refuses_ehlo_is_greeted_with_helo_and_served_one_command_at_a_time(smtp_sink):
    handler = smtp_sink.handler

    async def handle_EHLO(server, session, envelope, hostname, responses):  # noqa: N802, ANN001
        return ["502 5.5.2 EHLO tidak dikenal"]

    handler.handle_EHLO = handle_EHLO
    try:
        s = session(smtp_sink.port)
        answer = s.send(mail("warga@example.org"))
        pipelined = s._pipelining
        s.close()
    finally:
        del handler.handle_EHLO
    assert "accepted" in answer and not pipelined and len(smtp_sink.messages) == 1
