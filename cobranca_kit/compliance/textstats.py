"""Word, syllable and capitals counts of a text, added up token by token.

Readability and the shouting check count things that never hold a space: a
word (``readability.WORD_RE``) or a word in capitals (``practices.CAPS_WORD_RE``,
whose lookarounds only refuse letters, and a space is none). So the counts of a
text are the sums of the counts of its space-separated tokens, and each
distinct token is counted once per process: messages rendered from one
template repeat almost all their tokens. The results equal those of
``readability`` and ``practices`` on the whole text (tested on the corpus and
on random texts).
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from cobranca_kit.compliance.normalize import Normalized, fold_token, normalize_tokens
from cobranca_kit.compliance.practices import ACRONYMS, CAPS_WORD_RE
from cobranca_kit.compliance.readability import WORD_RE, flesch_score, sentence_count, syllables
from cobranca_kit.compliance.tokens import TokenMemo


def _token_facts(token: str) -> tuple[str, tuple[tuple[int, int], ...], int, int, str]:
    found = WORD_RE.findall(token)
    # capitals change under ``lower``: a token that does not change has no word in capitals
    shouted = (
        sum(1 for w in CAPS_WORD_RE.findall(token) if w not in ACRONYMS) if token.lower() != token else 0
    )
    shape = "w" * len(found) + ("." if token[-1:] in _SENTENCE_PUNCTUATION else "")
    return (*fold_token(token), sum(map(syllables, found)), shouted, shape)


_SENTENCE_PUNCTUATION = (".", "!", "?")
#: Per space-separated token: ``normalize.fold_token`` of it (folded form, abbreviations),
#: syllables, words in capitals, and its shape: a ``w`` per word, then a ``.`` if the token
#: ends a sentence (ends with ``.!?``).
_memo: TokenMemo[tuple[str, tuple[tuple[int, int], ...], int, int, str]] = TokenMemo(_token_facts)
_SYLLABLES = itemgetter(2)
_SHOUTED = itemgetter(3)
_SHAPE = itemgetter(4)


class TextStats(NamedTuple):
    characters: int
    words: int
    syllables: int
    sentences: int
    #: words in capitals that are not known acronyms (what ``practices.caps_runs`` looks for first)
    shouted: int
    #: an upper bound of the words of any sentence ``checks.long_sentence`` looks at
    longest_sentence_bound: int

    @property
    def flesch(self) -> float:
        """Same as ``readability.flesch_pt`` of the text."""
        return flesch_score(self.words, self.sentences, self.syllables)


def text_stats(text: str) -> TextStats:
    """Counts of a text without Jinja markup (``ValueError`` otherwise: a placeholder is one word)."""
    return analyse(text)[1]


def analyse(text: str) -> tuple[Normalized, TextStats]:
    """``normalize(text)`` and ``text_stats(text)`` in one pass over the tokens of a text without ``{``."""
    if "{" in text:
        raise ValueError("text_stats counts plain text; Jinja markup changes what a word is")
    counts = list(map(_memo.__getitem__, text.split(" ")))
    return normalize_tokens(text, counts), _stats(text, counts)


def _stats(text: str, counts: list[tuple[str, tuple[tuple[int, int], ...], int, int, str]]) -> TextStats:
    shape = "".join(map(_SHAPE, counts))
    # The stretches of the shape between sentence ends, one ``w`` per word. With only spaces
    # for whitespace, a token ending in ``.!?`` is exactly an end of ``SENTENCE_END_RE``, and
    # ``sentence_count`` counts the stretches that hold a word. Every sentence of
    # ``checks.long_sentence`` (cut at any ``.!?`` or line break) lies inside one stretch and
    # has at most the words of its stretch.
    stretches = shape.split(".")
    if not text.isprintable():  # line breaks or tabs: blank lines and list items end sentences too
        sentences = sentence_count(text)
    else:
        sentences = len(stretches) - stretches.count("")
        if sentences == 0 and text.strip():
            sentences = 1  # ``sentence_count``: at least one sentence in a non-empty text
    return TextStats(
        characters=len(text),
        words=len(shape) - len(stretches) + 1,
        syllables=sum(map(_SYLLABLES, counts)),
        sentences=sentences,
        shouted=sum(map(_SHOUTED, counts)),
        longest_sentence_bound=max(map(len, stretches)),
    )
