"""The spool keeps each fetched batch in one mbox file and gives back every mail's exact bytes."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta, timezone

import pytest

from helpdesk.tickets.spool import Spool

WIB = timezone(timedelta(hours=7))
AT = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)

TRICKY = [
    b"From: a@example.org\r\nSubject: one\r\n\r\nFrom here on, a line starting with From.\r\n",
    b"From: b@example.org\r\nSubject: two\r\n\r\n>From quoted already\r\n>>From twice\r\nFrom \r\n",
    b"Subject: no final newline\r\n\r\nbody",
    b"",
    bytes(range(256)),
]


def test_every_mail_of_a_batch_reads_back_byte_for_byte(tmp_path):
    spool = Spool(tmp_path)
    refs = spool.put_inbound_batch([(raw, AT) for raw in TRICKY])
    assert [spool.read(ref) for ref in refs] == TRICKY


def test_a_batch_is_one_mbox_file_a_mail_client_can_open(tmp_path):
    spool = Spool(tmp_path)
    refs = spool.put_inbound_batch([(raw, AT + timedelta(minutes=i)) for i, raw in enumerate(TRICKY[:3])])
    files = list((tmp_path / "spool" / "in" / "2026" / "11").iterdir())
    assert [f.suffix for f in files] == [".mbox"]
    assert {ref.rpartition(".mbox:")[0] + ".mbox" for ref in refs} == {str(files[0].relative_to(tmp_path / "spool"))}
    subjects = [m["Subject"] for m in mailbox.mbox(files[0])]
    assert subjects == ["one", "two", "no final newline"]


def test_the_same_batch_twice_is_written_once(tmp_path):
    spool = Spool(tmp_path)
    first = spool.put_inbound_batch([(TRICKY[0], AT), (TRICKY[1], AT)])
    path = tmp_path / "spool" / first[0].split(":")[0]
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert spool.put_inbound_batch([(TRICKY[0], AT), (TRICKY[1], AT)]) == first
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_a_reference_outside_the_spool_is_refused(tmp_path):
    spool = Spool(tmp_path)
    with pytest.raises(ValueError, match="escapes"):
        spool.read("../../etc/passwd.mbox:0:10")
    with pytest.raises(ValueError, match="escapes"):
        spool.read("../outside.eml")


def test_a_truncated_batch_file_is_an_error_not_a_short_mail(tmp_path):
    spool = Spool(tmp_path)
    ref = spool.put_inbound_batch([(TRICKY[0], AT)])[0]
    path = tmp_path / "spool" / ref.split(":")[0]
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ValueError, match="shorter"):
        spool.read(ref)


def test_mail_spooled_as_single_files_before_batches_still_reads(tmp_path):
    spool = Spool(tmp_path)
    old = tmp_path / "spool" / "in" / "2026" / "10" / "abc.eml"
    old.parent.mkdir(parents=True)
    old.write_bytes(TRICKY[0])
    assert spool.read("in/2026/10/abc.eml") == TRICKY[0]
