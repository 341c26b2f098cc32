"""Evaluation against a labelled corpus (JSON Lines): recall on abusive messages,
false-positive rate on compliant ones, and results per category.

Each line: ``{"texto": "...", "rotulo": "abusiva" | "conforme", "categoria": "ameaca",
"canal": "whatsapp" (optional), "nota": "..." (optional)}``. A message counts as
flagged when the checker raises a ``block`` or ``warn`` in one of the legal
categories (ameaça, coação, ... pressão): identification and best-practice
findings are about completeness, not abuse, and are not counted here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobranca_kit.compliance.engine import check
from cobranca_kit.compliance.rules import CHANNELS, LEGAL_CATEGORIES
from cobranca_kit.datafiles import describe_validation_error
from cobranca_kit.errors import DataFileError


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texto: str
    rotulo: Literal["abusiva", "conforme"]
    categoria: str | None = None
    canal: Literal["whatsapp", "sms", "email", "telefone", "texto"] | None = None
    tipo: str | None = None
    nota: str | None = None

    @model_validator(mode="after")
    def _category(self) -> Sample:
        if self.rotulo == "abusiva" and self.categoria not in LEGAL_CATEGORIES:
            raise ValueError(f"mensagem abusiva precisa de 'categoria' entre: {', '.join(LEGAL_CATEGORIES)}")
        if not self.texto.strip():
            raise ValueError("texto vazio")
        return self


@dataclass
class CategoryResult:
    total: int = 0
    detected: int = 0
    same_category: int = 0

    @property
    def recall(self) -> float:
        return self.detected / self.total if self.total else 0.0


@dataclass
class Evaluation:
    abusive: int = 0
    compliant: int = 0
    detected: int = 0
    false_positives: int = 0
    per_category: dict[str, CategoryResult] = field(default_factory=lambda: defaultdict(CategoryResult))
    misses: list[Sample] = field(default_factory=list)
    false_alarms: list[tuple[Sample, list[str]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.abusive if self.abusive else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.compliant if self.compliant else 0.0


def read_corpus(path: str | Path) -> list[Sample]:
    """Read a JSONL corpus; a broken line raises a pt-BR error naming the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise DataFileError(path, "arquivo não encontrado") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "o arquivo não está em UTF-8") from exc
    samples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(path, f"JSON malformado: {exc.msg}", where=f"linha {number}") from exc
        try:
            samples.append(Sample.model_validate(data))
        except ValidationError as exc:
            problem = "; ".join(describe_validation_error(exc, data))
            raise DataFileError(path, problem, where=f"linha {number}") from exc
    if not samples:
        raise DataFileError(path, "nenhuma mensagem no arquivo")
    return samples


def flagged_categories(text: str, channel: str | None) -> list[str]:
    """Legal categories with a ``block`` or ``warn`` finding for ``text``."""
    report = check(text, channel=channel if channel in CHANNELS else None)
    return sorted(
        {f.category for f in report.findings if f.category in LEGAL_CATEGORIES and f.severity != "hint"}
    )


def evaluate(samples: list[Sample]) -> Evaluation:
    result = Evaluation()
    for sample in samples:
        found = flagged_categories(sample.texto, sample.canal)
        if sample.rotulo == "abusiva":
            result.abusive += 1
            bucket = result.per_category[sample.categoria or ""]
            bucket.total += 1
            if found:
                result.detected += 1
                bucket.detected += 1
                bucket.same_category += sample.categoria in found
            else:
                result.misses.append(sample)
        else:
            result.compliant += 1
            if found:
                result.false_positives += 1
                result.false_alarms.append((sample, found))
    return result
