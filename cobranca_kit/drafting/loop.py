"""Draft, check, revise: the loop every face of the workbench uses.

A draft is checked; while it has ``block`` findings (and, if configured,
``warn`` ones) the findings go back to the drafter for a revision, up to
``max_rounds``. Whatever happens, the caller gets a :class:`CheckedDraft`: a
draft still failing after the last round comes back with ``passed=False`` and
its findings; a backend failure comes back with ``error`` set. Nothing here
raises for a single bad draft, so a batch never dies of one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cobranca_kit.compliance import CheckContext, Finding, Report, check
from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting.base import Drafter, DraftResult, Revision, Usage, add_usage, empty_usage
from cobranca_kit.drafting.openai_backend import EndpointError
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.drafting.select import get_drafter
from cobranca_kit.errors import CobrancaKitError, DraftError
from cobranca_kit.quality import quality_problems
from cobranca_kit.script import SCRIPT_TYPES, Script


@dataclass
class RoundRecord:
    """One round of the loop: what the checker found and what the call cost."""

    round: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=empty_usage)
    latency_s: float = 0.0
    passed: bool = False
    cached: bool = False
    error: str | None = None
    #: Structured-output mode the backend actually used (json_schema, json_object, texto).
    mode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "findings": self.findings,
            "usage": self.usage,
            "latency_s": round(self.latency_s, 4),
            "passed": self.passed,
            "cached": self.cached,
            "error": self.error,
            "mode": self.mode,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundRecord:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class CheckedDraft:
    """A draft with its compliance report and the history of the loop."""

    request: DraftRequest
    variant: int
    script: Script | None
    report: Report | None
    rounds: list[RoundRecord]
    passed: bool
    error: str | None
    backend: str
    model: str
    prompt_version: str
    seed: int
    usage: Usage
    #: "endpoint" when the server could not be used, "output" when its answer was unusable.
    error_kind: str | None = None
    #: Structured-output mode of the last answered round (None offline).
    mode: str | None = None
    #: pt-BR notes from the backend (instructions the offline drafter could not follow...).
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Any]:
        return list(self.report.findings) if self.report else []

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (CLI ``--formato json``, matrix JSONL)."""
        return {
            "request": self.request.model_dump(mode="json"),
            "variant": self.variant,
            "passed": self.passed,
            "error": self.error,
            "error_kind": self.error_kind,
            "mode": self.mode,
            "backend": self.backend,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "seed": self.seed,
            "usage": self.usage,
            "script": self.script.model_dump(mode="json") if self.script else None,
            "parts": dict(self.script.parts()) if self.script else None,
            "report": self.report.to_dict() if self.report else None,
            "rounds": [r.to_dict() for r in self.rounds],
            "notas": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], recheck: bool = True) -> CheckedDraft:
        """Rebuild a stored result; the report is recomputed from the script (cheap, deterministic)."""
        request = DraftRequest.model_validate(data["request"])
        script = None
        if data.get("script"):
            script = SCRIPT_TYPES[data["script"]["channel"]].model_validate(data["script"])
        report = check_script(script, request) if script is not None and recheck else None
        return cls(
            request=request,
            variant=data["variant"],
            script=script,
            report=report,
            rounds=[RoundRecord.from_dict(r) for r in data.get("rounds", [])],
            passed=data["passed"],
            error=data.get("error"),
            error_kind=data.get("error_kind"),
            mode=data.get("mode"),
            notes=list(data.get("notas") or []),
            backend=data["backend"],
            model=data["model"],
            prompt_version=data["prompt_version"],
            seed=data["seed"],
            usage=data.get("usage") or empty_usage(),
        )


def check_context(request: DraftRequest) -> CheckContext:
    return CheckContext(
        stage=request.estagio,
        objection=request.objecao,
        payment_methods=list(request.pagamentos),
        template=True,
    )


def check_script(script: Script, request: DraftRequest) -> Report:
    """The compliance report plus the quality problems (copy of the prompt example, filler,
    not Portuguese, literal personal data) as blocking findings."""
    report = check(script, request.canal, check_context(request))
    problems = quality_problems(script.channel, script.parts())
    if not problems:
        return report
    findings = [Finding(**p.to_finding()) for p in problems]
    return report.model_copy(update={"passed": False, "findings": findings + report.findings})


def _needs_revision(report: Report, revise_warnings: bool) -> bool:
    if report.blocks:
        return True
    return revise_warnings and bool(report.warnings)


def _findings(report: Report) -> list[dict[str, Any]]:
    return [f.model_dump() if hasattr(f, "model_dump") else dict(f) for f in report.findings]


