"""`helpdesk check --connect` logs in to every mailbox and the SMTP server and names each."""

from __future__ import annotations

from tests.e2e.harness import Helpdesk


def test_connect_names_each_mailbox_and_the_refused_login_in_words(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("3576", "3571"))
    out = hd.cli("check", "--connect", env={"IMAP_PASSWORD_3571": "salah"})
    host = f"{dovecot.host}:{dovecot.port}"
    assert out.stdout.splitlines() == [
        f"office 3576: IMAP login to {hd.users['3576']}@{dovecot.host} ok",
        f"SMTP 127.0.0.1:{smtp_sink.port} ok",
        f"office 3571: login to {hd.users['3571']}@{host} refused: Authentication failed",
        "1 problem(s)",
    ]
    assert out.returncode == 2


def test_connect_reports_an_smtp_server_that_is_not_there(tmp_path, dovecot, smtp_sink):
    from helpdesk.demo.dovecot import free_port

    hd = Helpdesk(tmp_path, dovecot, smtp_sink)
    port = free_port()
    hd.settings_path.write_text(hd.settings_path.read_text().replace(f"port = {smtp_sink.port}", f"port = {port}"))
    out = hd.cli("check", "--connect")
    assert out.stdout.splitlines()[-2].startswith(f"SMTP 127.0.0.1:{port}: SMTPConnectError:")
    assert out.returncode == 2
