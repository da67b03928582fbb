"""rules/*.toml loading: order, scopes, defaults, and every problem named with its file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpdesk.config import Operator, Team
from helpdesk.routing import rules as rules_mod
from helpdesk.routing.route import RECHECK, rules_for
from helpdesk.routing.rules import RulesError, load_rules

REPO_RULES = Path(__file__).resolve().parents[3] / "rules"


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(RulesError) as exc:
        load_rules(write(tmp_path, files))
    return [p.replace(str(tmp_path) + "/", "") for p in exc.value.problems]


def test_shipped_rules_load_and_cover_the_five_offices():
    rules = load_rules(REPO_RULES)
    for code in ("3576", "3571", "3514", "8200", "7604"):
        office_rules, default = rules.for_office(code)
        assert default and default["team"], code
        assert any(r.name == "pengaduan" for r in office_rules), code


def test_files_run_in_name_order_and_scope_by_office(tmp_path):
    write(
        tmp_path,
        {
            "3576.toml": 'office = "3576"\n[default]\nteam = "a"\n[[rules]]\nname = "b"\nwhen.sensus = 1\n'.replace(
                "when.sensus = 1", 'when.words = ["x"]\nthen.tags = ["b"]'
            ),
            "00-shared.toml": '[[rules]]\nname = "s"\nwhen.language = "en"\nthen.tags = ["en"]\n',
            "3571.toml": 'office = "3571"\n[[rules]]\nname = "k"\nwhen.words = ["y"]\nthen.team = "k"\n',
        },
    )
    rules = load_rules(tmp_path)
    office_rules, default = rules.for_office("3576")
    assert [r.name for r in office_rules] == ["s", "b"]
    assert default == {"team": "a"}
    assert [r.name for r in rules.for_office("3571")[0]] == ["s", "k"]
    assert rules.for_office("8200") == ([rules.rules[0][1]], None)
    assert office_rules[1].where == "3576.toml:4"


def test_shared_default_serves_offices_without_their_own(tmp_path):
    write(
        tmp_path,
        {
            "00.toml": '[default]\nteam = "umum"\n',
            "3576.toml": 'office = "3576"\n[default]\nteam = "konsultasi"\n',
        },
    )
    rules = load_rules(tmp_path)
    assert rules.for_office("3576")[1] == {"team": "konsultasi"}
    assert rules.for_office("7604")[1] == {"team": "umum"}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"\nthen.team = "t"\n',
            "3576.toml:4: Unclosed array",
        ),
        (
            'office = "3576"\n\n[[rules]]\nname = "a"\nwhen.colour = "red"\nthen.team = "t"\n',
            "3576.toml:5: rule 'a': when.colour: unknown condition; known: office, recipient, sender, "
            "sender_domain, subject_words, body_words, words, subject_regex, body_regex, attachment, "
            "attachment_type, language, complaint",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"]\nthen.team = "t"\n\n[[rules]]\nname = "b"\n'
            'when.subject_regex = "(unclosed"\nthen.team = "t"\n',
            "3576.toml:8: rule 'b': when.subject_regex: bad regular expression '(unclosed': missing ), "
            "unterminated subpattern at position 0",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"]\nthen.priority = "penting"\n',
            "3576.toml:4: rule 'a': then.priority: expected one of low, normal, high, urgent, got 'penting'",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"]\nthen.reply_days = 0\n',
            "3576.toml:4: rule 'a': then.reply_days: expected working days from 1 to 30, got 0",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"]\nthen.tim = "t"\n',
            "3576.toml:4: rule 'a': then.tim: unknown action; known: team, operator, category, priority, "
            "reply_days, tags, stop",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.words = ["x"]\n',
            "3576.toml:1: rule 'a': no then.* action: the rule would do nothing",
        ),
        (
            '\n[[rules]]\nwhen.words = ["x"]\nthen.team = "t"\n',
            "3576.toml:2: rules[0]: missing name",
        ),
        (
            '[[rules]]\nname = "a"\nwhen.attachment = "ya"\nthen.team = "t"\n',
            "3576.toml:3: rule 'a': when.attachment: expected true or false, got 'ya'",
        ),
        (
            '[[rules]]\nname = "a"\nif.words = ["x"]\nthen.team = "t"\n',
            "3576.toml:3: rules[0].if: unknown key; a rule has name, when.* and then.*",
        ),
        (
            'officer = "3576"\n',
            "3576.toml:1: officer: unknown key; a rules file has office, [default] and [[rules]]",
        ),
        (
            '[default]\nteam = ""\n',
            "3576.toml:2: default.team: expected a non-empty string, got ''",
        ),
    ],
)
def test_problem_names_file_and_line(tmp_path, text, expected):
    assert problems(tmp_path, {"3576.toml": text}) == [expected]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    found = problems(
        tmp_path,
        {
            "a.toml": '[[rules]]\nname = "x"\nwhen.nope = 1\nthen.team = "t"\n',
            "b.toml": '[[rules]]\nname = "y"\nwhen.words = ["z"]\nthen.stop = "ya"\n',
        },
    )
    assert [p.split(":")[0] + ":" + p.split(":")[1] for p in found] == ["a.toml:3", "b.toml:4"]


def test_second_default_for_an_office_is_refused(tmp_path):
    found = problems(
        tmp_path,
        {
            "a.toml": 'office = "3576"\n[default]\nteam = "a"\n',
            "b.toml": 'office = "3576"\n\n[default]\nteam = "b"\n',
        },
    )
    assert found == ["b.toml:3: second default for office 3576; the first is at a.toml:2"]


def settings(rules_dir: Path, operators=(), teams=()) -> SimpleNamespace:
    return SimpleNamespace(
        rules_dir=rules_dir,
        offices=[SimpleNamespace(code="3576")],
        operators=list(operators),
        teams=list(teams),
    )


def test_check_names_team_and_operator_nobody_has(tmp_path):
    write(
        tmp_path,
        {
            "3576.toml": 'office = "3576"\n[default]\nteam = "konsultasi"\n\n[[rules]]\nname = "p"\n'
            'when.complaint = true\nthen.team = "pengaduan"\nthen.operator = "x@bps.go.id"\n'
        },
    )
    staff = [Operator("Rina", "rina@bps.go.id", "3576", "konsultasi")]
    assert rules_mod.check(settings(tmp_path, staff)) == [
        f"{tmp_path}/3576.toml:5: team 'pengaduan' has no operators in office 3576",
        f"{tmp_path}/3576.toml:5: operator x@bps.go.id is not configured for office 3576",
    ]
    # A team declared in settings is known even before it has members; an office without any
    # operator yet is not an error (its tickets wait unassigned, the digest lists them).
    assert rules_mod.check(settings(tmp_path, staff + [Operator("X", "x@bps.go.id", "3576", "pengaduan")])) == []
    assert rules_mod.check(settings(tmp_path, staff, [Team("pengaduan", "3576")]))[-1].endswith(
        "operator x@bps.go.id is not configured for office 3576"
    )
    assert rules_mod.check(settings(tmp_path)) == []


def test_check_reports_syntax_problems_with_file_and_line(tmp_path):
    write(tmp_path, {"x.toml": '[[rules]]\nname = "a"\nwhen.words = ["x"]\nthen.priority = 3\n'})
    [problem] = rules_mod.check(settings(tmp_path))
    assert problem.startswith(f"{tmp_path}/x.toml:4: rule 'a': then.priority")


def test_shipped_settings_and_rules_check_clean():
    from helpdesk import config

    env = {"HELPDESK_SECRET": "x" * 20}
    env.update({f"IMAP_PASSWORD_{c}": "pw" for c in ("3576", "3571", "3514", "8200", "7604")})
    settings = config.load(REPO_RULES.parent / "settings.toml", env=env)
    assert rules_mod.check(settings) == []
    # Every office has a team that the rules name, with at least one operator in it.
    for office in settings.offices:
        default = load_rules(settings.rules_dir).for_office(office.code)[1]
        assert any(op.office == office.code and op.team == default["team"] for op in settings.operators)


def test_an_edited_rule_file_is_read_again_once_the_clock_passed_the_recheck_time(tmp_path):
    rule = '[[rules]]\nname = "{name}"\nwhen.words = ["x"]\nthen.team = "t"\n'
    write(tmp_path, {"10-a.toml": rule.format(name="lama")})
    settings = SimpleNamespace(rules_dir=str(tmp_path))
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert [r.name for _, r in rules_for(settings, start).rules] == ["lama"]
    write(tmp_path, {"10-a.toml": rule.format(name="baru"), "20-b.toml": rule.format(name="kedua")})
    # The clock has not moved: the cache stands, however fast the machine looks at it.
    assert [r.name for _, r in rules_for(settings, start + RECHECK / 2).rules] == ["lama"]
    assert [r.name for _, r in rules_for(settings, start + RECHECK).rules] == ["baru", "kedua"]
