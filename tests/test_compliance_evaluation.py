"""The labelled corpus: recall on abusive messages and false positives on compliant ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from cobranca_kit.compliance import LEGAL_CATEGORIES, load_rules
from cobranca_kit.compliance.evaluate import evaluate, read_corpus
from cobranca_kit.errors import DataFileError

CORPUS = Path(__file__).parent / "data" / "avaliacao.jsonl"
#: Rounds of messages written after the rules, to measure generalisation (see ``nota``).
RESERVED_ROUNDS = ("reserva", "reserva2", "reserva3", "reserva4", "reserva5")


@pytest.fixture(scope="module")
def samples():
    return read_corpus(CORPUS)


def test_corpus_size_and_coverage(samples) -> None:
    abusive = [s for s in samples if s.rotulo == "abusiva"]
    compliant = [s for s in samples if s.rotulo == "conforme"]
    assert len(abusive) >= 80 and len(compliant) >= 80
    assert {s.categoria for s in abusive} == set(LEGAL_CATEGORIES)
    kinds = {s.tipo for s in abusive}
    assert {"velada", "sarcasmo", "sem_palavra_chave"} <= kinds
    assert sum(s.tipo == "consequencia_licita" for s in compliant) >= 10


def test_part_of_the_corpus_is_kept_out_of_rule_examples(samples) -> None:
    examples = set()
    for rule in load_rules():
        for example in [*rule.examples.violates, *rule.examples.passes]:
            examples.add(example if isinstance(example, str) else (example.text or ""))
    # written after the rules, in rounds ("reserva" ... "reserva5"); never copied into examples
    reserved = [s for s in samples if s.nota in RESERVED_ROUNDS]
    assert len(reserved) >= 80
    assert not [s.texto for s in samples if s.texto in examples]


def test_every_held_out_round_is_balanced(samples) -> None:
    """Each round written after the rules has abusive and lawful messages, incl. lawful consequences."""
    for round_ in RESERVED_ROUNDS[2:]:  # the rounds written while hardening the rules
        rows = [s for s in samples if s.nota == round_]
        abusive = [s for s in rows if s.rotulo == "abusiva"]
        compliant = [s for s in rows if s.rotulo == "conforme"]
        assert len(abusive) >= 30 and len(compliant) >= 30, round_
        assert any(s.tipo == "consequencia_licita" for s in compliant), round_
        assert len({s.categoria for s in abusive}) == len(LEGAL_CATEGORIES), round_


def test_probe_messages_from_review_are_blocked() -> None:
    """Clear violations found in review that once passed with no block (kept as regressions)."""
    from cobranca_kit.compliance import check

    probes = [s for s in read_corpus(CORPUS) if s.nota == "sonda"]
    assert len(probes) >= 4
    for sample in probes:
        report = check(sample.texto)
        assert not report.passed, sample.texto
        assert sample.categoria in {f.category for f in report.findings if f.severity == "block"}, (
            sample.texto
        )


def test_recall_and_false_positive_rate(samples) -> None:
    result = evaluate(samples)
    missed = [s.texto for s in result.misses]
    alarms = [(s.texto, cats) for s, cats in result.false_alarms]
    assert result.recall >= 0.95, missed
    assert result.false_positive_rate <= 0.03, alarms
    for category in LEGAL_CATEGORIES:
        assert result.per_category[category].total > 0


def test_broken_corpus_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text(
        '{"texto": "oi", "rotulo": "conforme"}\n{"texto": "x", "rotulo": "abusiva"}\n', encoding="utf-8"
    )
    with pytest.raises(DataFileError, match="linha 2"):
        read_corpus(bad)
    bad.write_text("{nao e json\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="linha 1"):
        read_corpus(bad)
