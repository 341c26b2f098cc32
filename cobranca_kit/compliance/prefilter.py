"""One pass over a folded text tells which rule patterns may match there (an RE2 set).

Python's ``re`` runs one pattern at a time, so checking a message against the
whole catalog used to cost one scan (or at least one prefilter) per pattern.
RE2 compiles every pattern of the catalog into one automaton and reports, in a
single linear pass, which of them match somewhere in the text.

RE2 does not speak Python's dialect exactly (no lookarounds, ASCII ``\\w``,
another ``\\s``), so each pattern is translated into a **superset**: a
pattern that matches wherever the original does, and maybe elsewhere too. The
set is then a necessary condition, like the literal prefilters in
``rules.py``: a pattern it does not report cannot match, and the patterns it
reports are run with Python's ``re`` as before, which decides the findings.
Skipping a pattern therefore never changes a report (tested against the
engine without this prefilter).

The translation works on the parsed pattern (``re._parser``):

- assertions (``\\b``, ``^``, ``$``, lookarounds) are dropped: matching more;
- ``\\w``, ``\\d``, ``\\s`` become classes that also take every non-ASCII
  character, and inside a negated class only their ASCII members, so the
  translated class always holds at least what Python's holds;
- atomic groups and possessive or lazy repeats become plain ones, repeat counts
  above RE2's limit become unbounded;
- what has no superset (backreferences, case-insensitive flags) is left out of
  the set and always runs.

When RE2's automaton runs out of memory it reports nothing instead of failing
loudly; a sentinel pattern that matches every text tells that case apart, and
the caller then runs every pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

try:  # Python 3.11+: the parser moved to a private module
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

_MAX_REPEAT = sre_parse.MAXREPEAT
#: RE2 refuses repeat counts above 1000.
_RE2_REPEAT_MAX = 1000
#: Longer texts skip the set (its automaton could outgrow the memory budget) and run every pattern.
TEXT_MAX = 50_000
#: Memory budget of the automaton (RE2's default is 8 MiB; the catalog needs more for long texts).
_MAX_MEM = 256 << 20
_NON_ASCII = r"\x{80}-\x{10FFFF}"

#: Per category: (members in a positive class for any text: a superset of Python's; the ASCII
#: members: exactly Python's on ASCII text, and a subset of them for a negated class on any text).
_CATEGORIES: dict[str, tuple[str, str]] = {
    "CATEGORY_DIGIT": (r"0-9" + _NON_ASCII, r"0-9"),
    "CATEGORY_NOT_DIGIT": (r"\x00-/:-\x{10FFFF}", r"\x00-/:-\x7f"),
    "CATEGORY_WORD": (r"0-9A-Za-z_" + _NON_ASCII, r"0-9A-Za-z_"),
    "CATEGORY_NOT_WORD": (r"\x00-/:-@\[-\^`{-\x{10FFFF}", r"\x00-/:-@\[-\^`{-\x7f"),
    "CATEGORY_SPACE": (r"\t-\r\x1c-\x20" + _NON_ASCII, r"\t-\r\x1c-\x20"),
    "CATEGORY_NOT_SPACE": (r"\x00-\x08\x0e-\x1b\x21-\x{10FFFF}", r"\x00-\x08\x0e-\x1b\x21-\x7f"),
}
_UNSUPPORTED_FLAGS = re.IGNORECASE | re.LOCALE | re.ASCII


@lru_cache(maxsize=8192)
def parse_pattern(source: str) -> Any:
    """``re._parser.parse(source)``, once per pattern: the rules derive several things from it."""
    return sre_parse.parse(source)


class NoSuperset(Exception):
    """The pattern has no RE2 translation that is sure to match wherever it matches."""


def _char(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    return f"\\x{{{code:x}}}"


class _Translator:
    """Python pattern -> RE2 pattern, for any text (``ascii_only=False``) or for ASCII texts only.

    For any text the result is a superset (see the module docstring). For ASCII
    texts the categories and ``\\b`` can be kept exactly (Python and RE2 agree
    on ASCII), so the result is **exact** unless something had to be dropped or
    widened; ``exact`` says whether it was.
    """

    def __init__(self, ascii_only: bool) -> None:
        self.ascii_only = ascii_only
        self.exact = True
        self.multiline = False

    def translate(self, source: str | Any) -> str:
        """Translate a pattern, given as text or as already parsed by ``re._parser.parse``."""
        parsed = parse_pattern(source) if isinstance(source, str) else source
        if parsed.state.flags & _UNSUPPORTED_FLAGS:
            raise NoSuperset(source)
        if parsed.state.flags & re.MULTILINE:
            self.multiline = True  # ``^`` means "a line starts": dropped, as in any text
        return self._sequence(list(parsed), bool(parsed.state.flags & re.DOTALL), tail=True)

    def _sequence(self, items: Any, dotall: bool, tail: bool = False) -> str:
        """``tail``: nothing of the pattern follows this sequence (see ``_item``)."""
        last = len(items) - 1
        return "".join(
            self._item(str(op), arg, dotall, tail and i == last) for i, (op, arg) in enumerate(items)
        )

    def _item(self, name: str, arg: Any, dotall: bool, tail: bool = False) -> str:
        # At the tail of the pattern, a lookahead may consume what it looks at, and ``$`` may
        # take the final newline it allows: a match exists exactly when it did.
        if tail and self.ascii_only and not self.multiline:
            if name == "ASSERT" and arg[0] == 1:
                return "(?:" + self._sequence(list(arg[1]), dotall, tail=True) + ")"
            if name == "AT" and str(arg) == "AT_END":
                return r"(?:\n?\z)"
        if name == "LITERAL":
            return _char(arg)
        if name == "NOT_LITERAL":
            return f"[^{_char(arg)}]"
        if name == "ANY":
            return r"[\x00-\x{10FFFF}]" if dotall else r"[^\n]"
        if name == "IN":
            return self._char_class(arg)
        if name == "AT":
            kept = _EXACT_ANCHORS.get(str(arg))
            if self.ascii_only and kept is not None and not self.multiline:
                return kept
            self.exact = False
            return ""  # dropping an assertion only widens the set of matches
        if name in ("ASSERT", "ASSERT_NOT"):
            self.exact = False
            return ""
        if name == "BRANCH":
            branches = (self._sequence(list(branch), dotall, tail) for branch in arg[1])
            return "(?:" + "|".join(branches) + ")"
        if name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = arg
            if add_flags & _UNSUPPORTED_FLAGS:
                raise NoSuperset(name)
            if add_flags & re.MULTILINE:
                self.multiline = True  # from here on (a scoped flag only widens what is dropped)
            return "(?:" + self._sequence(list(sub), dotall or bool(add_flags & re.DOTALL), tail) + ")"
        if name == "ATOMIC_GROUP":
            self.exact = False
            return "(?:" + self._sequence(list(arg), dotall) + ")"
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            if (
                name == "POSSESSIVE_REPEAT"
                or low > _RE2_REPEAT_MAX
                or (high != _MAX_REPEAT and high > _RE2_REPEAT_MAX)
            ):
                self.exact = False
            low = min(low, _RE2_REPEAT_MAX)  # fewer required repeats: a superset
            upper = "" if high == _MAX_REPEAT or high > _RE2_REPEAT_MAX else str(high)
            return "(?:" + self._sequence(list(sub), dotall) + "){" + f"{low},{upper}" + "}"
        raise NoSuperset(name)  # GROUPREF, GROUPREF_EXISTS, anything new

    def _char_class(self, items: Any) -> str:
        negate = bool(items) and str(items[0][0]) == "NEGATE"
        members = []
        for op, arg in items[1:] if negate else items:
            name = str(op)
            if name == "LITERAL":
                members.append(_char(arg))
            elif name == "RANGE":
                members.append(f"{_char(arg[0])}-{_char(arg[1])}")
            elif name == "CATEGORY":
                wide, narrow = _CATEGORIES[str(arg)]
                # ASCII texts: the ASCII members are exact. Any text: a positive class must
                # hold at least Python's members, a negated one must exclude no more.
                members.append(narrow if self.ascii_only or negate else wide)
            else:
                raise NoSuperset(name)
        if not members:
            raise NoSuperset("empty class")
        return ("[^" if negate else "[") + "".join(members) + "]"


#: Anchors RE2 spells the same way and that mean the same on ASCII text (``$`` does not: Python's
#: also matches before a final newline).
_EXACT_ANCHORS = {
    "AT_BOUNDARY": r"\b",
    "AT_NON_BOUNDARY": r"\B",
    "AT_BEGINNING": "^",
    "AT_BEGINNING_STRING": r"\A",
    "AT_END_STRING": r"\z",
}


def re2_superset(source: str | Any) -> str:
    """An RE2 pattern matching (at least) wherever the Python pattern ``source`` matches, in any text.

    Raises :class:`NoSuperset` for what has none (backreferences, case-insensitive flags).
    """
    return _Translator(ascii_only=False).translate(source)


def re2_ascii(source: str | Any) -> tuple[str, bool]:
    """For ASCII texts: an RE2 pattern matching at least where ``source`` does, and whether exactly there."""
    translator = _Translator(ascii_only=True)
    translated = translator.translate(source)
    return translated, translator.exact


class PatternSet:
    """Many Python patterns tested in one RE2 pass; ``match`` says which may, and which surely, match.

    Two automata: one for any text (supersets), one for ASCII texts, where most
    patterns translate exactly, so a reported match needs no confirmation by
    ``re`` (what the engine wants for requirements and triggers, which only ask
    whether a pattern matches). Folded Portuguese is usually ASCII.
    Patterns without a translation are in every answer, never sure.
    """

    def __init__(self, sources: Sequence[str], max_mem: int = _MAX_MEM) -> None:
        import re2

        self._re2 = re2
        self._max_mem = max_mem
        always: set[int] = set()
        wide: list[tuple[int, str]] = []
        narrow: list[tuple[int, str]] = []
        exact: set[int] = set()
        for number, source in enumerate(sources):
            try:
                parsed = parse_pattern(source)  # once for both translations
                wide.append((number, re2_superset(parsed)))
                translated, is_exact = re2_ascii(parsed)
            except (NoSuperset, re.error):
                always.add(number)
                continue
            narrow.append((number, translated))
            if is_exact:
                exact.add(number)
        self._wide, self._wide_numbers, bad_wide = self._compile(wide)
        self._ascii, self._ascii_numbers, bad_ascii = self._compile(narrow)
        # a translation RE2 refused runs always (and is never sure)
        self.always = frozenset(always | bad_wide | bad_ascii)
        self.exact = frozenset(exact - self.always)

    def _compile(self, patterns: list[tuple[int, str]]) -> tuple[Any, list[int], set[int]]:
        options = self._re2.Options()
        options.max_mem = self._max_mem
        options.log_errors = False
        compiled = self._re2.Set.SearchSet(options)
        numbers: list[int] = []
        refused: set[int] = set()
        for number, translated in patterns:
            try:
                compiled.Add(translated)
            except self._re2.error:
                refused.add(number)
                continue
            numbers.append(number)
        compiled.Add(r"\z")  # the sentinel: matches every text, so its absence means RE2 gave up
        numbers.append(-1)
        compiled.Compile()
        return compiled, numbers, refused

    def match(self, text: str) -> tuple[frozenset[int], frozenset[int]] | None:
        """``(may match, surely match)`` pattern numbers; ``None`` when the set cannot answer.

        It cannot answer for texts over ``TEXT_MAX`` characters, texts that are
        not valid Unicode (lone surrogates), or when RE2 ran out of memory.
        """
        raw = self.raw_match(text)
        return None if raw is None else self.decode(raw)

    def raw_match(self, text: str) -> tuple[bool, frozenset[int]] | None:
        """RE2's own answer: which automaton ran (ASCII or not) and the indices it reported.

        Cheap to compare and hash, so callers can memoise what they derive from
        it (``decode``); ``None`` as in ``match``.
        """
        if len(text) > TEXT_MAX:
            return None
        is_ascii = text.isascii()
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: RE2 reads UTF-8 only
            return None
        automaton = self._ascii if is_ascii else self._wide
        found = automaton._set.Match(data)  # the wrapper's Match would re-check the type
        sentinel = len(self._ascii_numbers if is_ascii else self._wide_numbers) - 1
        if not found or sentinel not in found:  # no sentinel: RE2 gave up
            return None
        return is_ascii, frozenset(found)

    def decode(self, raw: tuple[bool, frozenset[int]]) -> tuple[frozenset[int], frozenset[int]]:
        """``(may match, surely match)`` pattern numbers from a ``raw_match`` answer."""
        is_ascii, found = raw
        numbers = self._ascii_numbers if is_ascii else self._wide_numbers
        hits = [numbers[i] for i in found if numbers[i] >= 0]
        may = self.always.union(hits)
        sure = self.exact.intersection(hits) if is_ascii else frozenset()
        return may, sure
