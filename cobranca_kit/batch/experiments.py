"""A/B experiments in régua steps: which approved template version each debtor gets.

A step may carry an ``experimento:`` block naming two or more approved template
versions (``modelo: ID@vN`` with a weight) and a holdout share (``controle``)
that gets either no message or the current champion. Each debtor is assigned by
a seeded hash of experiment id and debtor id, so the assignment is the same on
every rerun and for any number of processes; no randomness is drawn at run time.

At run start :func:`prepare_experiments` checks every variant against the
library (exists, approved, a channel of the step, passes the checker); one bad
variant makes the whole experiment fall back to the champion, with the reason
recorded. A text that is not approved is never sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from cobranca_kit.batch.regua import Regua, ResolvedStep, Step

HOLDOUT = "controle"
HOLDOUT_CATEGORY = "controle_experimento"
_REF = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*@v[1-9][0-9]*$"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Model):
    """One arm of an experiment: an exact, approved template version and its weight."""

    modelo: str = Field(pattern=_REF)
    peso: float = Field(default=1.0, gt=0, le=1000)
    nome: str | None = Field(default=None, pattern=_NAME, max_length=60)

    @property
    def label(self) -> str:
        return self.nome or self.modelo


class Experiment(_Model):
    """The ``experimento:`` block of a régua step."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    variantes: list[Variant] = Field(min_length=1)
    controle: float = Field(default=0.0, ge=0, lt=1)
    controle_recebe: Literal["nada", "campeao"] = "nada"
    alocacao: Literal["fixa", "thompson"] = "fixa"

    @model_validator(mode="after")
    def _arms(self) -> Experiment:
        if len(self.variantes) + (1 if self.controle > 0 else 0) < 2:
            raise ValueError(
                "um experimento precisa de pelo menos dois braços: duas variantes, ou uma variante e "
                "'controle' maior que 0"
            )
        labels = [v.label for v in self.variantes]
        if HOLDOUT in labels:
            raise ValueError(f"'{HOLDOUT}' é o nome do grupo de controle; dê outro nome à variante")
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"variantes repetidas: {', '.join(dupes)}")
        refs = [v.modelo for v in self.variantes]
        if len(set(refs)) != len(refs):
            raise ValueError("a mesma versão de modelo aparece em duas variantes")
        return self


def unit_draw(experiment_id: str, debtor_id: str) -> float:
    """A uniform number in [0, 1) fixed by (experiment, debtor): the whole assignment."""
    digest = hashlib.sha256(f"{experiment_id}:{debtor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class Arm:
    """An arm as it runs today; ``ref`` is None for the holdout."""

    name: str
    ref: str | None
    weight: float

    @property
    def template(self) -> tuple[str, int] | None:
        if self.ref is None:
            return None
        ident, _, version = self.ref.rpartition("@v")
        return ident, int(version)


@dataclass(frozen=True, slots=True)
class ActiveExperiment:
    """An experiment checked at run start, with this run's allocation weights."""

    id: str
    step_id: str
    arms: tuple[Arm, ...]  # holdout first when present, then the variants in file order
    holdout_gets: str
    allocation: str
    channels: tuple[tuple[str, str], ...] = ()  # (variant ref, channel)

    def assign(self, debtor_id: str) -> Arm:
        u = unit_draw(self.id, debtor_id)
        total = 0.0
        for arm in self.arms:
            total += arm.weight
            if u < total:
                return arm
        return self.arms[-1]  # rounding of the weights' sum

    def channel_of(self, ref: str) -> str:
        return dict(self.channels)[ref]

    @staticmethod
    def applies(step: Step, resolved: ResolvedStep) -> bool:
        """Only debtors who get the step as written (no override changed it) take part."""
        return (
            resolved.tom == step.tom
            and resolved.canais == tuple(step.canais)
            and resolved.modelo == step.modelo
            and resolved.objecao == step.objecao
        )


def fixed_weights(experiment: Experiment) -> dict[str, float]:
    """Arm name -> share of debtors: the holdout's share, the rest by variant weight."""
    total = sum(v.peso for v in experiment.variantes)
    out = {HOLDOUT: experiment.controle} if experiment.controle > 0 else {}
    for v in experiment.variantes:
        out[v.label] = (1 - experiment.controle) * v.peso / total
    return out


def variant_problem(library: Any, step: Step, variant: Variant) -> tuple[str | None, str]:
    """Why this variant cannot be sent (pt-BR), or None; and its channel."""
    from cobranca_kit.compliance import CheckContext, check
    from cobranca_kit.errors import CobrancaKitError

    ident, _, version = variant.modelo.rpartition("@v")
    try:
        template = library.version(ident, int(version))
    except CobrancaKitError as exc:
        return f"variante {variant.modelo} indisponível: {exc}", ""
    if template.status != "aprovado":
        return f"variante {variant.modelo} está '{template.status}', não aprovada", template.channel
    if template.channel not in step.canais:
        return (
            f"variante {variant.modelo} é de {template.channel}, canal fora do passo ({', '.join(step.canais)})",
            template.channel,
        )
    context = CheckContext(
        stage=step.estagio,
        objection=template.meta.objecao,
        payment_methods=list(template.meta.pagamentos),
        template=True,
    )
    report = check(template.script, template.channel, context)
    if report.blocks:
        rules = ", ".join(sorted({f.rule_id for f in report.blocks}))
        return (
            f"variante {variant.modelo} reprovada na verificação de conformidade ({rules})",
            template.channel,
        )
    return None, template.channel


def prepare_experiments(
    regua: Regua, library: Any, ledger_path: Path | None = None, run_date: Any = None, days: int = 7
) -> tuple[tuple[ActiveExperiment, ...], list[dict[str, Any]]]:
    """The experiments that run today and one summary entry per experiment of the régua.

    An experiment with any unusable variant does not run (its step uses the
    champion, as without the block); its entry says why. With ``alocacao:
    thompson`` the weights come from earlier outcomes in ``ledger_path``.
    """
    active: list[ActiveExperiment] = []
    notes: list[dict[str, Any]] = []
    for step in regua.passos:
        exp = step.experimento
        if exp is None:
            continue
        problems, channels = [], []
        for variant in exp.variantes:
            problem, channel = variant_problem(library, step, variant)
            channels.append((variant.modelo, channel))
            if problem:
                problems.append(problem)
        note: dict[str, Any] = {
            "id": exp.id,
            "passo": step.id,
            "alocacao": exp.alocacao,
            "controle_recebe": exp.controle_recebe,
        }
        if problems:
            note.update(ativo=False, motivo="; ".join(problems) + ": o passo usa o modelo campeão")
            notes.append(note)
            continue
        weights = fixed_weights(exp)
        if exp.alocacao == "thompson" and ledger_path is not None:
            from cobranca_kit.results.allocation import thompson_weights

            weights, basis = thompson_weights(exp, Path(ledger_path), run_date, days)
            note["base_thompson"] = basis
        arms = [Arm(HOLDOUT, None, weights[HOLDOUT])] if HOLDOUT in weights else []
        arms += [Arm(v.label, v.modelo, weights[v.label]) for v in exp.variantes]
        active.append(
            ActiveExperiment(exp.id, step.id, tuple(arms), exp.controle_recebe, exp.alocacao, tuple(channels))
        )
        note.update(ativo=True, motivo="", pesos={a.name: round(a.weight, 6) for a in arms})
        notes.append(note)
    return tuple(active), notes