class _Loop:
    """State shared by the sync and async versions of the loop."""

    def __init__(
        self, request: DraftRequest, drafter: Drafter, max_rounds: int, variant: int, config: Config
    ) -> None:
        self.request = request
        self.drafter = drafter
        self.max_rounds = max_rounds
        self.variant = variant
        self.revise_warnings = config.llm.revisar_avisos
        self.rounds: list[RoundRecord] = []
        self.usage = empty_usage()
        self.script: Script | None = None
        self.report: Report | None = None
        self.error: str | None = None
        self.error_kind: str | None = None
        self.notes: list[str] = []

    def revision(self, round_no: int) -> Revision | None:
        if round_no == 1 or self.script is None or self.report is None:
            return None
        return Revision(previous=self.script, findings=list(self.report.findings), round=round_no)

    def failed(self, round_no: int, exc: Exception, latency: float) -> None:
        self.error = (
            str(exc) if isinstance(exc, CobrancaKitError) else f"Erro inesperado ao rascunhar: {exc!r}"
        )
        self.error_kind = "endpoint" if isinstance(exc, EndpointError) else "output"
        usage = getattr(exc, "usage", None) or empty_usage()
        add_usage(self.usage, usage)
        self.rounds.append(RoundRecord(round=round_no, usage=usage, latency_s=latency, error=self.error))

    def drafted(self, round_no: int, result: DraftResult) -> bool:
        """Record a round; True when the loop can stop."""
        self.script = result.script
        self.notes = list(getattr(result, "notes", []) or [])
        self.report = check_script(result.script, self.request)
        add_usage(self.usage, result.usage)
        self.rounds.append(
            RoundRecord(
                round=round_no,
                findings=_findings(self.report),
                usage=result.usage,
                latency_s=result.latency_s,
                passed=self.report.passed,
                cached=result.cached,
                mode=result.mode,
            )
        )
        return not _needs_revision(self.report, self.revise_warnings)

    def result(self) -> CheckedDraft:
        # After a failed later round the earlier checked script is kept, but the draft did not pass.
        passed = self.error is None and self.report is not None and self.report.passed
        return CheckedDraft(
            request=self.request,
            variant=self.variant,
            script=self.script,
            report=self.report,
            rounds=self.rounds,
            passed=passed,
            error=self.error,
            error_kind=self.error_kind,
            mode=next((r.mode for r in reversed(self.rounds) if r.mode), None),
            notes=self.notes,
            backend=self.drafter.name,
            model=self.drafter.model,
            prompt_version=self.drafter.prompt_version,
            seed=self.request.seed_for(self.variant),
            usage=self.usage,
        )


def _setup(
    request: DraftRequest, drafter: Drafter | None, max_rounds: int | None, config: Config | None
) -> tuple[Drafter, int, Config]:
    config = config if config is not None else load_config()
    if drafter is None:
        drafter = get_drafter(config)
    rounds = max_rounds if max_rounds is not None else config.llm.rodadas_revisao
    if rounds < 1:
        raise DraftError(f"max_rounds deve ser pelo menos 1 (recebido {rounds})")
    return drafter, rounds, config


def draft_checked(
    request: DraftRequest,
    drafter: Drafter | None = None,
    max_rounds: int | None = None,
    variant: int = 0,
    config: Config | None = None,
) -> CheckedDraft:
    """Draft one variant, check it and revise until it passes or rounds run out.

    ``max_rounds`` defaults to ``[llm] rodadas_revisao`` (3).
    """
    drafter, rounds, config = _setup(request, drafter, max_rounds, config)
    loop = _Loop(request, drafter, rounds, variant, config)
    for round_no in range(1, rounds + 1):
        started = time.perf_counter()
        try:
            result = drafter.draft(request, variant, loop.revision(round_no))
            done = loop.drafted(round_no, result)
        except Exception as exc:  # one draft's failure must never kill a batch
            loop.failed(round_no, exc, time.perf_counter() - started)
            break
        if done:
            break
    return loop.result()


async def adraft_checked(
    request: DraftRequest,
    drafter: Drafter | None = None,
    max_rounds: int | None = None,
    variant: int = 0,
    config: Config | None = None,
) -> CheckedDraft:
    """The async twin of :func:`draft_checked` (used by the matrix)."""
    drafter, rounds, config = _setup(request, drafter, max_rounds, config)
    loop = _Loop(request, drafter, rounds, variant, config)
    for round_no in range(1, rounds + 1):
        started = time.perf_counter()
        try:
            result = await drafter.adraft(request, variant, loop.revision(round_no))
            done = loop.drafted(round_no, result)
        except Exception as exc:  # one draft's failure must never kill a batch
            loop.failed(round_no, exc, time.perf_counter() - started)
            break
        if done:
            break
    return loop.result()


def draft_variants(
    request: DraftRequest,
    drafter: Drafter | None = None,
    config: Config | None = None,
    max_rounds: int | None = None,
) -> list[CheckedDraft]:
    """One checked draft per requested variant; variant ``i`` uses seed ``seed + i``."""
    drafter, _, config = _setup(request, drafter, max_rounds, config)
    return [
        draft_checked(request, drafter, max_rounds, variant=i, config=config)
        for i in range(request.variantes)
    ]
