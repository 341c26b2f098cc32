"""Evaluation against a labelled corpus (JSON Lines): recall on abusive messages,
false-block rate on compliant ones, category accuracy, per category and register.

Each line: ``{"texto": "...", "rotulo": "abusiva" | "conforme", "categoria": "ameaca",
"registro": "formal" | "informal", "fonte": "...", "canal": "whatsapp", "relacao":
"terceiro", "enviado_em": "2026-12-06T22:10", "nota": "...", "revisao": "..."}`` (all
but the first two optional; ``categoria`` required for abusive ones; ``nota`` names the
writing round, ``revisao`` says why a label was changed after review). The recipient relation and
send time go into the check's context. A message is *blocked* when the checker
raises a ``block`` in one of the legal categories (ameaça, coação, ... pressão),
and *flagged* on a block or a warning: identification and best-practice findings
are about completeness, not abuse, and are not counted here. The category is
right when the labelled one is among the blocked (or flagged) categories.

Two splits: the development one (``tests/data/corpus/desenvolvimento.jsonl``), on
which rules are written and the classifier is trained, and the held-out one
(``reservado.jsonl`` beside it), that no rule or feature is written against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobranca_kit.compliance.engine import check
from cobranca_kit.compliance.report import CheckContext
from cobranca_kit.compliance.rules import CHANNELS, LEGAL_CATEGORIES
from cobranca_kit.datafiles import describe_validation_error
from cobranca_kit.errors import DataFileError


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texto: str
    rotulo: Literal["abusiva", "conforme"]
    categoria: str | None = None
    canal: Literal["whatsapp", "sms", "email", "telefone", "texto"] | None = None
    registro: Literal["formal", "informal"] | None = None
    fonte: str | None = None
    relacao: Literal["devedor", "terceiro", "desconhecido"] | None = None
    enviado_em: dt.datetime | None = None
    tipo: str | None = None
    nota: str | None = None
    #: Why a label was changed after review (e.g. "categoria revista: coacao -> pressao, ...").
    revisao: str | None = None

    @model_validator(mode="after")
    def _category(self) -> Sample:
        if self.rotulo == "abusiva" and self.categoria not in LEGAL_CATEGORIES:
            raise ValueError(f"mensagem abusiva precisa de 'categoria' entre: {', '.join(LEGAL_CATEGORIES)}")
        if not self.texto.strip():
            raise ValueError("texto vazio")
        return self


def sample_context(sample: Sample) -> CheckContext | None:
    """The check context a sample carries (recipient relation, send time), if any."""
    if sample.relacao is None and sample.enviado_em is None:
        return None
    return CheckContext(relation=sample.relacao, sent_at=sample.enviado_em)


@dataclass
class Tally:
    """Counts for one slice of the corpus (all, a category, a register)."""

    abusive: int = 0
    blocked: int = 0
    flagged: int = 0
    same_category: int = 0
    compliant: int = 0
    false_blocks: int = 0
    false_flags: int = 0

    @property
    def recall(self) -> float:
        return self.blocked / self.abusive if self.abusive else 0.0

    @property
    def recall_flagged(self) -> float:
        return self.flagged / self.abusive if self.abusive else 0.0

    @property
    def false_block_rate(self) -> float:
        return self.false_blocks / self.compliant if self.compliant else 0.0

    @property
    def false_flag_rate(self) -> float:
        return self.false_flags / self.compliant if self.compliant else 0.0

    @property
    def category_accuracy(self) -> float:
        return self.same_category / self.blocked if self.blocked else 0.0


@dataclass
class Verdict:
    blocked: list[str]
    flagged: list[str]


@dataclass
class Evaluation:
    total: Tally = field(default_factory=Tally)
    per_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_register: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[Sample] = field(default_factory=list)
    false_alarms: list[tuple[Sample, list[str]]] = field(default_factory=list)

    # the figures the project quoted before the split (warnings count as detection)
    @property
    def abusive(self) -> int:
        return self.total.abusive

    @property
    def compliant(self) -> int:
        return self.total.compliant

    @property
    def detected(self) -> int:
        return self.total.flagged

    @property
    def false_positives(self) -> int:
        return self.total.false_flags

    @property
    def recall(self) -> float:
        return self.total.recall_flagged

    @property
    def false_positive_rate(self) -> float:
        return self.total.false_flag_rate


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


def verdict(sample: Sample, model: bool = True) -> Verdict:
    """Legal categories blocked and flagged (block or warn) for one sample."""
    report = check(
        sample.texto,
        channel=sample.canal if sample.canal in CHANNELS else None,
        context=sample_context(sample),
        model=model,
    )
    legal = [f for f in report.findings if f.category in LEGAL_CATEGORIES and f.severity != "hint"]
    return Verdict(
        blocked=sorted({f.category for f in legal if f.severity == "block"}),
        flagged=sorted({f.category for f in legal}),
    )


def flagged_categories(text: str, channel: str | None) -> list[str]:
    """Legal categories with a ``block`` or ``warn`` finding for ``text``."""
    return verdict(Sample(texto=text, rotulo="conforme", canal=channel)).flagged  # type: ignore[arg-type]


def evaluate(samples: list[Sample], model: bool = True) -> Evaluation:
    """Blocks, flags and categories over ``samples`` (``model=False``: the rules alone)."""
    result = Evaluation()
    for sample in samples:
        found = verdict(sample, model)
        slices = [result.total, result.per_register[sample.registro or "sem registro"]]
        if sample.rotulo == "abusiva":
            slices.append(result.per_category[sample.categoria or ""])
            for tally in slices:
                tally.abusive += 1
                tally.blocked += bool(found.blocked)
                tally.flagged += bool(found.flagged)
                tally.same_category += sample.categoria in found.blocked
            if not found.blocked:
                result.misses.append(sample)
        else:
            for tally in slices:
                tally.compliant += 1
                tally.false_blocks += bool(found.blocked)
                tally.false_flags += bool(found.flagged)
            if found.blocked:
                result.false_alarms.append((sample, found.blocked))
    return result


def trained_on(path: str | Path) -> dict[str, Any] | None:
    """The classifier's cross-validated figures when it was trained on this very file, else None.

    On its own training data the classifier's figures are in-sample (optimistic); the
    out-of-fold ones measured at training time (``meta.validacao_cruzada``) are the honest
    reading of that split.
    """
    from cobranca_kit.compliance.classifier import get_classifier

    meta = get_classifier().meta
    digest = getattr(meta, "corpus_sha256", None)
    if not digest or hashlib.sha256(Path(path).read_bytes()).hexdigest() != digest:
        return None
    cross = getattr(meta, "validacao_cruzada", None)
    return dict(cross) if isinstance(cross, dict) else {}
