"""Second layer of the checker: a compact linear classifier for abuse that no rule words.

The rules stay the first, explainable layer. This one scores the meaning of a
message from its folded words and character n-grams with two logistic
regressions trained by ``training.py`` on the project's development corpus
(``make treinar``): one says "abusive or not" (NB-LR: trained on features scaled by
their naive-Bayes log-count ratio, shipped with the ratio folded into the weights),
the other which legal category.
The weights ship as ``modelo/classificador.json``; inference is plain Python
(no scikit-learn at run time) and remembers what it worked out per word and
per sentence ("piece"), as the batch sees the same sentences again and again.

Features of a text are the sum of the features of its pieces (the folded text
cut at sentence ends), each piece giving:

- ``w:`` + word (digits folded to ``0``), ``b:`` + two adjacent words;
- ``c:`` + the character 3- to 5-grams of `` word `` (within word boundaries).

A feature's value is its count divided by the square root of the text's total
feature count, so the score of a text is ``bias + sum(piece weights) / sqrt(n)``
and each piece's share of it is known: the finding points at the piece that
weighs most.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cobranca_kit.compliance.normalize import normalize
from cobranca_kit.errors import DataFileError

MODEL_PATH = Path(__file__).parent / "modelo" / "classificador.json"
#: Sentence ends that cut the folded text into pieces (kept in the piece before them);
#: the dot of a title ("sr.", "dra.") ends no sentence.
#: A run of marks is tried once, from its start (linear on "!!!!..." with no space after).
#: Written to start with a character class, so ``re`` skips fast to the candidates instead of
#: trying five lookbehinds at every character: the lookbehinds come after the first mark (each
#: spans one more character, the mark itself) and ``(?<=\n)`` tells a newline run. The same
#: matches as ``(?<![.!?;])(?<!\bsr)(?<!\bsra)(?<!\bdr)(?<!\bdra)(?<!\bsrta)[.!?;]+(?=\s)|\n+``.
_PIECE_END_RE = re.compile(
    r"[.!?;\n](?:(?<=\n)\n*|(?<![.!?;][.!?;])(?<!\bsr.)(?<!\bsra.)(?<!\bdr.)(?<!\bdra.)(?<!\bsrta.)[.!?;]*(?=\s))"
)
_WORD_RE = re.compile(r"\w+")
_DIGIT_RE = re.compile(r"\d")
_ASCII_DIGITS = str.maketrans("123456789", "000000000")
_CHAR_MIN, _CHAR_MAX = 3, 5
#: Bound on remembered tokens and pieces (a batch sees few distinct ones; memory stays flat).
_MEMO_MAX = 200_000


def _fold_digits(word: str) -> str:
    return _DIGIT_RE.sub("0", word) if not word.isalpha() else word


def token_features(word: str) -> list[str]:
    """Word and character n-gram features of one folded word."""
    padded = f" {word} "
    out = [f"w:{word}"]
    size = len(padded)
    for n in range(_CHAR_MIN, _CHAR_MAX + 1):
        out.extend(f"c:{padded[i : i + n]}" for i in range(size - n + 1))
    return out


def fold_digits(text: str) -> str:
    """Every digit of ``text`` as ``0`` (``translate`` when ASCII: several times faster than ``sub``)."""
    return text.translate(_ASCII_DIGITS) if text.isascii() else _DIGIT_RE.sub("0", text)


def piece_words(piece: str) -> list[str]:
    return [_fold_digits(w) for w in _WORD_RE.findall(piece)]


def piece_features(piece: str) -> list[str]:
    """Every feature of one folded piece (with repetitions)."""
    words = piece_words(piece)
    out: list[str] = []
    for word in words:
        out.extend(token_features(word))
    out.extend(f"b:{a} {b}" for a, b in pairwise(words))
    return out


def piece_spans(folded: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each non-blank piece of a folded text."""
    spans = []
    start = 0
    for m in _PIECE_END_RE.finditer(folded):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(folded)))
    return [(a, b) for a, b in spans if folded[a:b].strip()]


def text_features(folded: str) -> list[str]:
    """Every feature of a folded text: the sum of its pieces' features (training uses this)."""
    out: list[str] = []
    for start, end in piece_spans(folded):
        out.extend(piece_features(folded[start:end]))
    return out


class ModelMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    #: probability of "abusive" from which the finding is a block / a warning
    block_threshold: float
    warn_threshold: float
    categories: list[str]


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formato: int = 1
    meta: ModelMeta
    bias: float
    category_bias: list[float]
    #: feature -> [abuse weight, weight per category...]
    weights: dict[str, list[float]] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suspicion:
    """What the classifier suspects in one text."""

    probability: float
    category: str
    part: int  # index of the part holding the piece it relies on most
    start: int  # folded offsets of that piece in its part
    end: int


