"""The core loop against a real Dovecot and a real SMTP server: mail in, ticket, acknowledgement out."""

from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

CORPUS = Path(__file__).parents[1] / "corpus"
WIB = timezone(timedelta(hours=7))
MON_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink)


def test_plain_mail_becomes_ticket_with_acknowledgement(hd):
    uid = hd.append(citizen_mail(message_id="<q1@example.org>"), date=MON_0900)
    hd.run_once(now=MON_0900 + timedelta(minutes=1))

    [ticket] = hd.tickets()
    assert ticket.number == "PST-3576-2026-000001"
    assert ticket.requester == "warga@example.org"
    assert ticket.received_at == MON_0900
    [ack] = hd.to_citizens(1)
    msg = ack.message
    assert ack.rcpt_tos == ["warga@example.org"]
    assert msg["From"].addresses[0].addr_spec == "bps3576@bps.go.id"
    assert msg["Subject"].startswith("[PST-3576-2026-000001] ")
    assert msg["In-Reply-To"] == "<q1@example.org>"
    assert msg["Auto-Submitted"] == "auto-replied"
    body = msg.get_body(("plain",)).get_content()
    # Received Monday 09:00 WIB, 2 working days: Wednesday 25 November 2026, 09.00 WIB.
    assert "Rabu, 25 November 2026 pukul 09.00 WIB" in body
    # The acknowledgement repeats nothing of the body: its recipient may not be its sender (issue 10).
    assert "data inflasi Kota Mojokerto" not in body
    assert {b"$PSTProcessed", b"\\Seen"} <= set(hd.flags()[uid])


