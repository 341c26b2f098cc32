"""Speed-ups of the checker must not change what it finds (proposed; drop into tests/)."""

from __future__ import annotations

import random

from cobranca_kit.compliance import load_rules, normalize
from cobranca_kit.compliance.normalize import _EDIT_RE, _FOLD, _edits, fold
from cobranca_kit.compliance.rules import LiteralFinder, literals_present, required_literals
from cobranca_kit.compliance.tokens import token_findall


def test_required_literals_never_hide_a_match(rule_and_corpus_texts: list[str]) -> None:
    catalog = load_rules()
    finder = catalog.literal_finder
    matches = 0
    for raw in rule_and_corpus_texts:
        folded = normalize(raw).text
        present = finder(folded)
        for rule in catalog:
            haystack = raw if rule.match_on == "original" else folded
            for step in rule.plan:
                if step.regex.search(haystack):
                    matches += 1
                    assert step.may_occur(haystack), (rule.id, step.index, raw)
                    if rule.match_on == "folded":
                        assert step.may_occur_in(present), (rule.id, step.index, raw)
            for regex, groups in rule.trigger_plan:
                if regex.search(folded):
                    assert literals_present(groups, folded), (rule.id, raw)
    assert matches > 300


def test_required_literals_examples() -> None:
    assert required_literals(r"\bsob\spena\sde\b") == (("pena",), ("sob",))
    assert required_literals(r"(?:vai|vao)\sser\spres[oa]") == (("pres",), ("ser",))
    assert required_literals(r"(?i:preso)") == ()  # case-insensitive: no literal is certain
    assert required_literals(r"(?:ja\s)?preso") == (("preso",),)  # optional parts add nothing
    assert required_literals(r"\d{2}/\d{2}") == (("/",),)


def test_literal_finder_agrees_with_substring_search() -> None:
    literals = {"pix", "r$", ".", "cobranca", "ao", "://"}
    finder = LiteralFinder(literals)
    for text in ["pague pelo pix: https://x.com", "r$ 10,00", "cobrancas ao vivo", ""]:
        assert finder(text) == {lit for lit in literals if lit in text}


def test_fast_fold_and_edits_match_the_reference(rule_and_corpus_texts: list[str]) -> None:
    rng = random.Random(7)
    alphabet = [*"abcvpqnz {}%#_\t\n\u00a0AÉçãÕΣİ`'.,!?09", "vc", "pq", "{{ x }}", "{%", "%}", "  "]
    samples = rule_and_corpus_texts + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)
    ]
    for text in samples:
        assert fold(text) == text.translate(_FOLD), text
        folded = text.translate(_FOLD)
        assert _edits(folded) == [(m.start(), m.end(), m.lastgroup) for m in _EDIT_RE.finditer(folded)]


def test_token_findall_matches_findall(rule_and_corpus_texts: list[str]) -> None:
    import re

    regex = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:[.,]\d+)*")
    for text in rule_and_corpus_texts:
        assert token_findall(regex, text) == regex.findall(text)
