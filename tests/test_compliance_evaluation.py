"""The labelled corpus: recall on abusive messages and false positives on compliant ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cobranca_kit.compliance import LEGAL_CATEGORIES, load_rules
from cobranca_kit.compliance.evaluate import evaluate, read_corpus
from cobranca_kit.errors import DataFileError

CORPUS = Path(__file__).parent / "data" / "corpus" / "desenvolvimento.jsonl"
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


def test_rules_alone_keep_their_recall_and_false_positive_rate_on_the_first_rounds(samples) -> None:
    """The rules, without the classifier, on the messages written before the 2026-12 rounds.

    (The classifier is trained on the whole development split, so its figures there
    come from cross-validation, in the model's metadata: see test_compliance_classifier.)
    """
    first = [s for s in samples if not re.fullmatch(r"dev\d+", s.nota or "")]
    result = evaluate(first, model=False)
    missed = [s.texto for s in result.misses if s.texto]
    alarms = [(s.texto, cats) for s, cats in result.false_alarms]
    assert result.recall >= 0.95, missed
    assert result.false_positive_rate <= 0.03, alarms
    for category in LEGAL_CATEGORIES:
        assert result.per_category[category].abusive > 0


def test_development_split_is_large_varied_and_sourced(samples) -> None:
    assert len(samples) >= 1000
    assert all(s.fonte for s in samples) and all(s.registro for s in samples)
    new = [s for s in samples if s.nota == "dev2"]
    assert len(new) >= 500
    for label in ("abusiva", "conforme"):
        for register in ("formal", "informal"):
            assert sum(s.rotulo == label and s.registro == register for s in new) >= 60, (label, register)
    assert {s.categoria for s in new if s.rotulo == "abusiva"} == set(LEGAL_CATEGORIES)
    assert any(s.relacao == "terceiro" for s in new) and any(s.enviado_em for s in new)
    # the round of lawful messages that sound alarming, and of coercion and pressure
    hard = [s for s in samples if s.nota == "dev3"]
    assert sum(s.rotulo == "conforme" for s in hard) >= 150
    assert sum(s.categoria in ("coacao", "pressao") for s in hard) >= 70
    # the round written against no rule and no model: long messages, embedded abuse, hard negatives
    fourth = [s for s in samples if s.nota == "dev4"]
    assert len(fourth) >= 1200
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in fourth) >= 60, category
    for register in ("formal", "informal"):
        assert sum(s.rotulo == "conforme" and s.registro == register for s in fourth) >= 200, register
    # two more rounds, each measured unseen before joining: hard negatives, coercion and pressure
    fifth = [s for s in samples if s.nota == "dev5"]
    assert len(fifth) >= 800
    sixth = [s for s in samples if s.nota == "dev6"]
    assert len(sixth) >= 750
    assert sum(s.categoria in ("coacao", "pressao") for s in sixth) >= 150
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in sixth) >= 20, category
    for register in ("formal", "informal"):
        assert sum(s.rotulo == "conforme" and s.registro == register for s in sixth) >= 150, register
    # the round of lawful messages in the words of abuse (denials, complaint replies, real lawsuits)
    eighth = [s for s in samples if s.nota == "dev8"]
    assert sum(s.rotulo == "conforme" for s in eighth) >= 250
    seventh = [s for s in samples if s.nota == "dev7"]
    assert len(seventh) >= 350
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in seventh) >= 20, category
    # formal legal and operational wording, WhatsApp hard negatives, third parties and timing
    ninth = [s for s in samples if s.nota == "dev9"]
    assert len(ninth) >= 700
    for register in ("formal", "informal"):
        assert sum(s.rotulo == "conforme" and s.registro == register for s in ninth) >= 200, register
    assert sum(s.categoria == "terceiros" for s in ninth) >= 40
    # written blind to rules and corpus (category definitions only), half lawful hard negatives
    tenth = [s for s in samples if s.nota == "dev10"]
    assert len(tenth) >= 350
    for register in ("formal", "informal"):
        assert sum(s.rotulo == "conforme" and s.registro == register for s in tenth) >= 80, register
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in tenth) >= 20, category
    # the same, with mostly ordinary lawful messages and abuse embedded in long polite ones
    eleventh = [s for s in samples if s.nota == "dev11"]
    assert len(eleventh) >= 300
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in eleventh) >= 15, category
    # blind again: companies' and people's voices, third parties, send times, every category alike
    twelfth = [s for s in samples if s.nota == "dev12"]
    assert len(twelfth) >= 400
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in twelfth) >= 30, category
    assert (
        sum(s.relacao == "terceiro" for s in twelfth) >= 20 and sum(bool(s.enviado_em) for s in twelfth) >= 10
    )
    # blind, against a naive keyword checker: subtle abuse, lawful alarming words, jokes between friends
    thirteenth = [s for s in samples if s.nota == "dev13"]
    assert len(thirteenth) >= 400
    for category in LEGAL_CATEGORIES:
        assert sum(s.categoria == category for s in thirteenth) >= 30, category
    assert all(s.revisao.startswith("rótulo revisto") for s in thirteenth if s.revisao)


def test_evaluation_counts_blocks_per_category_and_register(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [
        {
            "texto": "Vamos mandar prender você.",
            "rotulo": "abusiva",
            "categoria": "ameaca",
            "registro": "formal",
        },
        {
            "texto": "Seu vagabundo, paga logo.",
            "rotulo": "abusiva",
            "categoria": "ameaca",
            "registro": "informal",
        },
        {"texto": "Olá! Sua parcela vence amanhã.", "rotulo": "conforme", "registro": "formal"},
        {
            "texto": "Olá! Sua parcela vence amanhã.",
            "rotulo": "abusiva",
            "categoria": "intrusao",
            "registro": "formal",
            "enviado_em": "2026-12-09T23:30",
        },
    ]
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = evaluate(read_corpus(corpus))
    assert (result.total.abusive, result.total.blocked, result.total.compliant) == (3, 3, 1)
    assert result.total.false_blocks == 0
    # the insult is blocked, but as "insulto": category wrong for the one labelled "ameaca"
    assert result.per_category["ameaca"].same_category == 1
    assert result.per_category["intrusao"].same_category == 1
    assert result.per_register["informal"].abusive == 1 and result.per_register["formal"].compliant == 1


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
