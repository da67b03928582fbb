"""One waiter for several mailboxes, against the real Dovecot: news fetches one mailbox, a lost
connection is re-established without touching the others, polled mailboxes go on beside idling ones."""

from __future__ import annotations

import json
import queue
import signal
import threading
from collections import Counter
from contextlib import contextmanager

from helpdesk.app import App
from helpdesk.clock import SystemClock
from helpdesk.inbound.intake import Intake
from helpdesk.inbound.mailbox import MailboxWorker
from helpdesk.inbound.waiter import Waiter
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

OFFICES = ("3576", "3571", "3514")


class Watching:
    """A waiter over the helpdesk's mailboxes in this process; each round and each stored batch
    is noted by office, so a test can see which mailbox did what."""

    def __init__(self, hd: Helpdesk) -> None:
        app = App.build(hd.settings(), SystemClock())
        self.stored: queue.Queue[str] = queue.Queue()
        self.syncs: Counter[str] = Counter()
        intake = Intake(app)
        self.workers = {
            o.code: MailboxWorker(o, intake, on_ingested=lambda c=o.code: self.stored.put(c))
            for o in app.settings.offices
        }
        for code, worker in self.workers.items():
            worker.sync = self._counted(code, worker.sync)
        self.waiter = Waiter(list(self.workers.values()), threading.Event())

    def _counted(self, code, sync):
        def counted() -> int:
            self.syncs[code] += 1
            return sync()

        return counted

    def next_stored(self, timeout: float = 20) -> str:
        return self.stored.get(timeout=timeout)


@contextmanager
def watching(hd: Helpdesk):
    w = Watching(hd)
    thread = threading.Thread(target=w.waiter.run, name="test-waiter")
    thread.start()
    try:
        assert w.waiter.connected.wait(30), "the mailboxes did not all connect"
        yield w
    finally:
        w.waiter.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert all(worker.client is None for worker in w.workers.values())  # all logged out


def test_news_in_one_mailbox_fetches_only_that_mailbox(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=OFFICES)
    with watching(hd) as w:
        assert all(worker.idling for worker in w.workers.values())
        before = Counter(w.syncs)
        hd.append(citizen_mail(to="bps3571@bps.go.id"), office="3571")
        assert w.next_stored() == "3571"
        assert w.syncs["3571"] > before["3571"]
        assert {c: w.syncs[c] for c in ("3576", "3514")} == {c: before[c] for c in ("3576", "3514")}
    assert [t.office for t in hd.tickets()] == ["3571"]


def test_a_dropped_connection_reconnects_while_the_others_keep_delivering(tmp_path, dovecot, smtp_sink, cut_proxy):
    proxy = cut_proxy(dovecot.host, dovecot.port)
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=OFFICES)
    # Office 3576 reaches the server through a proxy that can drop its connection.
    block = f'port = {{}}\ntls = "none"\nusername = "{hd.users["3576"]}"'
    hd.settings_path.write_text(
        hd.settings_path.read_text().replace(block.format(dovecot.port), block.format(proxy.port))
    )
    assert hd.settings().office("3576").imap.port == proxy.port
    with watching(hd) as w:
        others = {c: w.workers[c].client for c in ("3571", "3514")}
        proxy.drop_all()
        hd.append(citizen_mail(sender="Warga Kediri <kediri@example.org>", to="bps3571@bps.go.id"), office="3571")
        assert w.next_stored() == "3571"  # the others go on
        hd.append(citizen_mail(), office="3576")
        assert w.next_stored() == "3576"  # ... and the dropped one came back
        assert proxy.connections == 2
        assert {c: w.workers[c].client for c in others} == others  # never reconnected
    status = json.loads((hd.data_dir / "status" / "3576.json").read_text())
    assert "closed by the server" in status["last_error"]
    assert sorted(t.office for t in hd.tickets()) == ["3571", "3576"]


def test_a_polled_mailbox_goes_on_beside_idling_ones(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("3576", "3571"))
    hd.settings_path.write_text(
        hd.settings_path.read_text().replace(
            f'username = "{hd.users["3576"]}"', f'username = "{hd.users["3576"]}"\nidle = false', 1
        )
    )
    with watching(hd) as w:
        assert not w.workers["3576"].uses_idle and w.workers["3571"].idling
        hd.append(citizen_mail(), office="3576")
        hd.append(citizen_mail(sender="Warga Kediri <kediri@example.org>", to="bps3571@bps.go.id"), office="3571")
        assert {w.next_stored(), w.next_stored()} == {"3576", "3571"}
    assert sorted(t.office for t in hd.tickets()) == ["3571", "3576"]
    assert all(b"$PSTProcessed" in flags for o in ("3576", "3571") for flags in hd.flags(o).values())


def test_daemon_acknowledges_mail_to_each_of_several_mailboxes_and_stops_on_sigterm(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=OFFICES)
    proc = hd.spawn("run")
    try:
        for i, office in enumerate(OFFICES):
            hd.append(
                citizen_mail(sender=f"Warga {i} <warga{i}@example.org>", to=f"bps{office}@bps.go.id"), office=office
            )
        acks = hd.to_citizens(3, timeout=30)
        assert sorted(a.message["From"].addresses[0].addr_spec for a in acks) == sorted(
            f"bps{o}@bps.go.id" for o in OFFICES
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "all 3 mailboxes connected" in err and "stopped cleanly" in err


def test_idle_is_renewed_on_the_same_connection_and_mail_still_comes(tmp_path, dovecot, smtp_sink, monkeypatch):
    """RFC 2177: a server may drop an IDLE after 29 minutes; the waiter renews it before (here every
    0.2 s instead of 24 minutes), without logging in again."""
    monkeypatch.setattr("helpdesk.inbound.waiter.IDLE_RENEW_SECONDS", 0.2)
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("3576",))
    with watching(hd) as w:
        worker = w.workers["3576"]
        first = worker.client
        renewed = threading.Event()
        sync = worker.sync

        def noted() -> int:
            if w.syncs["3576"] >= 4:  # the first round, then three renewals
                renewed.set()
            return sync()

        worker.sync = noted
        assert renewed.wait(20)
        hd.append(citizen_mail())
        assert w.next_stored() == "3576"
        assert worker.client is first
    [ticket] = hd.tickets()
    assert ticket.office == "3576"
