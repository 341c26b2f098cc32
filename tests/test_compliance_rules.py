"""Every rule carries its own examples; this file runs them all (a rule without examples fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cobranca_kit.compliance import CATEGORIES, CheckContext, check, load_rules
from cobranca_kit.compliance.rules import ExampleCase, Rule, load_rule_files
from cobranca_kit.errors import DataFileError
from cobranca_kit.script import script_from_parts

RULES = list(load_rules())


def _example_channel(rule: Rule, example: str | ExampleCase) -> str:
    if isinstance(example, ExampleCase) and example.channel:
        return example.channel
    return "texto" if "texto" in rule.channels else rule.channels[0]


def _run(rule: Rule, example: str | ExampleCase):
    channel = _example_channel(rule, example)
    if isinstance(example, str):
        return check(example, channel=channel)
    context = CheckContext(**(example.context or {}))
    if example.parts is not None:
        return check(script_from_parts(channel, example.parts), context=context)
    return check(example.text, channel=channel, context=context)


def _cases(kind: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule.examples, kind), 1):
            yield pytest.param(rule, example, id=f"{rule.id}-{kind}-{i}")


@pytest.mark.parametrize(("rule", "example"), list(_cases("violates")))
def test_rule_flags_its_violating_examples(rule: Rule, example: str | ExampleCase) -> None:
    report = _run(rule, example)
    assert rule.id in report.rule_ids(), f"{rule.id} não encontrou: {example!r}"
    for finding in report.findings:
        if finding.rule_id == rule.id:
            assert finding.severity in {"block", "warn", "hint"}


@pytest.mark.parametrize(("rule", "example"), list(_cases("passes")))
def test_rule_accepts_its_passing_examples(rule: Rule, example: str | ExampleCase) -> None:
    report = _run(rule, example)
    hits = [f for f in report.findings if f.rule_id == rule.id]
    assert not hits, f"{rule.id} acusou indevidamente: {hits[0].excerpt!r} em {example!r}"


def test_every_category_has_rules_and_a_file() -> None:
    seen = {r.category for r in RULES}
    assert seen == set(CATEGORIES)


def test_rule_ids_are_unique_and_stable_format() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def _write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")


_GOOD_RULE = """rules:
  - id: TESTE-REGRA
    category: insulto
    severity: block
    channels: [texto]
    article: "CDC art. 42"
    title: "Teste"
    message: "Mensagem de teste."
    why: "Porque sim, teste."
    suggestion: "Escreva outra coisa."
    patterns: ['\\bbobo\\b']
    examples:
      violates: ["seu bobo"]
      passes: ["tudo certo"]
"""


def test_loader_accepts_a_minimal_rule(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE)
    assert load_rule_files(tmp_path).ids() == ["TESTE-REGRA"]


def test_loader_rejects_unknown_key_naming_file_id_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE.replace("    why:", "    porque: x\n    why:"))
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    text = str(err.value)
    assert "insulto.yaml" in text and "TESTE-REGRA" in text and "porque" in text


def test_loader_rejects_rule_without_examples(tmp_path: Path) -> None:
    body = _GOOD_RULE.split("    examples:")[0]
    _write(tmp_path, "insulto.yaml", body)
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    assert "examples" in str(err.value) and "campo obrigatório" in str(err.value)


def test_loader_rejects_catastrophic_pattern(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE.replace("'\\bbobo\\b'", "'(a+)+b'"))
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    assert "repetição ilimitada" in str(err.value)


@pytest.mark.parametrize("marker", ["{gap}", "{gapx}", "{gap25}", "{gap3"])
def test_loader_rejects_a_gap_marker_that_would_stay_literal(tmp_path: Path, marker: str) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE.replace("'\\bbobo\\b'", f"'seu {marker}bobo'"))
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    assert "gapN" in str(err.value) and "TESTE-REGRA" in str(err.value)


def test_two_digit_gaps_expand(tmp_path: Path) -> None:
    body = _GOOD_RULE.replace("'\\bbobo\\b'", "'\\bseu {gap12}bobo\\b'").replace(
        'violates: ["seu bobo"]',
        'violates: ["seu um dois tres quatro cinco seis sete oito nove dez onze bobo"]',
    )
    _write(tmp_path, "insulto.yaml", body)
    assert load_rule_files(tmp_path).ids() == ["TESTE-REGRA"]


def test_loader_rejects_bad_regex_and_wrong_file(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE.replace("'\\bbobo\\b'", "'(bobo'"))
    with pytest.raises(DataFileError, match="expressão regular inválida"):
        load_rule_files(tmp_path)
    other = tmp_path / "b"
    _write(other, "ameaca.yaml", _GOOD_RULE)
    with pytest.raises(DataFileError, match=r"insulto\.yaml"):
        load_rule_files(other)


def test_loader_reports_yaml_syntax_with_line(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", "rules:\n  - id: [\n")
    with pytest.raises(DataFileError, match="linha"):
        load_rule_files(tmp_path)
