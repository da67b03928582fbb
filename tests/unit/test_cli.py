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


def test_a_command_parsed_with_its_parser_alone_reads_as_with_every_parser(capsys):
    # main() builds only the parser of the command it runs (argparse's build is a tenth of a start).
    valid = [
        ["--config", "s.toml", "status"],
        ["--log-level", "debug", "--config=s.toml", "tickets", "--all", "--json"],
        ["--log-level=warning", "run", "--once", "--now", "2026-12-23T10:00:00+07:00"],
        ["quarantine", "show", "3576:1:2"],
        ["report", "--office", "3576", "--month", "2026-11"],
        ["search", "inflasi", "--office", "3576"],
        ["mails", "--not-ticketed"],
        ["route", "--explain", "m.eml", "--office", "3576"],
    ]
    for argv in valid:
        assert cli.command_in(argv) == argv[[i for i, t in enumerate(argv) if t in cli.COMMANDS][0]]
        assert vars(cli.build_parser(cli.command_in(argv)).parse_args(argv)) == vars(
            cli.build_parser().parse_args(argv)
        )
    for name, sub in _parsers(cli.build_parser()):
        if name.count(" ") == 1:
            alone = dict(_parsers(cli.build_parser(name.split()[1])))[name]
            assert alone.format_help() == sub.format_help(), name
    # Whatever could make the first word something else than the command builds every parser.
    for argv in (["--help", "status"], ["--conf", "check", "status"], ["--version"], ["statu"], ["-h"], []):
        assert cli.command_in(argv) is None, argv


def test_a_wrong_argument_to_a_command_says_what_the_whole_parser_says(capsys):
    with pytest.raises(SystemExit):
        cli.main(["show", "PST-3576-2026-000001", "--bogus"])
    alone = capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["show", "PST-3576-2026-000001", "--bogus"])
    assert alone == capsys.readouterr().err and "unrecognized arguments: --bogus" in alone


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
