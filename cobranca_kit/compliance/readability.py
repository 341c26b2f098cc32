"""Readability for Portuguese: Flesch reading ease with the Martins et al. (1996) constants.

textstat counts Portuguese syllables well (pyphen's pt dictionary) but has no
Portuguese Flesch constants: with ``set_lang("pt")`` it uses the English
formula, which reads about 42 points low. So we count syllables as textstat does
and apply ``248.835 - 1.015 * words/sentence - 84.6 * syllables/word`` ourselves.

The count is textstat's own method for a language without a CMU dictionary
(textstat ``count_syllables``: its punctuation clean-up, then pyphen's hyphenation
points plus one per word), called on pyphen directly: importing textstat imports
nltk for English, about 0.4 s that every batch run and CLI check paid for nothing.
``tests/test_compliance_readability.py`` holds the two equal over a vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from cobranca_kit.compliance.normalize import PLACEHOLDER
from cobranca_kit.compliance.tokens import token_findall


@lru_cache(maxsize=1)
def _hyphenator() -> Any:
    """pyphen's Portuguese dictionary, the one textstat uses for ``set_lang("pt")``."""
    from pyphen import Pyphen

    return Pyphen(lang="pt")


# textstat's ``remove_punctuation`` (apostrophes kept only before English contraction
# endings, then every other non-word character dropped), for words that are not all letters.
_NONCONTRACTION_APOSTROPHE = re.compile(r"'(?!(?:[tsd]|ve|ll|re))")
_PUNCTUATION = re.compile(r"[^\w\s']")


_JINJA_RE = re.compile(r"\{\{[^{}]{0,400}\}\}|\{%[^{}]{0,400}%\}|\{#[^{}]{0,400}#\}")
WORD_RE = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:[.,]\d+)*|" + PLACEHOLDER)
SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)|\n\s*\n|\n(?=\s*[-•*\d])")


def words(text: str) -> list[str]:
    """Words of ``text``; a Jinja placeholder counts as one word."""
    return list(_words(text))


@lru_cache(maxsize=4096)
def word_count(text: str) -> int:
    """``len(words(text))`` for many short pieces such as sentences (they repeat across messages)."""
    if "{" in text:
        text = _JINJA_RE.sub(PLACEHOLDER, text)
    return len(token_findall(WORD_RE, text))


@lru_cache(maxsize=256)
def _words(text: str) -> tuple[str, ...]:
    # cached: one check asks for the words of the same part several times. No word
    # contains whitespace and the pattern has no lookaround: per token is the same.
    if "{" in text:
        text = _JINJA_RE.sub(PLACEHOLDER, text)
    return tuple(token_findall(WORD_RE, text))


@lru_cache(maxsize=256)
def sentence_count(text: str) -> int:
    """Sentences: ends at ``.!?``, blank lines or list items; at least 1 for non-empty text."""
    stripped = text.strip()
    if not stripped:
        return 0
    parts = [p for p in SENTENCE_END_RE.split(stripped) if p and WORD_RE.search(p)]
    return max(1, len(parts))


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables of one word per textstat's pt-BR (pyphen) counting; at least 1."""
    if word == PLACEHOLDER:
        return 2
    if word[0].isdigit():
        return max(1, len(word) // 2)
    lowered = word.lower()
    if not lowered.isalpha():
        lowered = _PUNCTUATION.sub("", _NONCONTRACTION_APOSTROPHE.sub("", lowered))
    positions = _hyphenator().positions
    return max(1, sum(len(positions(part)) + 1 for part in lowered.split()))


@lru_cache(maxsize=256)
def flesch_pt(text: str) -> float:
    """Flesch reading ease for Portuguese (higher is easier; 0 for text without words)."""
    found = _words(text)
    if not found:
        return 0.0
    return flesch_score(len(found), sentence_count(text), sum(map(syllables, found)))


def flesch_score(n_words: int, n_sentences: int, n_syllables: int) -> float:
    """The Martins et al. formula, rounded to one decimal (0 without words)."""
    if not n_words:
        return 0.0
    score = 248.835 - 1.015 * (n_words / n_sentences) - 84.6 * (n_syllables / n_words)
    return round(score, 1)
