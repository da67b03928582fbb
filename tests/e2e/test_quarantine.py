"""`helpdesk quarantine list | show | retry | drop`: a quarantined mail, once its cause is mended,
goes through the pipeline again and its citizen gets the acknowledgement."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from helpdesk import cli
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

NOW = "2026-11-23T09:00:00+07:00"


@pytest.fixture
def poisoned(tmp_path, dovecot, smtp_sink, monkeypatch):
    """A helpdesk whose acknowledgement step fails (think: a broken template) until mended."""
    import helpdesk.pipeline as pipeline

    hd = Helpdesk(tmp_path, dovecot, smtp_sink)
    for key, value in hd.env.items():
        monkeypatch.setenv(key, value)
    real = pipeline.PIPELINES[pipeline.Kind.NEW]

    def broken(ctx):
        raise RuntimeError("template acknowledgement.id.txt: 'numbr' is undefined")

    monkeypatch.setitem(pipeline.PIPELINES, pipeline.Kind.NEW, (broken,))
    hd.append(citizen_mail(subject="Data kemiskinan"))
    for _ in range(3):
        cli.main(["--config", str(hd.settings_path), "run", "--once", "--now", NOW])
    [hd.key] = [e.key for e in hd.store().quarantined()]
    hd.mend = lambda: monkeypatch.setitem(pipeline.PIPELINES, pipeline.Kind.NEW, real)
    hd.notices = [m for m in hd.to_staff("pst3576@bps.go.id") if "karantina" in str(m.message["Subject"])]
    smtp_sink.clear()
    return hd


def helpdesk(hd, capsys, *args):
    status = cli.main(["--config", str(hd.settings_path), *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_list_and_show_name_the_mail_and_why(poisoned, capsys):
    status, out, _ = helpdesk(poisoned, capsys, "quarantine", "list")
    assert status == 0 and poisoned.key in out and "warga@example.org" in out and "Data kemiskinan" in out
    status, out, _ = helpdesk(poisoned, capsys, "quarantine", "show", poisoned.key)
    assert status == 0
    assert "reason    : RuntimeError: template acknowledgement.id.txt: 'numbr' is undefined" in out
    assert re.search(r"^received  : \d{4}-\d\d-\d\d \d\d:\d\d:\d\d WIB$", out, re.M)


def test_the_supervisors_notice_says_when_in_the_office_zone(poisoned):
    entry = poisoned.store().quarantined_entry(poisoned.key)
    local = entry.received_at.astimezone(ZoneInfo("Asia/Jakarta"))
    [notice] = poisoned.notices
    assert f"Diterima : {local:%Y-%m-%d %H:%M} WIB" in notice.message.get_body(("plain",)).get_content()


def test_retry_after_the_cause_is_mended_makes_the_ticket_and_its_acknowledgement(poisoned, capsys):
    poisoned.mend()
    status, out, _ = helpdesk(poisoned, capsys, "quarantine", "retry", poisoned.key)
    assert status == 0 and f"{poisoned.key} processed" in out
    assert poisoned.store().quarantined() == []
    assert [t.subject for t in poisoned.tickets()] == ["Data kemiskinan"]
    status, _, err = helpdesk(poisoned, capsys, "run", "--once")  # the retry queued it as of now
    assert status == 0, err
    [ack] = poisoned.to_citizens(1)
    assert "Data kemiskinan" in str(ack.message["Subject"])


def test_retry_without_mending_says_it_failed_again(poisoned, capsys):
    status, _, err = helpdesk(poisoned, capsys, "quarantine", "retry", poisoned.key)
    assert status == 7 and "failed again" in err and poisoned.tickets() == []


def test_drop_takes_it_off_the_list_and_a_wrong_key_is_named(poisoned, capsys):
    status, _, err = helpdesk(poisoned, capsys, "quarantine", "drop", poisoned.key + "9")
    assert status == 1 and f"did you mean {poisoned.key}?" in err
    assert helpdesk(poisoned, capsys, "quarantine", "drop", poisoned.key)[0] == 0
    assert poisoned.store().quarantined() == []
    assert helpdesk(poisoned, capsys, "quarantine", "list")[1] == "no quarantined mail\n"


def test_retry_while_the_daemon_runs_changes_nothing_and_says_why(poisoned, capsys):
    import signal

    proc = poisoned.spawn("run")
    try:
        poisoned.append(citizen_mail(sender="Warga Dua <dua@example.org>"))
        assert len(poisoned.to_citizens(1, timeout=20)) == 1  # the daemon runs and holds the folder
        status, _, err = helpdesk(poisoned, capsys, "quarantine", "retry", poisoned.key)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert status == 4 and "stop it first, then retry, then start it again" in err
    assert [e.key for e in poisoned.store().quarantined()] == [poisoned.key]
