"""Every rule carries its own examples; this file runs them all (a rule without examples fails)."""

from __future__ import annotations

import re
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


# --- shared lawful contexts (contextos.yaml) ---

_CONTEXTS = """contexts:
  - id: aviso_de_teste
    title: Aviso de teste
    why: "Quem avisa de teste não insulta."
    patterns: ['\\baviso de teste\\b']
    examples: ["Este é um aviso de teste."]
"""


def _shipped_contexts():
    from cobranca_kit.compliance.rules import CONTEXTS_FILE, RULES_DIR, load_contexts

    return list(load_contexts(RULES_DIR / CONTEXTS_FILE).values())


@pytest.mark.parametrize("context", _shipped_contexts(), ids=lambda c: c.id)
def test_every_shared_context_finds_its_examples(context) -> None:
    from cobranca_kit.compliance.normalize import normalize
    from cobranca_kit.compliance.rules import compile_pattern

    for example in context.examples:
        assert context.found_in(normalize(example).text), f"{context.id} não reconheceu: {example!r}"
    # the same patterns without what voids them still find the voided examples: the void did it
    plain = [compile_pattern(p) for p in context.patterns]
    for example in context.voided_examples:
        folded = normalize(example).text
        assert any(r.search(folded) for r in plain), f"{context.id} nem sem anulação reconheceu: {example!r}"
        assert not context.found_in(folded), f"{context.id} não foi anulado em: {example!r}"


def test_every_shared_context_is_used_by_some_rule() -> None:
    used = {name for rule in RULES for name in rule.unless_context}
    assert {c.id for c in _shipped_contexts()} <= used


def test_a_rule_naming_a_shared_context_is_excused_anywhere_in_the_message(tmp_path: Path) -> None:
    body = _GOOD_RULE.replace("    examples:", "    unless_context: [aviso_de_teste]\n    examples:")
    _write(tmp_path, "insulto.yaml", body)
    _write(tmp_path, "contextos.yaml", _CONTEXTS)
    (rule,) = list(load_rule_files(tmp_path))
    assert rule.compiled_unless_message[0].regex.search("isto e um aviso de teste")
    without = load_rule_files(_only(tmp_path / "sem", "insulto.yaml", _GOOD_RULE))
    assert next(iter(without)).compiled_unless_message == []


def _only(folder: Path, name: str, body: str) -> Path:
    _write(folder, name, body)
    return folder


def test_loader_rejects_an_unknown_shared_context_naming_rule_and_known_ones(tmp_path: Path) -> None:
    body = _GOOD_RULE.replace("    examples:", "    unless_context: [aviso_de_tste]\n    examples:")
    _write(tmp_path, "insulto.yaml", body)
    _write(tmp_path, "contextos.yaml", _CONTEXTS)
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    text = str(err.value)
    assert "insulto.yaml" in text and "TESTE-REGRA" in text
    assert "aviso_de_tste" in text and "aviso_de_teste" in text


def test_loader_rejects_a_bad_contexts_file_naming_it(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE)
    _write(tmp_path, "contextos.yaml", _CONTEXTS.replace("    examples:", "    exemplos: [x]\n    examples:"))
    with pytest.raises(DataFileError) as err:
        load_rule_files(tmp_path)
    assert "contextos.yaml" in str(err.value) and "exemplos" in str(err.value)
    _write(tmp_path, "contextos.yaml", _CONTEXTS + _CONTEXTS.replace("contexts:\n", ""))
    with pytest.raises(DataFileError, match="id repetido"):
        load_rule_files(tmp_path)


def test_a_rule_built_outside_the_loader_refuses_unresolved_contexts() -> None:
    import yaml

    data = yaml.safe_load(_GOOD_RULE)["rules"][0]
    rule = Rule(**{**data, "unless_context": ["aviso_de_teste"]})
    with pytest.raises(RuntimeError, match="not resolved"):
        rule.compiled_unless_message  # noqa: B018


def test_fraud_alert_context_excuses_the_rules_that_share_it() -> None:
    alert = (
        "Alerta de golpe: tem gente usando nosso nome para dizer que o senhor será preso e que a "
        "polícia vai até sua casa. Isso é mentira; nós só cobramos pelos canais oficiais."
    )
    report = check(alert, channel="texto")
    assert not [f for f in report.findings if f.rule_id in {"CDC71-AMEACA-PRISAO", "CDC71-AMEACA-POLICIA"}]
    # the same threat without the alert around it is blocked
    assert "CDC71-AMEACA-PRISAO" in check("Se não pagar, o senhor será preso.", channel="texto").rule_ids()


