"""The classifier's fast path (message score in one pass, memo per digit-folded piece) says
exactly what the plain definition says: same probability to the last bit, same piece, same
category, on the development corpus and on batch-like messages."""

from __future__ import annotations

import json
import math
import random
import re
from itertools import pairwise
from pathlib import Path

import pytest

from cobranca_kit.compliance import check
from cobranca_kit.compliance.classifier import (
    Classifier,
    Suspicion,
    fold,
    get_classifier,
    piece_spans,
    piece_words,
    read_model,
    token_features,
)

DEV = Path(__file__).parent / "data" / "corpus" / "desenvolvimento.jsonl"

#: The piece ends as first written (lookbehinds before the marks): the reference for the faster one.
REFERENCE_PIECE_END_RE = re.compile(
    r"(?<![.!?;])(?<!\bsr)(?<!\bsra)(?<!\bdr)(?<!\bdra)(?<!\bsrta)[.!?;]+(?=\s)|\n+"
)


def reference_spans(folded: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in REFERENCE_PIECE_END_RE.finditer(folded):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(folded)))
    return [(a, b) for a, b in spans if folded[a:b].strip()]


def reference_piece(weights: dict[str, float], piece: str) -> tuple[float, int]:
    """Score of one piece from its features, nothing remembered (the order of the sums kept)."""
    words = piece_words(piece)
    total, count = 0.0, 0
    for word in words:
        feats = token_features(word)
        total += sum(weights.get(f, 0.0) for f in feats)
        count += len(feats)
    for a, b in pairwise(words):
        total += weights.get(f"b:{a} {b}", 0.0)
        count += 1
    return total, count


def reference_suspect(clf: Classifier, texts: list[str]) -> tuple[float, Suspicion | None]:
    weights = {f: w[0] for f, w in clf.model.weights.items()}
    where, scores = [], []
    for index, folded in enumerate(texts):
        for a, b in reference_spans(folded):
            where.append((index, a, b))
            scores.append(reference_piece(weights, folded[a:b]))
    total, count = 0.0, 0
    for s, n in scores:
        total += s
        count += n
    logit = clf.model.bias + (total / math.sqrt(count) if count else 0.0)
    probability = 0.0 if logit < -40 else 1.0 / (1.0 + math.exp(-logit))
    if not count or probability < clf.meta.warn_threshold:
        return probability, None
    best = max(range(len(where)), key=lambda i: scores[i][0])
    index, start, end = where[best]
    return probability, Suspicion(probability, clf.category("\n".join(texts)), index, start, end)


def _dev_texts() -> list[str]:
    return [
        json.loads(line)["texto"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _batch_like(n: int) -> list[str]:
    """Messages from one script with other names, amounts, dates, links and punctuation."""
    rng = random.Random(7)
    names = ["Mariana", "João", "Sr. Tadeu", "Dra. Ana", "Srta. Luiza", "PEDRO"]
    marks = ["!", ".", "!!!", ";", "?!"]
    ends = [".", ". ", ".\n\n", " e segue em aberto."]
    out = []
    for i in range(n):
        out.append(
            f"Olá, {rng.choice(names)}{rng.choice(marks)} A fatura de R$ "
            f"{rng.uniform(10, 9999):,.2f} venceu em {rng.randrange(1, 29):02d}/1{rng.randrange(3)}/2026"
            f"{rng.choice(ends)} Pague pelo link "
            f"https://pagar.exemplo.com.br/f/{i:07d} ou pelo Pix; dúvidas: (19) 3232-{rng.randrange(10**4):04d}."
        )
    return out


def test_fast_score_equals_the_plain_definition_on_the_development_corpus_and_batch_messages() -> None:
    shared = get_classifier()
    texts = _dev_texts() + _batch_like(300)
    assert len(texts) > 1000
    model = read_model()
    suspects = 0
    for text in texts:
        folded = fold(text)
        fresh = Classifier(model)  # nothing remembered yet
        probability, expected = reference_suspect(fresh, [folded])
        assert fresh.suspect([folded]) == expected, text
        assert shared.suspect([folded]) == expected, text  # warm memo, shared with every check
        assert shared.suspect([folded]) == expected, text  # and answered from it again
        assert shared.abuse_probability(folded) == probability, text
        suspects += expected is not None
    assert suspects > 100  # the corpus holds abusive texts: the located path runs too


def test_a_message_of_several_parts_is_scored_and_located_as_the_definition_says() -> None:
    clf = get_classifier()
    texts = _dev_texts()
    rng = random.Random(3)
    for _ in range(200):
        parts = [fold(t) for t in rng.sample(texts, rng.randrange(2, 4))]
        assert clf.suspect(parts) == reference_suspect(clf, parts)[1], parts


def test_unicode_digits_titles_and_runs_of_marks_keep_the_definition() -> None:
    clf = get_classifier()
    for text in [
        "Pague ١٢٣ hoje!!! Ou o Sr. Tadeu vai saber; a dra. Ana também.\n\nAtt, ²³ equipe",
        "Vamos passar aí com uns amigos!!!!!!!!!!x ... ;; ?! fim.",
        "\n\n\n",
        "!!! ... ;;;",
    ]:
        folded = fold(text)
        assert clf.suspect([folded]) == reference_suspect(clf, [folded])[1]
        assert clf.abuse_probability(folded) == reference_suspect(clf, [folded])[0]


@pytest.mark.parametrize("seed", range(4))
def test_piece_ends_are_those_of_the_reference_pattern(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [*"srtadx .!?;\n\t0é_", "sr", "sra", "dr", "dra", "srta", " sr.", "..."]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        assert piece_spans(text) == reference_spans(text), repr(text)


def test_pieces_that_differ_only_in_digits_share_one_memo_entry() -> None:
    clf = Classifier(read_model())
    clf.suspect([fold("A fatura de R$ 104,28 venceu em 18/10/2026.")])
    remembered = len(clf._pieces)
    for value, day in [("999,99", "01/11/2026"), ("350,00", "30/10/2025"), ("777,70", "12/12/2024")]:
        clf.suspect([fold(f"A fatura de R$ {value} venceu em {day}.")])
    assert len(clf._pieces) == remembered


def test_checking_many_messages_changes_no_verdict_of_a_message_checked_first() -> None:
    sample = _dev_texts()[::25]
    before = [check(t).to_dict() for t in sample]
    for text in _batch_like(200) + _dev_texts()[1::3]:
        check(text, channel="whatsapp")
    assert [check(t).to_dict() for t in sample] == before
