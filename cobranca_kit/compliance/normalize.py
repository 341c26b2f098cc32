"""One normalisation for matching, with a map back to the original text.

Rules are written against folded text: lower case, no accents, single spaces,
chat abbreviations expanded (``vc`` -> ``voce``, ``pgto`` -> ``pagamento``) and
every Jinja placeholder or tag replaced by one opaque character, so a rule can
never match inside ``{{ cliente.nome }}``. Each folded character remembers the
span of original characters it came from, so a finding points at the exact
words the user wrote.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from cobranca_kit.compliance.tokens import TokenMemo

#: Stands for a Jinja placeholder or tag in folded text (private-use, not ``\w``).
PLACEHOLDER = "\ue000"

#: Chat abbreviations expanded before matching (whole words only).
ABBREVIATIONS: dict[str, str] = {
    "vc": "voce",
    "vcs": "voces",
    "voc": "voce",
    "pq": "porque",
    "pgto": "pagamento",
    "pgt": "pagamento",
    "pagto": "pagamento",
    "q": "que",
    "tb": "tambem",
    "tbm": "tambem",
    "td": "tudo",
    "hj": "hoje",
    "msg": "mensagem",
    "n": "nao",
    "qdo": "quando",
    "qnd": "quando",
    "blz": "beleza",
    "agr": "agora",
    "p": "para",
    "pra": "para",
    "pro": "para o",
    "vlw": "valeu",
}

_ABBREV_RE = (
    r"(?<!\w)(?:"
    + "|".join(sorted((re.escape(k) for k in ABBREVIATIONS), key=len, reverse=True))
    + r")(?!\w)"
)
# Jinja constructs are bounded (no newline-crossing ``.*?`` beyond 400 chars) to stay linear.
_JINJA_SOURCE = r"\{\{[^{}]{0,400}\}\}|\{%[^{}]{0,400}%\}|\{#[^{}]{0,400}#\}"
_SPACE_SOURCE = r"\s{2,}|[\t\n\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]"
#: The edits in one regex (the reference); ``_edits`` finds the same matches faster.
_EDIT_RE = re.compile(rf"(?P<jinja>{_JINJA_SOURCE})|(?P<space>{_SPACE_SOURCE})|(?P<abbr>{_ABBREV_RE})")
_JINJA_EDIT_RE = re.compile(_JINJA_SOURCE)
_SPACE_EDIT_RE = re.compile(_SPACE_SOURCE)


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding case and accents one character to one character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        lowered = char.lower()
        if len(lowered) != 1:
            lowered = char
        base = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
        folded = base if len(base) == 1 else lowered
        if folded in "\u201c\u201d\u00ab\u00bb":
            folded = '"'
        elif folded in "\u2018\u2019\u00b4`":
            folded = "'"
        self[code] = folded
        return folded


_FOLD = _FoldTable()
#: Characters ``str.lower`` does not already fold for us: all but ASCII, and the backtick.
_NEEDS_TABLE_RE = re.compile(r"([^\x00-\x5f\x61-\x7f]+)")
_run_memo: TokenMemo[str] = TokenMemo(lambda run: run.translate(_FOLD))


def fold(text: str) -> str:
    """Case and accent folding that keeps the length (one character in, one out).

    Same result as ``text.translate(_FOLD)``, faster: ``str.lower`` (C speed) does
    the ASCII letters, and only the runs of other characters go through the
    table. ``lower`` is context-free except for the final capital sigma, and it
    may lengthen a character (``İ``); both cases take the table for the whole text.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or "\u03a3" in text:
        return text.translate(_FOLD)
    if lowered.isascii() and "`" not in lowered:
        return lowered
    # odd items are the runs the table folds; each distinct run is folded once
    pieces = _NEEDS_TABLE_RE.split(lowered)
    pieces[1::2] = map(_run_memo.__getitem__, pieces[1::2])
    return "".join(pieces)


def fold_pattern(pattern: str) -> str:
    """Accent folding for rule patterns (case kept: ``\\W`` must stay ``\\W``)."""
    return "".join(c for c in unicodedata.normalize("NFD", pattern) if not unicodedata.combining(c))


