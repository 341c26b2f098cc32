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
from dataclasses import dataclass

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
_EDIT_RE = re.compile(
    r"(?P<jinja>\{\{[^{}]{0,400}\}\}|\{%[^{}]{0,400}%\}|\{#[^{}]{0,400}#\})"
    r"|(?P<space>\s{2,}|[\t\n\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000])"
    rf"|(?P<abbr>{_ABBREV_RE})"
)


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


def fold(text: str) -> str:
    """Case and accent folding that keeps the length (one character in, one out)."""
    return text.translate(_FOLD)


def fold_pattern(pattern: str) -> str:
    """Accent folding for rule patterns (case kept: ``\\W`` must stay ``\\W``)."""
    return "".join(c for c in unicodedata.normalize("NFD", pattern) if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Normalized:
    """Folded text plus, per folded character, the original ``[start, end)`` span."""

    original: str
    text: str
    starts: array
    ends: array

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded slice ``text[start:end]``."""
        if not self.text:
            return 0, 0
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching and keep the offset map (see module docstring)."""
    folded = fold(text)
    pieces: list[str] = []
    starts = array("l")
    ends = array("l")
    pos = 0
    for m in _EDIT_RE.finditer(folded):
        if m.start() > pos:
            pieces.append(folded[pos : m.start()])
            rng = range(pos, m.start())
            starts.extend(rng)
            ends.extend(range(pos + 1, m.start() + 1))
        kind = m.lastgroup
        if kind == "jinja":
            out = PLACEHOLDER
        elif kind == "space":
            out = "\n" if "\n" in m.group() else " "
        else:
            out = ABBREVIATIONS[m.group()]
        pieces.append(out)
        starts.extend([m.start()] * len(out))
        ends.extend([m.end()] * len(out))
        pos = m.end()
    if pos < len(folded):
        pieces.append(folded[pos:])
        starts.extend(range(pos, len(folded)))
        ends.extend(range(pos + 1, len(folded) + 1))
    return Normalized(original=text, text="".join(pieces), starts=starts, ends=ends)


_PLACEHOLDER_NAME_RE = re.compile(r"\{\{-?\s{0,20}([A-Za-z_][\w.]{0,80})")


def placeholder_names(text: str) -> set[str]:
    """Dotted variables shown by ``{{ ... }}`` in ``text`` (filters ignored)."""
    return set(_PLACEHOLDER_NAME_RE.findall(text))


def has_placeholders(text: str) -> bool:
    return "{{" in text or "{%" in text
