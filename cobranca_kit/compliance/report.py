"""What a check returns: findings that point at exact words, plus text metrics."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SEVERITY_ORDER = {"block": 0, "warn": 1, "hint": 2}
SEVERITY_LABELS = {"block": "bloqueio", "warn": "aviso", "hint": "dica"}


class CheckContext(BaseModel):
    """What the checker knows about the message beyond its text (all optional)."""

    model_config = ConfigDict(extra="forbid")

    stage: str | None = None
    objection: str | None = None
    payment_methods: list[str] = Field(default_factory=list)
    #: True when the text still has placeholders; None = detect ``{{ }}`` automatically.
    template: bool | None = None
    #: Creditor's name (from ``[empresa]``), counted as identification in rendered text.
    creditor_name: str | None = None
    #: Who receives the message: the debtor, a third party, or someone not yet identified.
    relation: Literal["devedor", "terceiro", "desconhecido"] | None = None
    #: When the message is (or was) sent; a naive time is read in the state's local time.
    sent_at: dt.datetime | None = None
    #: The recipient's state (UF), for the send window; None: ``[envio] uf_padrao``.
    uf: str | None = None


class Finding(BaseModel):
    """One problem, with ``start``/``end`` offsets into the ORIGINAL text of ``part``.

    Whole-script findings without a span use ``start == end == 0``.
    """

    model_config = ConfigDict(frozen=True)

    rule_id: str
    category: str
    severity: Literal["block", "warn", "hint"]
    part: str | None
    start: int
    end: int
    excerpt: str
    article: str
    message: str
    suggestion: str
    #: The classifier's probability for its own findings (``modelo.*``); None for rules.
    confidence: float | None = Field(default=None, exclude=True)


class Report(BaseModel):
    passed: bool
    findings: list[Finding] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)

    @property
    def blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "block"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warn"]

    @property
    def hints(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "hint"]

    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "findings": [_finding_dict(f) for f in self.findings],
            "metrics": self.metrics,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _finding_dict(finding: Finding) -> dict[str, Any]:
    data = finding.model_dump()
    if finding.confidence is not None:
        data["confidence"] = finding.confidence
    return data