def test_mail_already_read_in_webmail_is_still_ingested(hd):
    hd.dovecot.append(hd.users["3576"], citizen_mail(), flags=(b"\\Seen",), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert len(hd.tickets()) == 1
    assert len(hd.to_citizens(1)) == 1


def test_duplicate_delivery_is_one_ticket_and_one_acknowledgement(hd):
    raw = citizen_mail(message_id="<same@example.org>")
    hd.append(raw, date=MON_0900)
    hd.append(raw, date=MON_0900)
    hd.run_once(now=MON_0900)
    hd.run_once(now=MON_0900)
    assert len(hd.tickets()) == 1
    assert len(hd.to_citizens()) == 1


def test_mail_without_message_id_dedupes_by_content(hd):
    raw = citizen_mail(message_id=None)
    hd.append(raw, date=MON_0900)
    hd.append(raw, date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert ticket.message_ids[0].endswith("@pst-helpdesk.invalid>")
    assert len(hd.to_citizens()) == 1


def test_reply_to_acknowledgement_joins_the_ticket(hd):
    hd.append(citizen_mail(message_id="<first@example.org>"), date=MON_0900)
    hd.run_once(now=MON_0900)
    [ack] = hd.to_citizens(1)
    reply = citizen_mail(
        subject="Re: " + str(ack.message["Subject"]),
        body="Tambahan: tahun 2024 juga.",
        in_reply_to=ack.message["Message-ID"],
        references=ack.message["Message-ID"],
    )
    hd.append(reply, date=MON_0900 + timedelta(hours=1))
    hd.run_once(now=MON_0900 + timedelta(hours=1))
    [ticket] = hd.tickets()
    assert [e.type for e in ticket.events if e.type in ("received", "follow_up")] == ["received", "follow_up"]
    assert len(hd.to_citizens()) == 1  # a follow-up is not acknowledged again


def test_subject_number_from_a_stranger_opens_a_new_ticket(hd):
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    hd.append(citizen_mail(subject="Re: [PST-3576-2026-000001] data", sender="orang.lain@example.net"), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert [t.requester for t in hd.tickets()] == ["warga@example.org", "orang.lain@example.net"]


@pytest.mark.parametrize(
    "sample, kind",
    [
        ("outlook_autoreply.eml", "auto_reply"),
        ("gmail_vacation.eml", "auto_reply"),
        ("mailing_list.eml", "list"),
    ],
)
def test_automated_mail_gets_no_ticket_and_no_reply(hd, sample, kind):
    hd.append((CORPUS / sample).read_bytes(), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert hd.tickets() == []
    assert hd.to_citizens() == []
    assert b"$PSTProcessed" in next(iter(hd.flags().values()))


def test_bounce_of_our_acknowledgement_is_recorded_on_its_ticket(hd):
    hd.append(citizen_mail(sender="salah.alamat@example.org"), date=MON_0900)
    hd.run_once(now=MON_0900)
    [ack] = hd.to_citizens(1)
    bounce = (
        (CORPUS / "postfix_bounce.eml")
        .read_bytes()
        .replace(b"<ack-1@pst.bps.go.id>", ack.message["Message-ID"].encode())
    )
    hd.append(bounce, date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert "bounce" in [e.type for e in ticket.events]
    assert len(hd.to_citizens()) == 1  # no mail caused by the bounce


@pytest.mark.parametrize(
    "sample, needle",
    [
        ("html_only.eml", "data kemiskinan"),
        ("latin1.eml", "é"),
        ("cp1252.eml", "\u201c"),
        ("undeclared_utf8.eml", "“inflasi” — terima kasih"),
        ("undeclared_cp1252.eml", "“inflasi” — terima kasih é"),
    ],
)
def test_bodies_in_other_forms_are_decoded(hd, sample, needle):
    hd.append((CORPUS / sample).read_bytes(), date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert needle in ticket.events[0].data["text"]
    assert len(hd.to_citizens(1)) == 1


def test_encoded_subject_is_decoded_and_carried_into_the_acknowledgement(hd):
    hd.append((CORPUS / "rfc2047_subjects.eml").read_bytes(), date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert "=?" not in ticket.subject
    [ack] = hd.to_citizens(1)
    assert ticket.subject in str(ack.message["Subject"])


def test_attachments_are_recorded_and_stored_under_generated_names(hd):
    payload = b"%PDF-1.4 fake" * 1000
    hd.append(citizen_mail(attachments=[("../../etc/passwd", "application/pdf", payload)]), date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    [att] = ticket.events[0].attachments
    assert att.size == len(payload)
    assert att.filename == "passwd"
    stored = hd.data_dir / "spool" / att.spool_name
    assert stored.read_bytes() == payload
    assert not (hd.data_dir / "etc").exists()


def test_no_date_header_uses_server_time(hd):
    raw = citizen_mail().replace(b"Date: ", b"X-Old-Date: ")
    hd.append(raw, date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert ticket.received_at == MON_0900


def test_acknowledgements_per_sender_are_rate_limited(hd):
    for i in range(7):
        hd.append(citizen_mail(subject=f"Pertanyaan {i}"), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert len(hd.tickets()) == 7
    assert len(hd.to_citizens()) == 5


def test_temporary_smtp_failure_is_retried_later(hd):
    hd.sink.fail_next(1, code=451)
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert hd.to_citizens() == []
    [queued] = hd.store().outgoing()
    assert queued.status == "queued" and queued.last_error.startswith("451")
    hd.run_once(now=MON_0900 + timedelta(seconds=30))  # backoff (60 s) not yet over
    assert hd.to_citizens() == []
    hd.run_once(now=MON_0900 + timedelta(minutes=2))
    [ack] = hd.to_citizens(1)
    assert ack.message["Message-ID"] == queued.message_id
    assert hd.store().outgoing() == []


def test_permanent_smtp_failure_is_recorded_and_reported(hd):
    hd.sink.reject_recipient("warga@example.org", code=550)
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    [failed] = hd.store().outgoing()
    assert failed.status == "failed" and "550" in failed.last_error
    hd.run_once(now=MON_0900 + timedelta(minutes=1))
    # The delivery-failure notice itself (a digest built after the failure lists it as well).
    [notice] = [
        m
        for m in hd.to_staff("pst3576@bps.go.id")
        if "gagal terkirim" in str(m.message["Subject"]) and "550" in m.message.as_string()
    ]
    assert "550" in notice.message.get_body(("plain",)).get_content()
    status = hd.cli("status")
    assert "1 failed" in status.stdout


def test_imap_connection_cut_mid_fetch_loses_and_duplicates_nothing(tmp_path, dovecot, smtp_sink, cut_proxy):
    proxy = cut_proxy(dovecot.host, dovecot.port)
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, imap_port=proxy.port)
    big = b"x" * 200_000
    for i in range(3):
        hd.append(
            citizen_mail(subject=f"Data {i}", attachments=[("d.xlsx", "application/octet-stream", big)]), date=MON_0900
        )
    proxy.cut_after(150_000)
    hd.run_once(now=MON_0900)
    assert proxy.connections >= 2
    assert len(hd.tickets()) == 3
    assert len(hd.to_citizens()) == 3


def test_daemon_killed_after_storing_before_flagging_sends_nothing_twice(hd):
    uid = hd.append(citizen_mail(), date=MON_0900)
    killed = hd.cli("run", "--once", env={"HELPDESK_FAILPOINT": "after_ticket_commit"})
    assert killed.returncode == -signal.SIGKILL
    assert b"$PSTProcessed" not in hd.flags()[uid]
    assert hd.to_citizens() == []
    again = hd.cli("run", "--once")
    assert again.returncode == 0, again.stderr
    assert len(hd.tickets()) == 1
    assert len(hd.to_citizens(1)) == 1
    assert b"$PSTProcessed" in hd.flags()[uid]


def test_daemon_killed_after_smtp_accepted_never_sends_it_again(hd):
    hd.append(citizen_mail(), date=MON_0900)
    killed = hd.cli("run", "--once", env={"HELPDESK_FAILPOINT": "after_smtp_accept"})
    assert killed.returncode == -signal.SIGKILL
    [first] = hd.to_citizens(1)
    assert [m.status for m in hd.store().outgoing() if m.message_id == first.message["Message-ID"]] == [
        "sending"
    ]  # the store did not learn of the acceptance ...
    again = hd.cli("run", "--once")
    assert again.returncode == 0, again.stderr
    hd.cli("run", "--once")
    # ... but the sent journal did: no second copy, and the outbox is empty.
    assert [m.message["Message-ID"] for m in hd.to_citizens()] == [first.message["Message-ID"]]
    assert hd.store().outgoing() == []


def test_daemon_killed_before_processing_processes_from_spool(hd):
    hd.append(citizen_mail(), date=MON_0900)
    killed = hd.cli("run", "--once", env={"HELPDESK_FAILPOINT": "before_process"})
    assert killed.returncode == -signal.SIGKILL
    assert hd.tickets() == []
    hd.cli("run", "--once")
    assert len(hd.tickets()) == 1
    assert len(hd.to_citizens(1)) == 1


def test_repeated_crashes_quarantine_only_the_mail_in_hand_not_its_whole_batch(hd):
    for i in range(5):
        hd.append(citizen_mail(subject=f"Data {i}"), date=MON_0900)
    for _ in range(3):
        killed = hd.cli("run", "--once", env={"HELPDESK_FAILPOINT": "before_process"})
        assert killed.returncode == -signal.SIGKILL
    done = hd.cli("run", "--once")
    assert done.returncode == 7, done.stderr  # this run set the mail aside: cron is told
    # Only the mail that was in hand at each of the three crashes is set aside; the other four,
    # innocent, become tickets.
    assert len(hd.tickets()) == 4
    assert len(hd.store().quarantined()) == 1
    assert hd.store().in_flight() == []


def test_mail_that_keeps_failing_is_quarantined_and_the_rest_goes_on(hd, monkeypatch):
    import helpdesk.pipeline as pipeline

    real = pipeline.record_ticket

    def explode(ctx):
        if "RACUN" in ctx.mail.subject:
            raise RuntimeError("poisonous mail")
        real(ctx)

    monkeypatch.setitem(pipeline.PIPELINES, pipeline.Kind.NEW, (explode,) + pipeline.PIPELINES[pipeline.Kind.NEW][1:])
    hd.append(citizen_mail(subject="RACUN"), date=MON_0900)
    hd.append(citizen_mail(subject="Data biasa"), date=MON_0900)
    for minute in range(3):
        hd.run_once(now=MON_0900 + timedelta(minutes=minute))
    store = hd.store()
    assert [t.subject for t in hd.tickets()] == ["Data biasa"]
    [entry] = store.quarantined()
    assert "poisonous mail" in entry.reason
    assert (hd.data_dir / "spool" / entry.copy).exists()
    subjects = [str(m.message["Subject"]) for m in hd.sink.messages]
    assert any("karantina" in s.lower() for s in subjects)
    assert store.in_flight() == []


def test_unreadable_store_stops_the_daemon_and_is_left_untouched(hd):
    hot = hd.data_dir / "store" / "hot.json"
    hot.parent.mkdir(parents=True)
    hot.write_bytes(b"")
    result = hd.cli("run", "--once")
    assert result.returncode == 3
    assert "store cannot be read" in result.stderr
    assert hot.read_bytes() == b""


def test_tickets_json_lists_iso_times_with_offsets(hd):
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    out = hd.cli("tickets", "--json")
    [row] = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["number"] == "PST-3576-2026-000001"
    assert datetime.fromisoformat(row["received_at"]).utcoffset() is not None
    assert datetime.fromisoformat(row["due_at"]) > datetime.fromisoformat(row["received_at"])
    shown = hd.cli("show", row["number"])
    assert "data inflasi Kota Mojokerto" in shown.stdout
    # Received (stored as the server's UTC INTERNALDATE) and due, both in the office's zone (WIB).
    assert "received: 2026-11-23T09:00:00+07:00   due: 2026-11-25T09:00:00+07:00" in shown.stdout
    assert "+00:00" not in shown.stdout


def test_running_daemon_acknowledges_within_seconds_and_stops_on_sigterm(hd):
    proc = hd.spawn("run")
    try:
        hd.append(citizen_mail())
        [ack] = hd.to_citizens(1, timeout=20)
        assert ack.message["Subject"].startswith("[PST-3576-")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped cleanly" in err


def test_smtp_server_down_keeps_mail_queued_until_it_is_back(tmp_path, dovecot, smtp_sink):
    from helpdesk.demo.dovecot import free_port

    down = Helpdesk(tmp_path, dovecot, smtp_sink)
    down.settings_path.write_text(
        down.settings_path.read_text().replace(f"port = {smtp_sink.port}", f"port = {free_port()}")
    )
    down.append(citizen_mail(), date=MON_0900)
    down.run_once(now=MON_0900)
    [queued] = [m for m in down.store().outgoing() if m.purpose == "acknowledgement"]
    assert queued.status == "queued" and "unreachable" in queued.last_error
    assert queued.attempts == 1
    status = down.cli("status")
    assert "queued" in status.stdout
    down.settings_path.write_text(
        down.settings_path.read_text().replace(
            '[smtp]\nhost = "127.0.0.1"\nport = ', f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_sink.port}\n#'
        )
    )
    down.run_once(now=MON_0900 + timedelta(minutes=5))
    [ack] = down.to_citizens(1)
    assert ack.message["Message-ID"] == queued.message_id


def test_imap_server_down_is_reported_in_status_and_nothing_is_lost(tmp_path, dovecot, smtp_sink):
    from helpdesk.demo.dovecot import free_port

    hd = Helpdesk(tmp_path, dovecot, smtp_sink, imap_port=free_port())
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert hd.tickets() == []
    status = hd.cli("status")
    assert "last error" in status.stdout and "Connection refused" in status.stdout
    hd.settings_path.write_text(
        hd.settings_path.read_text()
        .replace('tls = "none"\nusername', 'tls = "none"\nusername')
        .replace(f"port = {hd.settings().offices[0].imap.port}", f"port = {dovecot.port}")
    )
    hd.run_once(now=MON_0900 + timedelta(minutes=5))
    assert len(hd.tickets()) == 1


def test_idn_sender_gets_an_acknowledgement_and_the_outbox_goes_on(hd):
    """A sender at an internationalised domain once crashed the outbox (UnicodeEncodeError at RCPT)."""
    idn = (
        "From: =?utf-8?Q?B=C3=BCrger?= <warga@m\u00fcnchen.de>\r\nTo: bps3576@bps.go.id\r\n"
        "Subject: Data inflasi\r\nMessage-ID: <idn1@example.org>\r\n\r\nMohon data inflasi.\r\n"
    )
    hd.append(idn.encode("utf-8"), date=MON_0900)
    hd.append(citizen_mail(), date=MON_0900)
    hd.run_once(now=MON_0900)
    acks = hd.to_citizens(2)
    assert sorted(a.rcpt_tos[0] for a in acks) == ["warga@example.org", "warga@xn--mnchen-3ya.de"]
    assert not [m for m in hd.store().outgoing() if m.status != "sent"]


def test_mail_to_one_office_cc_another_is_one_ticket_of_the_office_in_to(tmp_path, dovecot, smtp_sink):
    """Both mailboxes get the mail; the Cc'd office's copy, even fetched first, must not own it."""
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("3576", "3571"))
    raw = citizen_mail(to="bps3576@bps.go.id", headers={"Cc": "bps3571@bps.go.id"}, message_id="<cc1@example.org>")
    hd.append(raw, office="3571", date=MON_0900)
    hd.run_once(now=MON_0900)
    hd.append(raw, office="3576", date=MON_0900)
    hd.run_once(now=MON_0900 + timedelta(minutes=1))
    [ticket] = hd.tickets()
    assert ticket.number == "PST-3576-2026-000001" and ticket.office == "3576"
    [ack] = hd.to_citizens(1)
    assert ack.message["From"].addresses[0].addr_spec == "bps3576@bps.go.id"
    assert b"$PSTProcessed" in hd.flags("3571")[1] and b"$PSTProcessed" in hd.flags("3576")[1]


def test_acknowledgement_goes_to_reply_to_of_a_web_form(hd):
    """A form mailer writes From noreply@ with the citizen in Reply-To: the citizen must hear back."""
    raw = citizen_mail(sender="Formulir Web <noreply@form.example>", headers={"Reply-To": "Budi <budi@example.net>"})
    hd.append(raw, date=MON_0900)
    hd.run_once(now=MON_0900)
    [ticket] = hd.tickets()
    assert ticket.requester == "budi@example.net"
    [ack] = hd.to_citizens(1)
    assert ack.rcpt_tos == ["budi@example.net"]


def test_reply_to_naming_the_helpdesk_is_ignored(hd):
    raw = citizen_mail(headers={"Reply-To": "bps3576@bps.go.id"})
    hd.append(raw, date=MON_0900)
    hd.run_once(now=MON_0900)
    [ack] = hd.to_citizens(1)
    assert ack.rcpt_tos == ["warga@example.org"]


def test_mail_from_the_null_sender_is_never_answered(hd):
    """Return-Path: <> (a read receipt, a responder without RFC 3834 headers) got an acknowledgement."""
    uid = hd.append(b"Return-Path: <>\r\n" + citizen_mail(subject="Telah dibaca: Permintaan data"), date=MON_0900)
    hd.run_once(now=MON_0900)
    assert hd.tickets() == [] and hd.to_citizens() == []
    assert b"$PSTProcessed" in hd.flags()[uid]


def test_a_second_helpdesk_on_the_same_data_does_nothing(hd):
    """`run --once` beside the running daemon (or overlapping cron runs) made every ticket twice,
    with the same numbers, and acknowledged every citizen twice."""
    proc = hd.spawn("run")
    try:
        hd.append(citizen_mail())
        [ack] = hd.to_citizens(1, timeout=20)  # the daemon holds the data directory
        hd.append(citizen_mail(sender="Warga Dua <dua@example.org>"))
        second = hd.cli("run", "--once")
        assert second.returncode == 4
        assert "another helpdesk process" in second.stderr
        assert len(hd.to_citizens(2, timeout=20)) == 2  # the daemon took the second mail alone
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    # A killed holder leaves no stale lock behind.
    assert hd.cli("run", "--once").returncode == 0
    numbers = [t.number for t in hd.tickets()]
    assert numbers == ["PST-3576-2026-000001", "PST-3576-2026-000002"]
    assert len(hd.to_citizens()) == 2
