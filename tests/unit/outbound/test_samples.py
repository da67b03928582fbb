"""`helpdesk check` renders each template with outbound.samples: those contexts must name exactly what
the real callers pass, or check would pass a template that fails on the first real mail (a key only
the sample has) or refuse a good one (a key only the caller has)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpdesk.outbound.samples import CONTEXTS

PACKAGE = Path(__file__).resolve().parents[3] / "helpdesk"
# to_citizen / to_staff parameters that shape the mail, not the template's context.
NOT_CONTEXT = {"attachments", "auto_submitted", "ticket", "reply_to", "message_id", "cc", "in_reply_to", "references"}
# Contexts spread from a helper (`**digest_context(...)`, `**_texts(...)`): the keys those helpers give.
SPREAD = {
    "digest_context": {"day_text", "as_of_text", "overdue", "due_today", "unassigned", "per_operator", "problems"},
    "_texts": {"due_text", "received_text"},
}


def calls() -> dict[str, set[str]]:
    """Template name -> the context keys every call of to_citizen/to_staff with it passes."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("to_citizen", "to_staff")):
                continue
            name = node.args[3]  # (app, office, ticket or recipients, template, ...)
            if not isinstance(name, ast.Constant):
                continue
            keys = set()
            for kw in node.keywords:
                if kw.arg is None:
                    keys |= SPREAD[kw.value.func.id]
                elif kw.arg not in NOT_CONTEXT:
                    keys.add(kw.arg)
            found.setdefault(name.value, set()).update(keys)
    return found


def test_each_sample_context_names_what_its_callers_pass():
    real = calls()
    assert set(real) == set(CONTEXTS)
    for name, keys in real.items():
        sample = set(CONTEXTS[name]) | ({"mail"} if name == "delivery_failure" else set())
        assert sample == keys, name
