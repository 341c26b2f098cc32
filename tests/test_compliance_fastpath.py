"""The checker's fast paths must find exactly what the plain paths find.

- The RE2 set (``prefilter.py``) is a necessary condition: every Python match
  is reported, and what it calls sure is a real match.
- ``check`` with the set gives the same report as without it.
- Folding and counting token by token (``normalize``, ``textstats``) equal the
  whole-text computations they replace.
"""

from __future__ import annotations

import random
import re

import pytest

from cobranca_kit.compliance import check, load_rules, normalize
from cobranca_kit.compliance.normalize import _apply, _edits, fold
from cobranca_kit.compliance.practices import ACRONYMS, CAPS_WORD_RE, caps_runs
from cobranca_kit.compliance.prefilter import TEXT_MAX, PatternSet, re2_ascii, re2_superset
from cobranca_kit.compliance.readability import flesch_pt, sentence_count, word_count, words
from cobranca_kit.compliance.rules import RuleCatalog
from cobranca_kit.compliance.textstats import analyse, text_stats
from cobranca_kit.compliance.tokens import token_findall

_ODD = [
    "ß",
    "ñ",
    "é",
    "😀",
    "\u00a0",
    "д",
    "Σ",
    "İ",
    "`",
    "’",
    "\t",
    "\n",
    "\n\n",
    "  ",
    "- ",
    "1.234,56",
    "!!",
    "?",
]
_SEPARATORS = [" ", "  ", "\n", ". ", "! ", "? ", "\t", ", ", "... ", ".\n\n", "\n- "]


def _fuzz(texts: list[str], count: int, seed: int) -> list[str]:
    """Texts made of pieces of real ones, with odd characters, case and separators mixed in."""
    rng = random.Random(seed)
    words_pool = [w for t in texts for w in t.split()]
    out = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 12)):
            roll = rng.random()
            if roll < 0.5:
                piece = rng.choice(words_pool)
            elif roll < 0.75:
                piece = rng.choice(texts)[: rng.randint(5, 80)]
            else:
                piece = rng.choice(_ODD)
            if rng.random() < 0.15:
                piece = piece.upper()
            pieces.append(piece)
            pieces.append(rng.choice(_SEPARATORS))
        text = "".join(pieces).strip(" ")
        out.append(text if text.strip() else "x")
    return out


@pytest.fixture(scope="module")
def samples(rule_and_corpus_texts: list[str]) -> list[str]:
    texts = [t for t in rule_and_corpus_texts if t.strip()]
    return texts + _fuzz(texts, 1500, seed=11)


def _catalog_sources() -> tuple[PatternSet, list[tuple[str, re.Pattern[str]]]]:
    catalog = load_rules()
    pattern_set, entries = catalog._pattern_set
    regexes = []
    for rule_id, step, trigger in entries:
        rule = catalog.get(rule_id)
        if step is None:
            regexes.append((rule_id, rule.compiled_trigger[trigger]))
        else:
            regexes.append((rule_id, rule.compiled[step.index]))
    return pattern_set, regexes


def test_re2_set_reports_every_match_and_only_real_sure_ones(samples: list[str]) -> None:
    pattern_set, regexes = _catalog_sources()
    matches = sure_count = non_ascii = 0
    for raw in samples:
        folded = normalize(raw).text
        answer = pattern_set.match(folded)
        assert answer is not None, raw
        may, sure = answer
        non_ascii += not folded.isascii()
        for number, (rule_id, regex) in enumerate(regexes):
            found = regex.search(folded) is not None
            if found:
                matches += 1
                assert number in may, (rule_id, regex.pattern, raw)
            if number in sure:
                sure_count += 1
                assert found, (rule_id, regex.pattern, raw)
    # not vacuous: many matches, many sure answers, many texts outside ASCII
    assert matches > 1000 and sure_count > 500 and non_ascii > 200


