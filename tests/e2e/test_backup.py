"""A data folder copied while the service is stopped and restored, even to another place, resumes:
nothing it holds is taken or sent twice, and new mail goes on from there."""

from __future__ import annotations

import shutil

from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail


def test_a_restored_copy_of_the_data_folder_resumes_without_duplicates(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path / "live", dovecot, smtp_sink)
    hd.append(citizen_mail(subject="Data inflasi"))
    assert hd.cli("run", "--once").returncode == 0
    backup = tmp_path / "backup"
    shutil.copytree(hd.data_dir, backup)  # taken while nothing runs
    shutil.rmtree(hd.data_dir)  # the disk is lost
    hd.data_dir = tmp_path / "elsewhere"
    shutil.copytree(backup, hd.data_dir)  # restored, on another disk
    hd.env["HELPDESK_DATA_DIR"] = str(hd.data_dir)
    hd.append(citizen_mail(subject="Data kemiskinan"))
    assert hd.cli("run", "--once").returncode == 0
    assert [t.subject for t in hd.tickets()] == ["Data inflasi", "Data kemiskinan"]
    assert sorted(str(m.message["Subject"]).split("] ", 1)[1] for m in hd.to_citizens(2)) == [
        "Permintaan Anda telah kami terima: Data inflasi",
        "Permintaan Anda telah kami terima: Data kemiskinan",
    ]
    shown = hd.cli("show", hd.tickets()[0].number)
    assert shown.returncode == 0 and "Data inflasi" in shown.stdout
