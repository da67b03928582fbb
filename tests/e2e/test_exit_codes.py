"""`run --once` tells cron the truth: non-zero when a mailbox was not read, a mail quarantined or
outgoing mail failed for good in that run; a refused login is said in words, not a bytes literal."""

from __future__ import annotations

from helpdesk import cli
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

NOW = "2026-11-23T09:00:00+07:00"


def test_a_refused_login_exits_6_at_once_and_says_so_in_words(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("3576", "3571"))
    hd.append(citizen_mail(), office="3571")
    out = hd.cli("run", "--once", "--now", NOW, env={"IMAP_PASSWORD_3576": "salah"})
    assert out.returncode == 6
    who = f"{hd.users['3576']}@{dovecot.host}:{dovecot.port}"
    assert f"mailbox not read: login to {who} refused: Authentication failed" in out.stderr
    assert "b'" not in out.stderr and out.stderr.count("refused: Authentication failed") == 2  # log + summary
    assert len(hd.tickets()) == 1  # the other office's mail went on
    assert "(attempt " not in out.stderr  # one attempt: a refused password is not retried with backoff


def test_a_permanent_delivery_failure_exits_8(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink)
    smtp_sink.reject_recipient("warga@example.org", code=550)
    hd.append(citizen_mail())
    out = hd.cli("run", "--once", "--now", NOW)
    assert out.returncode == 8
    assert "1 outgoing mail(s) failed permanently" in out.stderr
    assert hd.cli("run", "--once", "--now", NOW).returncode == 0  # an old failure is not this run's


def test_a_quarantined_mail_exits_7(tmp_path, dovecot, smtp_sink, monkeypatch):
    import helpdesk.pipeline as pipeline

    def explode(ctx):
        raise RuntimeError("poisonous mail")

    monkeypatch.setitem(pipeline.PIPELINES, pipeline.Kind.NEW, (explode,))
    hd = Helpdesk(tmp_path, dovecot, smtp_sink)
    for key, value in hd.env.items():
        monkeypatch.setenv(key, value)
    hd.append(citizen_mail(subject="RACUN"))
    run = ["--config", str(hd.settings_path), "run", "--once", "--now", NOW]
    statuses, quarantined = [], []
    for _ in range(3):
        statuses.append(cli.main(run))
        quarantined.append(len(hd.store().quarantined()))
    # Retried first (status 0); the run that sets it aside says so; the next run has nothing new to say.
    assert quarantined == [0, 1, 1] and statuses == [0, 7, 0]