def _reports(texts: list[str], channel: str) -> list[dict]:
    return [check(t, channel=channel).model_dump() for t in texts]


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "email", "texto"])
def test_check_is_the_same_without_the_re2_set(
    samples: list[str], channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = samples[::2] if channel != "whatsapp" else samples
    fast = _reports(texts, channel)
    monkeypatch.setattr(RuleCatalog, "possible", lambda self, folded: None)
    assert _reports(texts, channel) == fast
    assert sum(len(r["findings"]) for r in fast) > 500


def test_when_re2_gives_up_the_engine_runs_every_pattern(
    samples: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern_set, _ = _catalog_sources()
    texts = samples[:300]
    expected = _reports(texts, "whatsapp")

    class GaveUp:  # RE2 out of memory answers "no match at all", sentinel included
        def Match(self, data: bytes) -> list[int]:
            return []

    class Wrapper:
        _set = GaveUp()

    monkeypatch.setattr(pattern_set, "_ascii", Wrapper())
    monkeypatch.setattr(pattern_set, "_wide", Wrapper())
    monkeypatch.setattr(load_rules(), "_possible_memo", {})
    assert pattern_set.match("voce sera preso") is None
    assert _reports(texts, "whatsapp") == expected


def test_long_and_unencodable_texts_skip_the_set() -> None:
    pattern_set, _ = _catalog_sources()
    assert pattern_set.match("a" * (TEXT_MAX + 1)) is None
    assert pattern_set.match("sera preso \ud800") is None  # a lone surrogate is not UTF-8
    assert not check("Você será preso \ud800", channel="whatsapp").passed


@pytest.mark.parametrize(
    ("pattern", "text", "python_matches"),
    [
        (r"\bpreso\b", "ñpreso", False),  # Python's \b sees ñ as a letter
        (r"\bpreso\b", "preso!", True),
        (r"ca\wa", "caça", True),  # a non-ASCII letter is \w for Python
        (r"ca\Wa", "caça", False),
        (r"\s\S\s", " ç ", True),
        (r"pague(?<=e)", "pague agora", True),  # a lookbehind at the tail looks back, not ahead
        (r"[^\s]+\spreso", "\u00a0x preso", True),
        (r"[^\w]preso", "ßpreso", False),
        (r"[^\W\d]{3}", "ççç", True),
        (r"\d{2}", "٣٣", True),  # Arabic-Indic digits are \d for Python
        (r"(?<!nao )pague", "nao pague", False),
        (r"pague(?! depois)", "pague depois", False),
        (r"ltda(?=\W|$)", "ltda\n", True),
        (r"fim$", "o fim\n", True),
        (r"(?:vai|vao) ser pres[oa]", "vao ser presa", True),
        (r"a{1500}", "a" * 1499, False),
        (r"x(?>ab|a)b", "xab", False),  # atomic group: Python finds no match, RE2 may
    ],
)
def test_translations_are_supersets_and_exact_on_ascii(pattern: str, text: str, python_matches: bool) -> None:
    assert (re.search(pattern, text) is not None) is python_matches
    superset = PatternSet([pattern])
    may, sure = superset.match(text)  # type: ignore[misc]
    if python_matches:
        assert 0 in may
    if 0 in sure:
        assert python_matches
    translated, exact = re2_ascii(pattern)
    if exact and text.isascii():
        assert (0 in sure) is python_matches, translated
    assert re2_superset(pattern)


def test_exact_translations_keep_boundaries_and_tail_lookaheads() -> None:
    assert re2_ascii(r"\bcpf cancelado\b") == (r"\bcpf\x{20}cancelado\b", True)
    assert re2_ascii(r"ltda(?=\W|$)")[1] is True
    assert re2_ascii(r"(?<!nao )pague")[1] is False
    assert re2_ascii(r"pague(?= ja) agora")[1] is False  # a lookahead that is not at the tail


def test_token_folding_equals_whole_text_folding(samples: list[str]) -> None:
    checked = 0
    for text in samples:
        if "{" in text:
            continue
        folded = fold(text)
        reference = _apply(text, folded, _edits(folded))
        assert normalize(text) == reference, text  # token by token
        assert analyse(text)[0] == reference, text  # piece by piece, then token by token
        checked += 1
    assert checked > 1000


def test_text_stats_equal_the_readability_and_shouting_counts(samples: list[str]) -> None:
    sentence_re = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
    checked = 0
    for text in samples:
        if "{" in text:
            continue
        stats = text_stats(text)
        assert stats.words == len(words(text)), text
        assert stats.sentences == sentence_count(text), text
        assert stats.flesch == flesch_pt(text), text
        shouted = [w for w in token_findall(CAPS_WORD_RE, text) if w not in ACRONYMS]
        assert stats.shouted == len(shouted), text
        longest = max((word_count(m.group()) for m in sentence_re.finditer(text)), default=0)
        assert longest <= stats.longest_sentence_bound, text
        if stats.shouted < 2:
            assert not list(caps_runs(text, 2, 1)), text
        checked += 1
    assert checked > 1000


def test_a_piece_with_other_digits_gets_the_same_counts() -> None:
    from cobranca_kit.compliance import textstats

    textstats._piece_memo.clear()
    first = (
        "Olá, ANA! A fatura de R$ 1.234,56 venceu em 12/10/2026. vc pode pagar pelo link https://x.co/f/123."
    )
    second = first.replace("1.234,56", "9.876,01").replace("12/10", "31/12").replace("123.", "987.")
    third = first.translate(str.maketrans("123456789", "000000000"))  # its own digit shape, met before
    for text in (first, second, third):  # the others are answered from the first's digit shapes
        folded = fold(text)
        norm, stats = analyse(text)
        assert norm == _apply(text, folded, _edits(folded))
        assert norm.text.count("voce") == 1  # the abbreviation, expanded at the same place
        assert (stats.words, stats.sentences, stats.flesch, stats.shouted) == (
            len(words(text)),
            sentence_count(text),
            flesch_pt(text),
            1,
        )
    assert any(b"R$ 0.000,00 venceu em 00/00/0000" in shape for shape in textstats._piece_memo.shapes)
