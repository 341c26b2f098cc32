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
# Without the leading ``(?<!\w)`` ``re`` can jump between candidate first letters; checked in ``_edits``.
_ABBREV_SCAN_RE = re.compile(_ABBREV_RE.removeprefix(r"(?<!\w)"))


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
_NEEDS_TABLE_RE = re.compile(r"[^\x00-\x5f\x61-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


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
    return _NEEDS_TABLE_RE.sub(_fold_run, lowered)


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
    earlier match gives the same list; each kind alone lets ``re`` skip ahead.
    """
    found: list[tuple[int, int, str]] = []
    if "{" in folded:
        found.extend((*m.span(), "jinja") for m in _JINJA_EDIT_RE.finditer(folded))
    found.extend((*m.span(), "space") for m in _SPACE_EDIT_RE.finditer(folded))
    pos, size, search = 0, len(folded), _ABBREV_SCAN_RE.search
    while pos < size:
        m = search(folded, pos)
        if m is None:
            break
        start = m.start()
        if start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
            pos = start + 1  # starts mid-word: the ``(?<!\w)`` of _EDIT_RE would refuse it
            continue
        found.append((start, m.end(), "abbr"))
        pos = m.end()
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


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching and keep the offset map (see module docstring)."""
    folded = fold(text)
    pieces: list[str] = []
    edits: list[tuple[int, int, int]] = []
    pos = 0
    for start, end, kind in _edits(folded):
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


_PLACEHOLDER_NAME_RE = re.compile(r"\{\{-?\s{0,20}([A-Za-z_][\w.]{0,80})")


def placeholder_names(text: str) -> set[str]:
    """Dotted variables shown by ``{{ ... }}`` in ``text`` (filters ignored)."""
    return set(_PLACEHOLDER_NAME_RE.findall(text))


def has_placeholders(text: str) -> bool:
    return "{{" in text or "{%" in text
