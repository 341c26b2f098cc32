"""What every drafting backend returns, and the revision input it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.script import Script

Usage = dict[str, int]


def empty_usage() -> Usage:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "calls": 0}


def add_usage(total: Usage, more: Usage | None) -> Usage:
    for key, value in (more or {}).items():
        total[key] = total.get(key, 0) + int(value or 0)
    return total


@dataclass
class Revision:
    """The previous draft and the checker findings the next round must fix."""

    previous: Script
    findings: list[Any]
    round: int


@dataclass
class DraftResult:
    script: Script
    usage: Usage = field(default_factory=empty_usage)
    latency_s: float = 0.0
    cached: bool = False
    mode: str | None = None
    #: pt-BR notes for the user (e.g. instructions the offline drafter could not follow)
    notes: list[str] = field(default_factory=list)


class Drafter(Protocol):
    """What the loop needs from a backend (OfflineDrafter, OpenAIDrafter)."""

    name: str
    model: str

    @property
    def prompt_version(self) -> str: ...

    def draft(
        self, request: DraftRequest, variant: int = 0, revision: Revision | None = None
    ) -> DraftResult: ...

    async def adraft(
        self, request: DraftRequest, variant: int = 0, revision: Revision | None = None
    ) -> DraftResult: ...
