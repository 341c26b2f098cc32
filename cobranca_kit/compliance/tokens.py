"""Regex results per whitespace-delimited token, cached: messages repeat most of their words.

``findall`` over a whole text equals the concatenation of ``findall`` over its
whitespace-delimited tokens when no match can contain whitespace and the
pattern's lookarounds treat whitespace like the edge of the string (the callers
below document why theirs do). Each distinct token is then matched once per
process instead of once per message, which is what makes batch checking fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain
from typing import TypeVar

T = TypeVar("T")

#: Tokens remembered per pattern (then new tokens are matched without caching).
TOKEN_CACHE_MAX = 100_000


class TokenMemo(dict[str, T]):
    """``memo[token]`` is ``compute(token)``, remembered while there is room (``TOKEN_CACHE_MAX``).

    ``list(map(memo.__getitem__, tokens))`` then runs in C for the tokens already seen.
    """

    def __init__(self, compute: Callable[[str], T]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, token: str) -> T:
        value = self._compute(token)
        if len(self) < TOKEN_CACHE_MAX:
            self[token] = value
        return value


_memos: dict[re.Pattern[str], TokenMemo[tuple[str, ...]]] = {}


def token_findall(regex: re.Pattern[str], text: str) -> list[str]:
    """``regex.findall(text)`` (no groups), computed token by token with a cache."""
    memo = _memos.get(regex)
    if memo is None:
        memo = _memos[regex] = TokenMemo(lambda token: tuple(regex.findall(token)))
    return list(chain.from_iterable(map(memo.__getitem__, text.split())))
