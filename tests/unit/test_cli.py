"""The command line teaches: help on every option, an example per command, --version, clear one-line
errors instead of tracebacks, ticket numbers in any case."""

from __future__ import annotations

import argparse

import pytest

from helpdesk import __version__, cli
from tests.deskharness import Desk
from tests.mailfactory import citizen_mail

SETTINGS = """
[helpdesk]
secret = "env:HELPDESK_SECRET"
[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"
"""


def _parsers(parser: argparse.ArgumentParser, path: str = "helpdesk"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_has_help_and_every_command_a_description_and_an_example():
    for path, parser in _parsers(cli.build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                assert action.help, f"{path} {action.option_strings or action.dest}"
        if path.count(" ") == 1:
            assert parser.description and parser.epilog.startswith(f"example: {path}"), path


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"helpdesk (pst-helpdesk) {__version__}\n"


@pytest.mark.parametrize(
    "args, says",
    [
        (["report", "--office", "3576", "-o", "/nonexistent/dir/r.html"], "folder /nonexistent/dir does not exist"),
        (["export", "-o", "/nonexistent/x.csv"], "folder /nonexistent does not exist"),
        (["report", "--office", "3576", "-o", "/tmp"], "/tmp is a folder; name a file in it"),
        (["--log-level", "foo", "tickets"], "invalid choice: 'FOO'"),
    ],
)
def test_a_users_mistake_is_one_clear_line_and_a_non_zero_exit(tmp_path, monkeypatch, capsys, args, says):
    (tmp_path / "settings.toml").write_text(SETTINGS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPDESK_SECRET", "s" * 20)
    with pytest.raises(SystemExit) as done:
        cli.main(args)
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert says in err.splitlines()[-1] and "Traceback" not in err


def test_ticket_numbers_are_accepted_in_any_case(tmp_path, capsys):
    desk = Desk(tmp_path)
    desk.deliver(citizen_mail())
    desk.app.store.commit()
    assert cli.main(["--config", str(tmp_path / "settings.toml"), "show", "pst-3576-2026-000001"]) == 0
    assert "PST-3576-2026-000001" in capsys.readouterr().out
