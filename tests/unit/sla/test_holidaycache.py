"""The national holidays kept on disk: the same days and names as the package, never a broken deadline."""

from __future__ import annotations

import json
import logging
from datetime import date

import holidays
import pytest

from helpdesk.sla import holidaycache
from helpdesk.sla.holidaycache import national_holidays, package_version
from helpdesk.sla.workdays import ADDED_NAME, WorkingCalendar
from tests.unit.sla.seed import WIB

YEARS = (2019, 2024, 2025, 2026, 2027, 2030)


@pytest.fixture(autouse=True)
def fresh_lookups():
    """Each test reads and writes its own files: the per-process memo would answer from an earlier one."""
    national_holidays.cache_clear()
    yield
    national_holidays.cache_clear()


def package(year: int) -> list[tuple[date, str]]:
    return sorted(
        holidays.country_holidays("ID", categories=("public", "government"), years=year, language="id").items()
    )


@pytest.mark.parametrize("year", YEARS)
def test_written_then_read_back_the_days_are_the_packages(tmp_path, year):
    computed = national_holidays(year, tmp_path)
    assert (tmp_path / f"holidays-ID-{year}.json").is_file()
    national_holidays.cache_clear()
    assert list(national_holidays(year, tmp_path)) == package(year) == list(computed)


def test_a_current_file_answers_without_the_package(tmp_path, monkeypatch):
    national_holidays(2026, tmp_path)
    national_holidays.cache_clear()

    def not_asked(year):
        raise AssertionError("the package was asked although the file is current")

    monkeypatch.setattr(holidaycache, "from_package", not_asked)
    assert list(national_holidays(2026, tmp_path)) == package(2026)


def test_the_file_is_stamped_with_the_installed_package_version(tmp_path):
    national_holidays(2026, tmp_path)
    kept = json.loads((tmp_path / "holidays-ID-2026.json").read_text())
    assert package_version() == holidays.__version__ == kept["version"]
    assert kept["year"] == 2026 and kept["query"] == holidaycache.QUERY


def test_a_file_of_another_package_version_is_stale_and_replaced(tmp_path):
    path = tmp_path / "holidays-ID-2026.json"
    national_holidays(2026, tmp_path)
    kept = json.loads(path.read_text())
    kept["version"], kept["days"] = "0.1", [["2026-11-23", "Hari dari paket lama"]]
    path.write_text(json.dumps(kept))
    national_holidays.cache_clear()
    assert list(national_holidays(2026, tmp_path)) == package(2026)
    assert json.loads(path.read_text())["version"] == holidays.__version__


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 1}',
        b"\xff\xfe",
        "year",  # stamped right, but another year's days inside
        "days",  # stamped right, a day that is not a date
        "name",  # stamped right, a name carrying a line of its own into `calendar`'s output
        "repeated",  # stamped right, one day twice (the later name would win silently)
        "number",  # stamped right, a name that is not text
        b'{"format": 1, "days": [' + b'["2026-01-01", "x"], ' * 4000 + b"]}",  # far over a year's size
    ],
)
def test_a_damaged_file_is_logged_and_the_package_answers(tmp_path, caplog, content):
    path = tmp_path / "holidays-ID-2026.json"
    if isinstance(content, str):
        national_holidays(2026, tmp_path)
        kept = json.loads(path.read_text())
        change = {
            "year": lambda: kept.update(year=2025),
            "days": lambda: kept["days"].append(["kemarin", "?"]),
            "name": lambda: kept["days"][0].__setitem__(1, "Tahun Baru\nPST ditutup selamanya"),
            "repeated": lambda: kept["days"].insert(1, [kept["days"][0][0], "Libur lain"]),
            "number": lambda: kept["days"][0].__setitem__(1, 7),
        }
        change[content]()
        content = json.dumps(kept).encode()
    path.write_bytes(content)
    national_holidays.cache_clear()
    with caplog.at_level(logging.WARNING, logger="helpdesk.sla.holidaycache"):
        assert list(national_holidays(2026, tmp_path)) == package(2026)
    assert "damaged" in caplog.text
    national_holidays.cache_clear()
    assert list(national_holidays(2026, tmp_path)) == package(2026)  # written again, read clean
    assert json.loads(path.read_text())["year"] == 2026


def test_an_unwritable_folder_is_logged_quietly_and_the_deadline_still_counted(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.DEBUG, logger="helpdesk.sla.holidaycache"):
        cal = WorkingCalendar(WIB, cache=blocked)
        assert not cal.is_working_day(date(2026, 12, 24))  # cuti bersama Natal
        assert cal.closed_days(2026) == package(2026)
    # Quietly: a full or read-only disk is said once by check, status and run (tests/e2e/test_faults.py).
    assert "not written" in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_offices_own_closures_apply_on_top_of_the_kept_days(tmp_path):
    national_holidays(2026, tmp_path)
    national_holidays.cache_clear()
    cal = WorkingCalendar(WIB, add=(date(2026, 11, 23),), remove=(date(2026, 12, 24),), cache=tmp_path)
    days = dict(cal.closed_days(2026))
    assert days[date(2026, 11, 23)] == ADDED_NAME
    assert date(2026, 12, 24) not in days
    assert days[date(2026, 12, 25)] == dict(package(2026))[date(2026, 12, 25)]


def test_a_lookup_never_makes_the_data_folder_itself(tmp_path):
    # The installation makes it with the service's owner and mode; a command run as another user must not.
    missing = tmp_path / "var" / "cache"
    assert list(national_holidays(2026, missing)) == package(2026)
    assert not (tmp_path / "var").exists()
