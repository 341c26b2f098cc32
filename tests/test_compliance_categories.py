"""The written boundaries between legal categories (rules/LEIA-ME.md) hold in rules and corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cobranca_kit.compliance import check
from cobranca_kit.compliance.evaluate import read_corpus
from cobranca_kit.compliance.rules import LEGAL_CATEGORIES, RULES_DIR

CORPUS = Path(__file__).parent / "data" / "corpus" / "desenvolvimento.jsonl"


def _blocked(text: str) -> set[str]:
    report = check(text, model=False)
    return {f.category for f in report.findings if f.severity == "block" and f.category in LEGAL_CATEGORIES}


@pytest.mark.parametrize(
    ("text", "category", "not_category"),
    [
        # a short-deadline ultimatum withholds nothing: pressure, not coercion
        ("Você tem 2 horas para pagar, senão o caso segue para o jurídico.", "pressao", "coacao"),
        ("Pagamento até as 16h de hoje, senão já era.", "pressao", "coacao"),
        # withholding or conditioning something is coercion
        ("O boletim da sua filha só será entregue depois da quitação.", "coacao", "pressao"),
        ("A gente vai continuar te ligando toda semana até você quitar.", "coacao", "pressao"),
        ("Se não pagar, vamos resolver isso do nosso jeito.", "coacao", "pressao"),
        # a promised harm is a threat
        ("Se não pagar, o senhor vai ser preso.", "ameaca", "pressao"),
    ],
)
def test_boundary_sentences_fall_in_the_written_category(text: str, category: str, not_category: str) -> None:
    blocked = _blocked(text)
    assert category in blocked, (text, blocked)
    assert not_category not in blocked, (text, blocked)


def test_the_definitions_are_written_for_every_legal_category() -> None:
    readme = (RULES_DIR / "LEIA-ME.md").read_text(encoding="utf-8")
    for category in LEGAL_CATEGORIES:
        assert re.search(rf"^\| `{category}` \| \S", readme, re.M), category


def test_every_revised_label_says_what_changed() -> None:
    revised = [s for s in read_corpus(CORPUS) if s.revisao]
    assert revised
    for sample in revised:
        label = re.match(
            r"rótulo revisto: (abusiva|conforme) -> (abusiva|conforme); \S", sample.revisao or ""
        )
        if label:  # the label itself changed (LEIA-ME: a joke that still collects and insults is abuse)
            assert label.group(1) != sample.rotulo and label.group(2) == sample.rotulo, sample.texto
            continue
        match = re.match(r"categoria revista: (\w+) -> (\w+); \S", sample.revisao or "")
        assert match, sample.revisao
        assert match.group(1) in LEGAL_CATEGORIES and match.group(1) != sample.categoria, sample.texto
        assert match.group(2) == sample.categoria, sample.texto
