"""The rule catalog as a compact pt-BR text for LLM prompts (one source of truth)."""

from __future__ import annotations

from cobranca_kit.compliance.report import SEVERITY_LABELS
from cobranca_kit.compliance.rules import CATEGORY_LABELS, LEGAL_CATEGORIES, Rule, load_rules


def _line(rule: Rule, channel: str) -> str:
    severity = SEVERITY_LABELS[rule.severity_for(channel)]
    return f"- [{severity}] {rule.title}: {rule.suggestion}"


def rules_summary(channel: str | None = None) -> str:
    """Short pt-BR list of what a message must avoid and must contain, grouped by category.

    With ``channel`` only the rules of that channel are listed.
    """
    chan = channel or "texto"
    rules = [
        r for r in load_rules() if chan in r.channels or (channel is None and r.category in LEGAL_CATEGORIES)
    ]
    lines = ["Regras de cobrança (CDC art. 42, 42-A e 71; boas práticas):"]
    for category, label in CATEGORY_LABELS.items():
        picked = [r for r in rules if r.category == category]
        if not picked:
            continue
        verb = "nunca faça" if category in LEGAL_CATEGORIES else "inclua ou cuide"
        lines.append(f"{label} ({verb}):")
        lines.extend(_line(r, chan) for r in picked)
    return "\n".join(lines)
