"""`helpdesk check` finds every mistake before the first mail, all in one run; one declaration per setting."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpdesk import config
from helpdesk.checks import data_dir_problems, problems
from helpdesk.declare import CONVERT, declared, table_rows

REPO = Path(__file__).resolve().parents[2]
ENV = {"HELPDESK_SECRET": "s" * 32}
MINIMAL = """
[helpdesk]
secret = "env:HELPDESK_SECRET"
[[offices]]
code = "3576"
name = "BPS Kota Mojokerto"
address = "bps3576@bps.go.id"
[offices.imap]
host = "127.0.0.1"
"""


def check(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    settings, found = config.read(path, env=ENV if env is None else env)
    assert settings is not None
    return found + problems(settings) + data_dir_problems(settings)


def test_only_the_required_keys_need_no_repository_beside_them(tmp_path):
    assert check(tmp_path, MINIMAL) == []


def test_mistyped_keys_and_sections_name_the_closest_known_one(tmp_path):
    text = MINIMAL.replace("[[offices]]", "[smpt]\nhost = 'x'\n[[offices]]").replace(
        'address = "bps3576@bps.go.id"',
        'address = "bps3576@bps.go.id"\nreply_dayz = 3\ntimezon = "Asia/Jayapura"\nsupervisor = ["pst3576@bps.go.id"]',
    )
    path = tmp_path / "settings.toml"
    found = check(tmp_path, text)
    assert f"{path}: smpt: unknown section; did you mean smtp?" in found
    assert f"{path}: offices[0].reply_dayz: unknown key; did you mean reply_days?" in found
    assert f"{path}: offices[0].timezon: unknown key; did you mean timezone?" in found
    assert f"{path}: offices[0].supervisor: unknown key; did you mean supervisors?" in found


def test_a_key_in_the_wrong_section_names_where_it_belongs(tmp_path):
    found = check(tmp_path, MINIMAL.replace("[helpdesk]", "[helpdesk]\nreply_days = 3"))
    assert found == [
        f"{tmp_path / 'settings.toml'}: helpdesk.reply_days: unknown key; did you mean offices[].reply_days?"
    ]


def test_an_operators_team_must_be_a_team_of_its_office(tmp_path):
    text = (
        MINIMAL
        + """
[[teams]]
office = "3576"
name = "konsultasi"
[[operators]]
name = "Rina"
address = "rina@bps.go.id"
office = "3576"
team = "konsultsi"
"""
    )
    assert check(tmp_path, text) == [
        f"{tmp_path / 'settings.toml'}: operators[0].team: 'konsultsi' is not a "
        "team of office 3576; did you mean konsultasi?"
    ]


def test_a_rules_file_for_an_office_not_configured_is_named(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "3567.toml").write_text('office = "3567"\n[default]\ncategory = "umum"\n')
    found = check(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\nrules_dir = "rules"'))
    assert found == [f"{rules}/3567.toml:1: office '3567' is not configured; configured: 3576"]


def test_a_template_naming_what_no_caller_gives_is_found_in_either_language(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "acknowledgement.en.txt").write_text("Subject: [{{ ticket.number }}]\n\n{{ ticket.numbr }}\n")
    (own / "reminder.id.txt").write_text("Subject: x\n\nBatas {{ tenggat }}\n")
    found = check(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\ntemplates_dir = "templates"'))
    assert found == [
        f"{own}/acknowledgement.en.txt:3: 'helpdesk.model.Ticket object' has no attribute 'numbr' "
        "(rendered with a sample ticket, language en)",
        f"{own}/reminder.id.txt:3: 'tenggat' is undefined (rendered with a sample ticket, language id)",
    ]


def test_a_mistyped_template_file_name_is_named(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "acknowledgment.id.txt").write_text("Subject: x\n\ny\n")
    found = check(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\ntemplates_dir = "templates"'))
    assert found == [
        f"{own}/acknowledgment.id.txt: not a template the helpdesk uses; did you mean acknowledgement.id.txt?"
    ]


def test_every_shipped_template_renders_with_its_sample_context(tmp_path):
    settings = config.load(REPO / "settings.toml", env={"HELPDESK_SECRET": "s" * 32}, need_passwords=False)
    from helpdesk.checks import render_problems
    from helpdesk.outbound.compose import Templates

    assert render_problems(Templates(), settings.offices) == []


def test_a_data_directory_that_cannot_be_made_is_a_problem(tmp_path):
    (tmp_path / "afile").write_text("")
    found = check(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\ndata_dir = "afile/var"'))
    assert found == [
        f"{tmp_path / 'settings.toml'}: helpdesk.data_dir: data directory missing: "
        f"{tmp_path / 'afile' / 'var'} (nor {tmp_path / 'afile'} exists: a disk not mounted?)"
    ]
    assert check(tmp_path, MINIMAL.replace("[helpdesk]", '[helpdesk]\ndata_dir = "new"')) == []
    assert not (tmp_path / "new").exists()  # check makes nothing


def test_every_problem_comes_in_one_run(tmp_path):
    """A settings mistake does not hide the template and rules mistakes behind it."""
    own = tmp_path / "templates"
    own.mkdir()
    (own / "answer.id.txt").write_text("Subject: x\n\n{{ jawaban }}\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "3576.toml").write_text('office = "3576"\n[[rules]]\nname = "x"\nwhen.subjek = ["a"]\nthen.team = "a"\n')
    text = MINIMAL.replace(
        "[helpdesk]", '[helpdesk]\ntemplates_dir = "templates"\nrules_dir = "rules"\ndata_dir = "settings.toml/var"'
    ).replace("[offices.imap]", "tz = 1\n[offices.imap]")
    found = check(tmp_path, text, env={})
    assert [re.sub(r"^\S+?: ", "", p.replace(str(tmp_path), "")) for p in found] == [
        "helpdesk.secret: environment variable HELPDESK_SECRET is not set",
        f"offices[0].tz: unknown key; known: {', '.join([*declared(config.Office), 'imap'])}",
        "'jawaban' is undefined (rendered with a sample ticket, language id)",
        "rule 'x': when.subjek: unknown condition; known: " + found[3].split("known: ")[1],
        "helpdesk.data_dir: data directory missing: /settings.toml/var (nor /settings.toml exists: "
        "a disk not mounted?)",
    ]


def test_the_readme_configuration_table_is_the_declarations():
    readme = (REPO / "README.md").read_text()
    table = readme.split("<!-- settings table: `helpdesk settings` -->\n")[1].split("\n\n")[0]
    assert table.splitlines() == table_rows(config.SECTIONS)


def test_every_declared_setting_has_a_meaning_and_a_type_the_loader_reads():
    for cls in config.SECTIONS.values():
        for name, f in declared(cls).items():
            assert f.metadata["meaning"], name
            assert str(f.type) in CONVERT, (cls.__name__, name, f.type)


def test_settings_command_prints_the_table():
    out = subprocess.run(
        [sys.executable, "-m", "helpdesk", "settings"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        cwd="/",
    )
    assert out.returncode == 0
    assert out.stdout.splitlines() == table_rows(config.SECTIONS)