class Classifier:
    """Inference over a loaded :class:`ModelFile` with per-token and per-piece memory."""

    def __init__(self, model: ModelFile) -> None:
        self.model = model
        self.meta = model.meta
        self.categories = model.meta.categories
        self._abuse = {f: w[0] for f, w in model.weights.items() if w[0]}
        self._tokens: dict[str, tuple[float, int]] = {}
        self._pieces: dict[str, tuple[float, int]] = {}

    def _token(self, word: str) -> tuple[float, int]:
        known = self._tokens.get(word)
        if known is None:
            feats = token_features(word)
            get = self._abuse.get
            known = (sum(get(f, 0.0) for f in feats), len(feats))
            if len(self._tokens) >= _MEMO_MAX:
                self._tokens.clear()
            self._tokens[word] = known
        return known

    def piece_score(self, piece: str) -> tuple[float, int]:
        """Sum of abuse weights and number of features of one folded piece (memoised)."""
        key = fold_digits(piece)
        known = self._pieces.get(key)
        return known if known is not None else self._score(key)

    def _score(self, key: str) -> tuple[float, int]:
        """Work out and remember the score of a piece whose digits are folded (``key``).

        Words fold their digits anyway (``piece_words``), so a piece and its key have
        the same words and the same score: pieces differing only by amounts, dates or
        links share one entry. Trailing sentence marks and blanks hold no word either.
        The words of a key need no digit folding of their own (it would change nothing).
        """
        words = _WORD_RE.findall(key)
        total, count = 0.0, 0
        tokens = self._tokens
        for word in words:
            known = tokens.get(word)
            if known is None:
                known = self._token(word)
            total += known[0]
            count += known[1]
        if len(words) > 1:
            get = self._abuse.get
            for a, b in pairwise(words):
                total += get(f"b:{a} {b}", 0.0)
            count += len(words) - 1
        known = (total, count)
        if len(self._pieces) >= _MEMO_MAX:
            self._pieces.clear()
        self._pieces[key] = known
        return known

    def abuse_probability(self, folded: str) -> float:
        return _probability(self.model.bias, *self._message_score([folded]))

    def _message_score(self, texts: list[str]) -> tuple[float, int]:
        """Summed piece scores and feature count of a message (its folded parts).

        The hot path of every check: one digit fold and one split per part, then
        one dict lookup per piece. The pieces are added in text order, as
        ``piece_spans`` gives them, so the sum is the same float as
        ``sum(piece_score(piece))`` (blank pieces add exactly ``(0.0, 0)``).
        """
        pieces = self._pieces
        score = self._score
        total, count = 0.0, 0
        for folded in texts:
            for key in _PIECE_END_RE.split(fold_digits(folded)):
                known = pieces.get(key)
                if known is None:
                    known = score(key)
                total += known[0]
                count += known[1]
        return total, count

    def suspect(self, texts: list[str]) -> Suspicion | None:
        """The suspicion for a message made of folded parts, or None below the warning threshold.

        The parts are scored together (a script is one message, as in training);
        the suspicion points at the piece that weighs most, in whichever part
        (located only for a message above the warning threshold).
        """
        total, count = self._message_score(texts)
        if not count:
            return None  # no words at all (placeholders only): nothing to judge
        probability = _probability(self.model.bias, total, count)
        if probability < self.meta.warn_threshold:
            return None
        where: list[tuple[int, int, int]] = []
        scores: list[float] = []
        for index, folded in enumerate(texts):
            for a, b in piece_spans(folded):
                where.append((index, a, b))
                scores.append(self.piece_score(folded[a:b])[0])
        best = max(range(len(where)), key=scores.__getitem__)
        index, start, end = where[best]
        return Suspicion(probability, self.category("\n".join(texts)), index, start, end)

    def category(self, folded: str) -> str:
        """The most likely legal category of a folded text (computed only for suspects)."""
        feats = text_features(folded)
        logits = list(self.model.category_bias)
        if feats:
            scale = 1.0 / math.sqrt(len(feats))
            weights = self.model.weights
            for feat in feats:
                w = weights.get(feat)
                if w is not None:
                    for i, value in enumerate(w[1:]):
                        logits[i] += value * scale
        return self.categories[max(range(len(logits)), key=logits.__getitem__)]


def _probability(bias: float, total: float, count: int) -> float:
    logit = bias + (total / math.sqrt(count) if count else 0.0)
    if logit < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-logit))


def read_model(path: str | Path = MODEL_PATH) -> ModelFile:
    """Load and validate a model file; a broken one raises a pt-BR error naming it."""
    path = Path(path)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(path, "modelo do classificador não encontrado (rode 'make treinar')") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(path, f"modelo do classificador ilegível: {exc}") from exc
    try:
        model = ModelFile.model_validate(data)
    except ValueError as exc:
        raise DataFileError(path, f"modelo do classificador inválido: {exc}") from exc
    width = len(model.meta.categories) + 1
    if len(model.category_bias) != width - 1 or any(len(w) != width for w in model.weights.values()):
        raise DataFileError(path, f"cada peso do modelo deve ter {width} números (abuso + categorias)")
    return model


@lru_cache(maxsize=1)
def get_classifier() -> Classifier:
    """The shipped classifier, loaded once per process."""
    return Classifier(read_model())


def fold(text: str) -> str:
    """The folded text the classifier reads (the checker's own normalisation)."""
    return normalize(text).text


class CategoryText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article: str
    suggestion: str


CATEGORY_TEXT_PATH = MODEL_PATH.parent / "categorias.yaml"


@lru_cache(maxsize=1)
def category_texts() -> dict[str, CategoryText]:
    """Article and suggestion per legal category for the classifier's findings (``categorias.yaml``)."""
    from cobranca_kit.compliance.rules import LEGAL_CATEGORIES
    from cobranca_kit.datafiles import load_yaml, validate

    data = load_yaml(CATEGORY_TEXT_PATH)
    if not isinstance(data, dict) or set(data) != set(LEGAL_CATEGORIES):
        raise DataFileError(
            CATEGORY_TEXT_PATH, f"o arquivo deve ter exatamente as categorias: {', '.join(LEGAL_CATEGORIES)}"
        )
    return {name: validate(CategoryText, value, CATEGORY_TEXT_PATH) for name, value in data.items()}