def test_a_sentence_scope_context_excuses_only_the_match_in_its_sentence(tmp_path: Path) -> None:
    body = _GOOD_RULE.replace("    examples:", "    unless_context: [aviso_de_teste]\n    examples:")
    _write(tmp_path, "insulto.yaml", body)
    _write(tmp_path, "contextos.yaml", _CONTEXTS.replace("    patterns:", "    scope: frase\n    patterns:"))
    (rule,) = list(load_rule_files(tmp_path))
    assert rule.compiled_unless_message == [] and rule.has_sentence_context
    assert rule.compiled_unless[0].regex.search("isto e um aviso de teste")


def test_shared_sentence_context_keeps_the_customers_own_words_lawful_but_not_the_next_sentence() -> None:
    demand = "Paga hoje, paga hoje, paga hoje."
    assert "CDC42-PRESSAO-REPETICAO" in check(demand, channel="texto").rule_ids()
    assert (
        "CDC42-PRESSAO-REPETICAO"
        not in check(f"Você me disse que {demand.lower()}", channel="texto").rule_ids()
    )
    assert (
        "CDC42-PRESSAO-REPETICAO"
        in check(f"Você me disse que ia pagar. {demand}", channel="texto").rule_ids()
    )


def test_prescribed_year_moves_with_the_calendar() -> None:
    from datetime import date

    from cobranca_kit.compliance.rules import prescribed_years

    years = re.compile(prescribed_years(date(2026, 3, 1)))
    assert years.fullmatch("2020") and years.fullmatch("1998")
    assert not years.fullmatch("2021") and not years.fullmatch("2026")
    assert re.compile(prescribed_years(date(2031, 3, 1))).fullmatch("2025")
    # the prescribed-debt rule uses it: six years back is blocked this year, four is not
    this_year = date.today().year
    old = check(f"A dívida do cartão de {this_year - 6} será levada à Justiça este mês.", model=False)
    assert "CDC71-FALSA-DIVIDA-PRESCRITA" in old.rule_ids()
    recent = check(f"A dívida do cartão de {this_year - 4} será levada à Justiça este mês.", model=False)
    assert "CDC71-FALSA-DIVIDA-PRESCRITA" not in recent.rule_ids()


def _voided_rule(tmp_path: Path, scope: str):
    from cobranca_kit.compliance.engine import resolve_target, run_rules

    body = _GOOD_RULE.replace("    examples:", "    unless_context: [aviso_de_teste]\n    examples:")
    contexts = _CONTEXTS.replace(
        "    patterns:", f"    scope: {scope}\n    voided_by: ['\\bmesmo assim\\b']\n    patterns:"
    )
    _write(tmp_path, "insulto.yaml", body)
    _write(tmp_path, "contextos.yaml", contexts)
    catalog = load_rule_files(tmp_path)
    return lambda text: [f.excerpt for f in run_rules(resolve_target(text, "texto", None), catalog)]


def test_voided_by_cancels_a_message_context_wherever_it_appears(tmp_path: Path) -> None:
    found = _voided_rule(tmp_path, "mensagem")
    assert found("Aviso de teste: seu bobo.") == []
    assert found("Aviso de teste. Seu bobo, vou repetir mesmo assim.") == ["bobo"]
    assert found("Mesmo assim. Aviso de teste: seu bobo.") == ["bobo"]


def test_voided_by_cancels_a_sentence_context_from_its_start_to_the_clause_end(tmp_path: Path) -> None:
    found = _voided_rule(tmp_path, "frase")
    assert found("Seu bobo, aviso de teste.") == []
    assert found("Seu bobo, aviso de teste mesmo assim.") == ["bobo"]
    # the void before the context, or in the next sentence, leaves it standing
    assert found("Mesmo assim, aviso de teste: seu bobo.") == []
    assert found("Seu bobo, aviso de teste. Mesmo assim.") == []


def test_loader_refuses_voided_examples_without_voided_by(tmp_path: Path) -> None:
    _write(tmp_path, "insulto.yaml", _GOOD_RULE)
    _write(tmp_path, "contextos.yaml", _CONTEXTS + '    voided_examples: ["Aviso de teste, mesmo assim."]\n')
    with pytest.raises(DataFileError, match="voided_by"):
        load_rule_files(tmp_path)
