"""The régua: which message each debtor gets on which day, as a YAML file teams edit.

A régua is an ordered list of steps keyed by days relative to the due date
(negative before it), each with a stage, a channel preference order, a tone and
either a pinned template or a selection by (objeção, tom, canal, estágio).
Overrides adjust a step for a known objection or profile, or suspend collection
(e.g. a debtor who does not recognise the debt). Loaded through
:mod:`cobranca_kit.datafiles`, so mistakes name the file and field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from cobranca_kit.batch.experiments import Experiment
from cobranca_kit.catalog import get_catalog, unknown_id_message
from cobranca_kit.datafiles import load_model

DEFAULT_REGUA_PATH = Path(__file__).parent / "regua_padrao.yaml"
BATCH_CHANNELS = ("whatsapp", "sms", "email")

_ID = r"^[a-z][a-z0-9_]*$"


def _check_ids(kind: str, what: str, values: list[str]) -> list[str]:
    valid = get_catalog().ids(kind)
    for value in values:
        if value not in valid:
            raise ValueError(unknown_id_message(what, value, valid))
    return values


def _check_channels(values: list[str]) -> list[str]:
    _check_ids("canais", "canal", values)
    bad = [c for c in values if c not in BATCH_CHANNELS]
    if bad:
        raise ValueError(f"canal '{bad[0]}' não é enviado em lote; use {', '.join(BATCH_CHANNELS)}")
    if len(set(values)) != len(values):
        raise ValueError("canal repetido na lista de preferência")
    return values


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """One step of the régua."""

    id: str = Field(pattern=_ID)
    dias: int = Field(ge=-30, le=3650)
    estagio: str
    canais: list[str] = Field(min_length=1)
    tom: str
    objecao: str = "nenhuma"
    modelo: str | None = None
    modelo_versao: int | None = Field(default=None, ge=1)
    experimento: Experiment | None = None

    @field_validator("estagio")
    @classmethod
    def _stage(cls, value: str) -> str:
        return _check_ids("estagios", "estágio", [value])[0]

    @field_validator("tom")
    @classmethod
    def _tone(cls, value: str) -> str:
        return _check_ids("tons", "tom", [value])[0]

    @field_validator("objecao")
    @classmethod
    def _objection(cls, value: str) -> str:
        return _check_ids("objecoes", "objeção", [value])[0]

    @field_validator("canais")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        return _check_channels(value)

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        expected = get_catalog().stage_for_days(self.dias)
        if self.estagio != expected:
            raise ValueError(
                f"o estágio '{self.estagio}' não corresponde a {day_label(self.dias)} "
                f"(pelo catálogo é '{expected}')"
            )
        if self.modelo_versao is not None and self.modelo is None:
            raise ValueError("modelo_versao só vale junto com modelo")
        return self


class When(_Model):
    objecao: str | None = None
    perfil: str | None = None

    @field_validator("objecao")
    @classmethod
    def _objection(cls, value: str | None) -> str | None:
        return value if value is None else _check_ids("objecoes", "objeção", [value])[0]

    @field_validator("perfil")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        return value if value is None else _check_ids("perfis", "perfil", [value])[0]

    @model_validator(mode="after")
    def _something(self) -> When:
        if self.objecao is None and self.perfil is None:
            raise ValueError("indique objecao e/ou perfil em 'quando'")
        return self


class Override(_Model):
    """Adjusts matching steps for debtors with a known objection or profile."""

    quando: When
    passos: list[str] | None = None
    acao: Literal["enviar", "suspender"] = "enviar"
    motivo: str | None = None
    tom: str | None = None
    canais: list[str] | None = None
    modelo: str | None = None

    @field_validator("tom")
    @classmethod
    def _tone(cls, value: str | None) -> str | None:
        return value if value is None else _check_ids("tons", "tom", [value])[0]

    @field_validator("canais")
    @classmethod
    def _channels(cls, value: list[str] | None) -> list[str] | None:
        return value if value is None else _check_channels(value)

    @model_validator(mode="after")
    def _reason(self) -> Override:
        if self.acao == "suspender" and not self.motivo:
            raise ValueError("acao 'suspender' precisa de um 'motivo' (aparece no relatório)")
        return self


class Limits(_Model):
    sms_max_segmentos: int = Field(default=6, ge=1, le=10)
    whatsapp_max_caracteres: int = Field(default=1024, ge=100, le=4096)
    email_assunto_max_caracteres: int = Field(default=120, ge=20, le=300)


class Regua(_Model):
    """The whole régua file."""

    versao: Literal[1] = 1
    descricao: str = ""
    sem_modelo: Literal["proximo_canal", "ignorar"] = "proximo_canal"
    espalhar_minutos: int = Field(default=120, ge=0, le=600)
    tolerancia_dias: int = Field(default=0, ge=0, le=30)
    limites: Limits = Limits()
    passos: list[Step] = Field(min_length=1)
    sobreposicoes: list[Override] = Field(default_factory=list)
    _day_index: dict[int | str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Regua:
        ids = [s.id for s in self.passos]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"ids de passo repetidos: {', '.join(dupes)}")
        days = [s.dias for s in self.passos]
        if days != sorted(set(days)):
            raise ValueError("os passos devem estar em ordem crescente de dias, sem dias repetidos")
        experiments = [s.experimento.id for s in self.passos if s.experimento is not None]
        if len(set(experiments)) != len(experiments):
            raise ValueError("ids de experimento repetidos: cada experimento vale para um só passo")
        for i, ov in enumerate(self.sobreposicoes, 1):
            unknown = [p for p in ov.passos or [] if p not in ids]
            if unknown:
                raise ValueError(f"sobreposicoes[{i}]: passo desconhecido: {', '.join(unknown)}")
        return self

    def step_for(self, days_late: int) -> Step | None:
        """The step for ``days_late`` days after the due date, if any.

        A step fires on its day and, with ``tolerancia_dias``, on the following
        days until the next step: a debtor deferred by a frequency cap or missed
        by a skipped run is caught up (the ledger stops a step from repeating).
        """
        if self._day_index.get("tolerancia") != self.tolerancia_dias:  # model_copy keeps private state
            self._day_index.clear()
            self._day_index["tolerancia"] = self.tolerancia_dias
            index: dict[int, Step] = {}
            for i, step in enumerate(self.passos):
                next_day = self.passos[i + 1].dias if i + 1 < len(self.passos) else None
                for day in range(step.dias, step.dias + self.tolerancia_dias + 1):
                    if next_day is not None and day >= next_day:
                        break
                    index[day] = step
            self._day_index.update(index)
        found = self._day_index.get(days_late)
        return found if isinstance(found, Step) else None

    def resolve(self, step: Step, objecao: str | None, perfil: str | None) -> ResolvedStep:
        """Apply the overrides matching this debtor; later overrides win."""
        tone, channels, template = step.tom, list(step.canais), step.modelo
        objection = objecao or step.objecao
        for ov in self.sobreposicoes:
            if ov.passos is not None and step.id not in ov.passos:
                continue
            if ov.quando.objecao is not None and ov.quando.objecao != objecao:
                continue
            if ov.quando.perfil is not None and ov.quando.perfil != (perfil or "desconhecido"):
                continue
            if ov.acao == "suspender":
                return ResolvedStep(step, objection, tone, tuple(channels), template, suspended=ov.motivo)
            tone = ov.tom or tone
            channels = list(ov.canais or channels)
            template = ov.modelo or template
        return ResolvedStep(step, objection, tone, tuple(channels), template)


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    """A step as it applies to one debtor, after overrides."""

    step: Step
    objecao: str
    tom: str
    canais: tuple[str, ...]
    modelo: str | None
    suspended: str | None = None

    @property
    def pinned_version(self) -> int | None:
        return self.step.modelo_versao if self.modelo == self.step.modelo else None


def day_label(days: int) -> str:
    """``-3`` -> ``D-3``, ``0`` -> ``D0``, ``7`` -> ``D+7``."""
    return "D0" if days == 0 else f"D{days:+d}"


def load_regua(path: str | Path | None = None) -> Regua:
    """Load and validate a régua file (the packaged default when ``path`` is None)."""
    return load_model(Regua, path or DEFAULT_REGUA_PATH)


def regua_fingerprint(path: str | Path | None = None) -> str:
    data = Path(path or DEFAULT_REGUA_PATH).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]