class Normalized:
    """Folded text plus, per folded character, the original ``[start, end)`` span.

    The per-character map is built on first use (only findings need it), from
    the list of edits recorded while folding.
    """

    __slots__ = ("_edits", "_map", "original", "text")

    def __init__(self, original: str, text: str, edits: list[tuple[int, int, int]]) -> None:
        self.original = original
        self.text = text
        #: (original start, original end, folded length) of each replacement, in order
        self._edits = edits
        self._map: tuple[array, array] | None = None

    def __repr__(self) -> str:
        return f"Normalized(original={self.original!r}, text={self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        return (self.original, self.text, self._edits) == (other.original, other.text, other._edits)

    def __hash__(self) -> int:
        return hash((self.original, self.text))

    @property
    def starts(self) -> array:
        return self._offsets()[0]

    @property
    def ends(self) -> array:
        return self._offsets()[1]

    def _offsets(self) -> tuple[array, array]:
        if self._map is None:
            starts = array("l")
            ends = array("l")
            pos = 0
            for start, end, size in self._edits:
                if start > pos:
                    starts.extend(range(pos, start))
                    ends.extend(range(pos + 1, start + 1))
                starts.extend([start] * size)
                ends.extend([end] * size)
                pos = end
            size = len(self.original)
            if pos < size:
                starts.extend(range(pos, size))
                ends.extend(range(pos + 1, size + 1))
            self._map = (starts, ends)
        return self._map

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded slice ``text[start:end]``."""
        if not self.text:
            return 0, 0
        starts, ends = self._offsets()
        if end <= start:
            pos = starts[start] if start < len(starts) else len(self.original)
            return pos, pos
        return starts[start], ends[end - 1]


def _edits(folded: str) -> list[tuple[int, int, str]]:
    """The matches of ``_EDIT_RE.finditer(folded)`` as ``(start, end, group name)``, found faster.

    The three kinds start with disjoint characters (``{``, whitespace, a letter),
    so scanning for each kind on its own and dropping what starts inside an
    earlier match gives the same list. Whitespace runs are looked for only where
    there can be some, and abbreviations token by token (see ``_abbreviations``).
    """
    found: list[tuple[int, int, str]] = []
    if "{" in folded:
        found.extend((*m.span(), "jinja") for m in _JINJA_EDIT_RE.finditer(folded))
    if "  " in folded or not folded.isprintable():  # every other whitespace is non-printable
        found.extend((*m.span(), "space") for m in _SPACE_EDIT_RE.finditer(folded))
    found.extend(_abbreviations(folded))
    if not found:
        return found
    found.sort()
    out: list[tuple[int, int, str]] = []
    last_end = 0
    for edit in found:
        if edit[0] >= last_end:
            out.append(edit)
            last_end = edit[1]
    return out


_ABBREV_FULL_RE = re.compile(_ABBREV_RE)


_WORD_RUN_RE = re.compile(r"\w+")


def _token_abbreviations(token: str) -> tuple[tuple[int, int], ...]:
    # an abbreviation is a whole run of word characters: look for one only if a run is one
    if ABBREVIATIONS.keys().isdisjoint(_WORD_RUN_RE.findall(token)):
        return ()
    return tuple(m.span() for m in _ABBREV_FULL_RE.finditer(token))


_abbrev_memo: TokenMemo[tuple[tuple[int, int], ...]] = TokenMemo(_token_abbreviations)


def _abbreviations(folded: str) -> list[tuple[int, int, str]]:
    """``_ABBREV_RE`` matches in ``folded``, found per space-separated token (cached per token).

    An abbreviation is a whole word: it holds no space, and its lookarounds
    only ask for a non-word character on each side, which the space between
    tokens is; so matching each token alone finds the same spans. Messages
    repeat most of their tokens, and most tokens hold no abbreviation.
    """
    tokens = folded.split(" ")
    hits = list(map(_abbrev_memo.__getitem__, tokens))
    if not any(hits):
        return []
    out: list[tuple[int, int, str]] = []
    pos = 0
    for token, spans in zip(tokens, hits, strict=True):
        for start, end in spans:  # type: ignore[union-attr]
            out.append((pos + start, pos + end, "abbr"))
        pos += len(token) + 1
    return out


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching and keep the offset map (see module docstring)."""
    if "{" in text:  # a Jinja construct may hold spaces: fold the text as a whole
        folded = fold(text)
        return _apply(text, folded, _edits(folded))
    folded, abbreviations = join_units(list(map(_token_memo.__getitem__, text.split(" "))), " ")
    return normalize_folded(text, folded, abbreviations)


def join_units(units: Sequence[Sequence[Any]], separator: str) -> tuple[str, list[tuple[int, int]]]:
    """Fold a text cut at ``separator`` into units, from each unit's ``(folded, abbreviation spans, ...)``.

    The units are ``fold_token`` of the space-separated tokens of a text
    without ``{`` (or of larger pieces, see ``textstats``); items after the
    first two are ignored. Folding maps character to character, so the folded
    units joined by the (folded) separator are the folded text, and each
    abbreviation moves by the length of what comes before its unit. A unit
    boundary must have a non-word character on each side (a space or a
    period), so abbreviations, whole words, are found per unit exactly.
    """
    folded = separator.join(map(_FOLDED, units))
    spans: list[tuple[int, int]] = []
    if any(map(_ABBREVS, units)):
        pos, step = 0, len(separator)
        for unit, unit_spans, *_ in units:
            spans.extend((pos + start, pos + end) for start, end in unit_spans)
            pos += len(unit) + step
    return folded, spans


def normalize_folded(text: str, folded: str, abbreviations: list[tuple[int, int]]) -> Normalized:
    """``normalize(text)`` for text without ``{``, given ``fold(text)`` and its abbreviation spans.

    Without ``{`` there is no Jinja edit; whitespace runs need a scan only where
    a double space or another whitespace character occurs, and they never
    overlap an abbreviation.
    """
    found: list[tuple[int, int, str]] = []
    if "  " in folded or not folded.isprintable():  # every other whitespace is non-printable
        found.extend((*m.span(), "space") for m in _SPACE_EDIT_RE.finditer(folded))
    if abbreviations:
        found.extend((start, end, "abbr") for start, end in abbreviations)
        found.sort()
    return _apply(text, folded, found)


def _apply(text: str, folded: str, found: list[tuple[int, int, str]]) -> Normalized:
    """Apply the edits ``found`` in the folded text (Jinja, whitespace, abbreviations)."""
    pieces: list[str] = []
    edits: list[tuple[int, int, int]] = []
    pos = 0
    for start, end, kind in found:
        if start > pos:
            pieces.append(folded[pos:start])
        if kind == "jinja":
            out = PLACEHOLDER
        elif kind == "space":
            out = "\n" if "\n" in folded[start:end] else " "
        else:
            out = ABBREVIATIONS[folded[start:end]]
        pieces.append(out)
        edits.append((start, end, len(out)))
        pos = end
    if not edits:
        return Normalized(text, folded, edits)
    if pos < len(folded):
        pieces.append(folded[pos:])
    return Normalized(text, "".join(pieces), edits)


def fold_token(token: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A space-separated token folded, and the spans of the abbreviations in the folded token."""
    folded = fold(token)
    return folded, _abbrev_memo[folded]


#: Per space-separated token: its folded form and the abbreviations in it.
_token_memo: TokenMemo[tuple[str, tuple[tuple[int, int], ...]]] = TokenMemo(fold_token)
_FOLDED = itemgetter(0)
_ABBREVS = itemgetter(1)


_PLACEHOLDER_NAME_RE = re.compile(r"\{\{-?\s{0,20}([A-Za-z_][\w.]{0,80})")


def placeholder_names(text: str) -> set[str]:
    """Dotted variables shown by ``{{ ... }}`` in ``text`` (filters ignored)."""
    return set(_PLACEHOLDER_NAME_RE.findall(text))


def has_placeholders(text: str) -> bool:
    return "{{" in text or "{%" in text
