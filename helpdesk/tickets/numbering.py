"""Ticket numbers PST-<office>-<year>-<6 digits>: format and recognition (stage 2, pure)."""

from __future__ import annotations

import re

NUMBER = re.compile(r"\bPST-(\d{4})-(\d{4})-(\d{6})\b")
SUBJECT_TAG = re.compile(r"\[(PST-\d{4}-\d{4}-\d{6})\]")


def format_number(office: str, year: int, serial: int) -> str:
    return f"PST-{office}-{year}-{serial:06d}"


def number_in_subject(subject: str) -> str | None:
    """The ticket number written as `[PST-...]` in a subject, if any."""
    m = SUBJECT_TAG.search(subject or "")
    return m.group(1) if m else None


def tag_subject(number: str, subject: str) -> str:
    """Put `[number]` in front of a subject once, keeping what the citizen wrote."""
    subject = " ".join(SUBJECT_TAG.sub("", subject or "").split())
    return f"[{number}] {subject}".strip()
