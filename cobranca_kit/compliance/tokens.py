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

_caches: dict[re.Pattern[str], dict[str, tuple[str, ...]]] = {}


def token_findall(regex: re.Pattern[str], text: str) -> list[str]:
    """``regex.findall(text)`` (no groups), computed token by token with a cache."""
    cache = _caches.get(regex)
    if cache is None:
        cache = _caches[regex] = {}
    tokens = text.split()
    found = list(map(cache.get, tokens))  # the loops run in C: most tokens are known
    if None in found:

        def compute(token: str) -> tuple[str, ...]:
            return tuple(regex.findall(token))

        found = [
            hit if hit is not None else cached(cache, t, compute)
            for t, hit in zip(tokens, found, strict=True)
        ]
    return list(chain.from_iterable(found))  # type: ignore[arg-type]


def cached(cache: dict[str, T], token: str, compute: Callable[[str], T]) -> T:
    """``cache[token]``, computed and stored (while the cache has room) on a miss."""
    value = cache.get(token)
    if value is None:
        value = compute(token)
        if len(cache) < TOKEN_CACHE_MAX:
            cache[token] = value
    return value
