"""Compiled templates kept in the data folder: the same mail, a broken template still found, never a failed render."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from jinja2.bccache import bc_magic

from helpdesk.outbound.compose import Templates

TICKET = SimpleNamespace(number="PST-3576-2026-000001", subject="Data", requester_name="")
OFFICE = SimpleNamespace(name="BPS Kota Mojokerto", address="bps3576@bps.go.id", phone="", website="", complaints="")


def render(templates: Templates, name: str = "closed"):
    return templates.render(name, "id", ticket=TICKET, office=OFFICE, reason="", closed_text="hari ini")


@pytest.fixture
def cache(tmp_path):
    (tmp_path / "var").mkdir()  # the data folder of an installation
    return tmp_path / "var" / "cache"


def not_compiled(*args, **kwargs):
    raise AssertionError("compiled although a current compiled copy is kept")


def test_a_second_run_renders_the_same_mail_without_compiling(cache):
    first = render(Templates(cache_dir=cache))
    assert list((cache / "templates").iterdir())
    again = Templates(cache_dir=cache)
    again.env.compile = not_compiled  # type: ignore[method-assign]
    assert render(again) == first == render(Templates())


def test_an_edited_template_is_compiled_again_and_a_broken_one_still_reported(tmp_path, cache):
    own = tmp_path / "office"
    own.mkdir()
    (own / "closed.id.txt").write_text("Subject: Ditutup {{ ticket.number }}\n\nSelesai.\n")
    assert render(Templates(own, cache)).subject == "Ditutup PST-3576-2026-000001"
    (own / "closed.id.txt").write_text("Subject: Ditutup {{ ticket.number }}\n\nSelesai lagi.\n")
    assert render(Templates(own, cache)).text == "Selesai lagi.\n"
    (own / "closed.id.txt").write_text("Subject: x\n{% if %}")
    assert any("closed.id.txt" in p for p in Templates(own, cache).check(["closed"]))


def test_a_damaged_compiled_copy_is_logged_once_and_the_template_compiled(cache, caplog):
    expected = render(Templates(cache_dir=cache))
    for path in (cache / "templates").iterdir():
        path.write_bytes(bc_magic + b"\x80\x05garbage")  # Jinja2's header, then no checksum but junk
    with caplog.at_level(logging.WARNING, logger="helpdesk.outbound.templatecache"):
        templates = Templates(cache_dir=cache)
        assert render(templates) == expected
        assert render(templates, "closed").subject == expected.subject
    assert caplog.text.count("templates are compiled") == 1  # once, however many templates
    again = Templates(cache_dir=cache)
    again.env.compile = not_compiled  # type: ignore[method-assign]
    assert render(again) == expected  # the damaged copy was written again whole


def test_an_unwritable_cache_is_logged_quietly_and_the_mail_still_rendered(cache, caplog):
    cache.mkdir()
    (cache / "templates").write_text("a file where the folder should be")
    with caplog.at_level(logging.DEBUG, logger="helpdesk.outbound.templatecache"):
        assert render(Templates(cache_dir=cache)) == render(Templates())
    # A full or read-only disk is said once by check, status and run (tests/e2e/test_faults.py).
    assert "not written" in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_data_folder_no_cache_made(tmp_path):
    render(Templates(cache_dir=tmp_path / "var" / "cache"))
    assert not (tmp_path / "var").exists()
