"""Team, operator, category and deadline of a new ticket: ordered rules -> Decision (stage 4, pure).

A rule matches when all of its conditions (routing.conditions) fire. Rules run in order; the
first rule to set a field decides it, tags add up, `stop` ends the run, and the office default
fills whatever is still unset, so the default is simply "the last rule, which always matches"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import MailView, Matcher

PRIORITIES = ("low", "normal", "high", "urgent")
ACTIONS = ("team", "operator", "category", "priority", "reply_days", "tags", "stop")


@dataclass(frozen=True)
class Rule:
    """A named, located rule: all matchers must fire for its actions to apply."""

    name: str
    matchers: tuple[Matcher, ...]
    actions: dict[str, Any]
    where: str = ""  # "rules/3576.toml:12", for explanations and errors

    def check(self, mail: MailView) -> list[str] | None:
        reasons = []
        for matcher in self.matchers:
            reason = matcher.check(mail)
            if reason is None:
                return None
            reasons.append(reason)
        return reasons


@dataclass
class Decision:
    """What routing decided for one mail, and why, line by line."""

    team: str = ""
    operator: str = ""
    category: str = ""
    priority: str = "normal"
    reply_days: int | None = None
    tags: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # names of the rules that fired
    reasons: list[str] = field(default_factory=list)
    set_by: dict[str, str] = field(default_factory=dict)


def _apply(decision: Decision, actions: dict[str, Any], source: str) -> list[str]:
    said = []
    for key in ("team", "operator", "category", "priority", "reply_days"):
        if key not in actions:
            continue
        if key in decision.set_by:
            said.append(f"{key} already {getattr(decision, key)!r} from {decision.set_by[key]}")
            continue
        setattr(decision, key, actions[key])
        decision.set_by[key] = source
        said.append(f"{key}={actions[key]!r}")
    new_tags = [t for t in actions.get("tags", ()) if t not in decision.tags]
    if new_tags:
        decision.tags.extend(new_tags)
        said.append(f"tags+={new_tags!r}")
    return said


def decide(rules: Sequence[Rule], default: dict[str, Any] | None, mail: MailView) -> Decision:
    """Run the rules in order over one mail; the default fills what no rule set."""
    decision = Decision()
    for rule in rules:
        why = rule.check(mail)
        label = f"rule {rule.name!r} ({rule.where})" if rule.where else f"rule {rule.name!r}"
        if why is None:
            decision.reasons.append(f"{label}: no match")
            continue
        decision.matched.append(rule.name)
        did = _apply(decision, rule.actions, f"rule {rule.name!r}")
        decision.reasons.append(
            f"{label}: matched ({'; '.join(why) or 'no conditions'})" + (f" -> {', '.join(did)}" if did else "")
        )
        if rule.actions.get("stop"):
            decision.reasons.append(f"{label}: stop")
            break
    if default:
        did = _apply(decision, default, "default")
        decision.reasons.append(f"default: {', '.join(did) if did else 'nothing to add'}")
    return decision
