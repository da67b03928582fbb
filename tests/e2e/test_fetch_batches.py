"""A mailbox round against the test Dovecot (inbound.mailbox): what waits is split into batches by
count and by size, only the mails that could make a batch too big having their sizes fetched; the
whole mails are read as imapclient reads them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpdesk.app import App
from helpdesk.clock import SystemClock
from helpdesk.inbound import mailbox
from helpdesk.inbound.intake import Intake
from helpdesk.inbound.mailbox import MailboxWorker
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

LIMIT = 40_000  # MAX_BATCH_BYTES for these tests: a batch of 4 gives each mail a share of 10,000


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink)


def split(hd: Helpdesk, batch_size: int) -> tuple[list[list[int]], list[list[int]]]:
    """The batches of every waiting mail, and the UIDs whose sizes were fetched for them."""
    settings = hd.settings()
    office = settings.office("3576")
    worker = MailboxWorker(office, Intake(App.build(settings, SystemClock())))
    assert worker.imap is not None
    worker.imap = replace(worker.imap, batch_size=batch_size)
    client = worker.connect()
    try:
        client.select_folder("INBOX", readonly=True)
        asked: list[list[int]] = []
        fetch = client.fetch

        def spy(uids, data, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            asked.append(list(uids))
            return fetch(uids, data, *args, **kwargs)

        client.fetch = spy
        return worker._batches(client, sorted(client.search(["ALL"]))), asked
    finally:
        worker.disconnect()


def test_only_mails_larger_than_a_share_are_measured_and_no_batch_outgrows_the_limit(hd, monkeypatch):
    monkeypatch.setattr(mailbox, "MAX_BATCH_BYTES", LIMIT)
    padding = {3: 20_000, 7: 30_000, 11: 50_000}  # the rest are a few hundred bytes
    sizes = {}
    for n in range(1, 13):
        raw = citizen_mail(message_id=f"<b{n}@example.org>", body="Mohon data. " + "x" * padding.get(n, 0))
        sizes[hd.append(raw)] = len(raw)
    uids = sorted(sizes)
    batches, asked = split(hd, batch_size=4)
    big = [u for u in uids if sizes[u] > LIMIT // 4]
    assert asked == [big] and len(big) == 3
    assert [u for b in batches for u in b] == uids
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or sum(sizes[u] for u in batch) <= LIMIT
    assert [uids[10]] in batches  # larger than the limit: alone


def test_ordinary_mail_is_batched_by_count_without_fetching_a_size(hd):
    uids = [hd.append(citizen_mail(message_id=f"<o{n}@example.org>")) for n in range(30)]
    batches, asked = split(hd, batch_size=200)
    assert asked == []
    assert [len(b) for b in batches] == [mailbox.FIRST_BATCH, 30 - mailbox.FIRST_BATCH]
    assert [u for b in batches for u in b] == sorted(uids)


def test_whole_mails_are_read_as_imapclient_reads_them(hd, monkeypatch):
    def unused(*args):  # noqa: ANN002, ANN202
        raise AssertionError("Dovecot's usual answer went to imapclient's parser")

    odd = b'Subject: (kurung) {12}\r\nFrom: a@example.org\r\n\r\nisi \xff\xfe ) "kutip"\r\n'
    uids = [hd.append(citizen_mail(message_id=f"<w{n}@example.org>")) for n in range(3)] + [hd.append(odd)]
    with hd.dovecot.client(hd.users["3576"]) as client:
        client.normalise_times = False  # as the mailbox worker reads INTERNALDATE
        client.select_folder("INBOX", readonly=True)
        with monkeypatch.context() as patched:
            patched.setattr(mailbox, "parse_fetch_response", unused)
            ours = mailbox.fetch_bodies(client, uids)
        theirs = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
    assert sorted(ours) == uids
    assert ours == {uid: dict(items) for uid, items in theirs.items()}
    assert ours[uids[-1]][b"BODY[]"] == odd
