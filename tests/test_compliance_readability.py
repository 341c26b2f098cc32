"""Syllables are counted exactly as textstat counts Portuguese, without importing it.

``readability.syllables`` calls pyphen directly (textstat's import pulls in nltk).
These tests hold it equal to ``textstat.syllable_count`` with ``set_lang("pt")``
over every word of the labelled corpus, the phrase bank and generated words with
accents, capitals, hyphens and apostrophes.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import textstat

from cobranca_kit.compliance.readability import WORD_RE, syllables

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def textstat_pt():
    textstat.set_lang("pt")
    try:
        yield lambda word: max(1, textstat.syllable_count(word.lower()))
    finally:
        textstat.set_lang("en_US")


def _vocabulary() -> set[str]:
    texts = [
        json.loads(line)["texto"]
        for line in (ROOT / "tests/data/corpus/desenvolvimento.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    texts.append((ROOT / "cobranca_kit/drafting/frases.yaml").read_text(encoding="utf-8"))
    return {w for text in texts for w in WORD_RE.findall(text) if not w[0].isdigit() and "{" not in w}


def _generated(n: int) -> list[str]:
    rng = random.Random(7)
    letters = "abcdefghijlmnopqrstuvxzáàâãéêíóôõúçÁÉÇÃ"
    out = []
    for _ in range(n):
        pieces = [
            "".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 3))
        ]
        joiners = [rng.choice("-'") for _ in pieces[1:]]
        word = pieces[0] + "".join(j + p for j, p in zip(joiners, pieces[1:], strict=True))
        out.append(word.upper() if rng.random() < 0.1 else word)
    # apostrophes before English contraction endings are the ones textstat keeps
    out += ["d'sa", "n'tava", "d'água", "pé-de-meia", "e-mail", "Guarda-Chuva", "l're", "x'll", "a've"]
    return out


def test_the_vocabulary_counts_as_textstat_counts(textstat_pt) -> None:
    words = sorted(_vocabulary())
    assert len(words) > 1_500
    differ = [(w, syllables(w), textstat_pt(w)) for w in words if syllables(w) != textstat_pt(w)]
    assert differ == []


def test_generated_words_with_hyphens_and_apostrophes_count_as_textstat_counts(textstat_pt) -> None:
    words = _generated(3_000)
    differ = [(w, syllables(w), textstat_pt(w)) for w in words if syllables(w) != textstat_pt(w)]
    assert differ == []
    assert syllables("menina") == 3 and syllables("d'água") == 2


def test_a_check_does_not_import_textstat_or_nltk() -> None:
    code = (
        "import sys\n"
        "from cobranca_kit.compliance import check\n"
        "report = check('Olá, Maria! Sua fatura de novembro vence amanhã. Qualquer dúvida, conte conosco.',"
        " 'whatsapp')\n"
        "assert report.metrics['overall']['flesch'] > 0\n"
        "print(sorted(m for m in ('textstat', 'nltk') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
