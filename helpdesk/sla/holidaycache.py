"""Indonesia's national holidays of one year: from the `holidays` package, kept in a small file (stage 6).

The package finds Indonesia's class by importing every country's module: 0.2-0.4 s on a busy machine,
more than a whole `helpdesk calendar` or `deadline` may take, and CPU the starting daemon's warm-up
takes from the mail intake. So the year's list, once computed, is kept as
`<data_dir>/cache/holidays-ID-<year>.json`, stamped with the package's version and the question asked
of it: an upgraded package (a new decree of cuti bersama) or a changed question makes it stale, and
the package is asked again. The file is data, never code (JSON, read only as dates and names), and is
held to what the package can answer: at most MAX_BYTES, each day a date of that year once, in order,
each name a short line of printable text; anything else counts as damaged. The file is only a
shortcut, so a deadline never depends on it: a damaged one is logged as a warning and the package
answers; a folder that cannot be read or written (a full or read-only data disk, which `check`,
`status` and `run` report themselves) is logged at debug level.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import date
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ..tickets.atomic import write_atomic

log = logging.getLogger(__name__)

Holidays = tuple[tuple[date, str], ...]
# What is asked of the package; a file that answered another question is stale.
QUERY: dict[str, Any] = {"country": "ID", "categories": ["public", "government"], "language": "id"}
FORMAT = 1
MAX_BYTES = 64 * 1024  # a year's list is about 2 KB
MAX_NAME = 120  # the longest Indonesian holiday name is under 60 characters


@lru_cache(maxsize=64)
def national_holidays(year: int, directory: Path | None = None) -> Holidays:
    """The year's national holidays and cuti bersama, sorted, named in Indonesian (without the
    office's own additions and removals: WorkingCalendar applies them). Looked up once per process
    and year, shared by every office; from the file in `directory` when it is current."""
    # The starting daemon's warm-up thread and its first mail ask at once: one asks the package,
    # the other waits and reads the file it wrote, rather than asking the package a second time.
    with _ASKING:
        return _lookup(year, directory)


_ASKING = threading.Lock()


def _lookup(year: int, directory: Path | None) -> Holidays:
    version = package_version() if directory is not None else None
    if directory is None or version is None:
        return from_package(year)
    path = directory / f"holidays-ID-{year}.json"
    kept = read_kept(path, year, version)
    if kept is not None:
        return kept
    days = from_package(year)
    if not directory.parent.is_dir():
        return days  # the data folder is made by the installation (owner, mode), never by a lookup
    try:
        write_atomic(path, json.dumps(_stamped(year, version, days), ensure_ascii=False, indent=1).encode())
    except OSError as exc:  # LocalFault included: the next lookup computes again, nothing else is lost
        # A full or read-only data disk is reported where it matters (check, status, run: one line).
        log.debug("holiday cache %s not written (%s): the package is asked again next time", path, exc)
    return days


def from_package(year: int) -> Holidays:
    """Ask the `holidays` package (imported here: only a lookup that misses the file pays for it)."""
    import holidays as holidays_pkg

    categories = tuple(QUERY["categories"])
    try:
        found = holidays_pkg.country_holidays("ID", categories=categories, years=year, language=QUERY["language"])
    except (NotImplementedError, ValueError):  # an older package without Indonesian names
        found = holidays_pkg.country_holidays("ID", categories=categories, years=year)
    return tuple(sorted(found.items()))


def read_kept(path: Path, year: int, version: str) -> Holidays | None:
    """The kept list when the file is current; None when it is missing, stale or damaged."""
    try:
        if path.stat().st_size > MAX_BYTES:
            log.warning("holiday cache %s damaged (over %d bytes): asking the package", path, MAX_BYTES)
            return None
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:  # not a folder, no permission: as when it cannot be written
        log.debug("holiday cache %s not read (%s): asking the package", path, exc)
        return None
    try:
        kept = json.loads(raw)
        if (kept["format"], kept["version"], kept["query"]) != (FORMAT, version, QUERY):
            log.info("holiday cache %s is stale (holidays %s now): asking the package", path, version)
            return None
        if kept["year"] != year:
            raise ValueError(f"it holds {kept['year']!r}")
        days = tuple((date.fromisoformat(day), name) for day, name in kept["days"])
        if any(d.year != year or not _is_name(n) for d, n in days):
            raise ValueError("a day outside the year, or a name that is not a short line of text")
        if any(a[0] >= b[0] for a, b in zip(days, days[1:], strict=False)):
            raise ValueError("days out of order or repeated")
    except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("holiday cache %s damaged (%s): asking the package and writing it again", path, exc)
        return None
    return days


def _is_name(name: object) -> bool:
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and name.isprintable()


def _stamped(year: int, version: str, days: Holidays) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "query": QUERY,
        "year": year,
        "days": [[d.isoformat(), name] for d, name in days],
    }


@lru_cache(maxsize=1)
def package_version() -> str | None:
    """The installed `holidays` version without importing it: the name of its `holidays-X.dist-info`
    folder beside the package (importlib.metadata alone costs 0.05-0.15 s to import and scan)."""
    spec = find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:
        infos = [e.name for e in os.scandir(site) if e.name.startswith("holidays-") and e.name.endswith(".dist-info")]
    except OSError:
        infos = []
    if len(infos) == 1:
        return infos[0].removeprefix("holidays-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version  # another layout: ask the slow way

    try:
        return version("holidays")
    except PackageNotFoundError:
        return None  # no version to stamp a file with: always ask the package
