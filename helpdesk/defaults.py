"""The templates and the neutral rule set shipped inside the package (package data).

An installed helpdesk needs no repository beside it: `templates_dir` only overrides these file by
file, and without `rules_dir` the neutral rules in `helpdesk/rules/` route every office.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def packaged(name: str) -> Path:
    """The folder `name` (`templates` or `rules`) inside the installed package."""
    folder = files("helpdesk") / name
    if not isinstance(folder, Path):
        # Jinja2's loader and the rules' reload check need real files: a zipped install has none.
        raise RuntimeError(f"helpdesk/{name} is not a folder on disk; install the package unzipped (pip does)")
    return folder


TEMPLATES = packaged("templates")
RULES = packaged("rules")
