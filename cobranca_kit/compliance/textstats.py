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

from cobranca_kit.compliance.normalize import Normalized, fold, fold_token, join_units, normalize_folded
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
    #: same as ``readability.flesch_pt`` of the text
    flesch: float


def text_stats(text: str) -> TextStats:
    """Counts of a text without Jinja markup (``ValueError`` otherwise: a placeholder is one word)."""
    return analyse(text)[1]


def analyse(text: str) -> tuple[Normalized, TextStats]:
    """``normalize(text)`` and ``text_stats(text)`` of a text without ``{``, from memoised pieces.

    The text is cut at ". " into pieces (sentences, mostly), and each distinct
    piece is analysed once, itself token by token. A cut has a period before
    and a space after it, so no word, abbreviation or run of capitals crosses
    it, and the period ends the last token of the piece before it: the shapes
    join with ``.`` (see ``_stats``).
    """
    if "{" in text:
        raise ValueError("text_stats counts plain text; Jinja markup changes what a word is")
    pieces = list(map(_piece_memo.__getitem__, text.split(". ")))
    folded, abbreviations = join_units(pieces, ". ")
    return normalize_folded(text, folded, abbreviations), _stats(text, pieces, ".")


Facts = tuple[str, tuple[tuple[int, int], ...], int, int, str]


def _analyse_piece(piece: str) -> Facts:
    """The facts of a piece as one unit: folded form, abbreviations, syllables, capitals, shape."""
    tokens = list(map(_memo.__getitem__, piece.split(" ")))
    folded, abbreviations = join_units(tokens, " ")
    syllable_count = sum(map(_SYLLABLES, tokens))
    return (
        folded,
        tuple(abbreviations),
        syllable_count,
        sum(map(_SHOUTED, tokens)),
        "".join(map(_SHAPE, tokens)),
    )


#: Every ASCII digit to ``0`` (on the UTF-8 bytes, where ``translate`` is a plain table lookup).
_DIGIT_SHAPE = bytes.maketrans(b"123456789", b"000000000")


class _PieceMemo(dict[str, Facts]):
    """Facts per piece; a piece not seen yet gets those of its digit shape, if seen.

    Messages differ mostly in amounts, dates, codes and links, so most new
    pieces are an old piece with other digits. Changing one ASCII digit for
    another changes no fact but the folded form: a digit is a word character
    for abbreviations, neither a letter nor a capital, a number's syllables
    count its length, and no sentence ends at a digit. So the facts of the
    shape (with ``0`` for every digit) serve, with the piece's own folded form.
    """

    def __init__(self) -> None:
        super().__init__()
        #: digit shape (UTF-8 bytes) -> facts of the first piece seen with it
        self.shapes: dict[bytes, Facts] = {}

    def __missing__(self, piece: str) -> Facts:
        data = piece.encode("utf-8", "surrogatepass")
        shape = data.translate(_DIGIT_SHAPE)
        known = self.shapes.get(shape)
        if known is None:
            facts = _analyse_piece(piece)
            if len(self.shapes) < _PIECE_MEMO_MAX and len(piece) <= _PIECE_MEMO_MAX_CHARS:
                self.shapes[shape] = facts
        else:  # the first piece of this shape may have had other digits: fold this one
            facts = (fold(piece), *known[1:])  # type: ignore[assignment]
        if len(self) < _PIECE_MEMO_MAX and len(piece) <= _PIECE_MEMO_MAX_CHARS:
            self[piece] = facts
        return facts

    def clear(self) -> None:
        super().clear()
        self.shapes.clear()


#: Pieces longer than this are analysed without being remembered (they rarely come back).
_PIECE_MEMO_MAX_CHARS = 400
_PIECE_MEMO_MAX = 50_000
_piece_memo = _PieceMemo()


def _stats(text: str, counts: list[Facts], joint: str = "") -> TextStats:
    """Counts from the facts of the units of ``text``; ``joint``: what the cuts add to the shape."""
    shape = joint.join(map(_SHAPE, counts))
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
    words = len(shape) - len(stretches) + 1
    syllable_count = sum(map(_SYLLABLES, counts))
    return TextStats(
        len(text),
        words,
        syllable_count,
        sentences,
        sum(map(_SHOUTED, counts)),
        max(map(len, stretches)),
        flesch_score(words, sentences, syllable_count),
    )
