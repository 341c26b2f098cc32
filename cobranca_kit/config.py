"""Workspace configuration (``cobranca.toml``).

Found at ``$COBRANCA_CONFIG`` or ``./cobranca.toml``; without a file the
defaults below apply. Keys are pt-BR because team leads edit the file. An API
key is never read from here: it comes from the environment only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from validate_docbr import CNPJ

from cobranca_kit.datafiles import load_toml, validate
from cobranca_kit.errors import ConfigError

CONFIG_ENV = "COBRANCA_CONFIG"
CONFIG_NAME = "cobranca.toml"

UFS = [
    "AC",
    "AL",
    "AM",
    "AP",
    "BA",
    "CE",
    "DF",
    "ES",
    "GO",
    "MA",
    "MG",
    "MS",
    "MT",
    "PA",
    "PB",
    "PE",
    "PI",
    "PR",
    "RJ",
    "RN",
    "RO",
    "RR",
    "RS",
    "SC",
    "SE",
    "SP",
    "TO",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Empresa(_Section):
    """The creditor, identified in every written message (CDC art. 42-A)."""

    nome: str = Field(min_length=2)
    cnpj: str
    endereco: str = Field(min_length=5)
    atendimento: str = Field(min_length=3)

    @field_validator("cnpj")
    @classmethod
    def _valid_cnpj(cls, value: str) -> str:
        if not CNPJ().validate(value):
            raise ValueError(f"CNPJ inválido: '{value}' (confira os dígitos verificadores)")
        return CNPJ().mask("".join(ch for ch in value if ch.isdigit()))


class Llm(_Section):
    backend: Literal["offline", "openai"] | None = None
    modelo: str = "gpt-4o-mini"
    saida_estruturada: Literal["auto", "json_schema", "json_object", "texto"] = "auto"
    timeout_s: float = Field(default=60.0, gt=0)
    tentativas: int = Field(default=2, ge=0, le=10)
    temperatura: float = Field(default=0.4, ge=0, le=2)
    max_tokens: int = Field(default=1500, ge=64)
    concorrencia: int = Field(default=8, ge=1, le=64)
    rodadas_revisao: int = Field(default=3, ge=1, le=10)
    revisar_avisos: bool = False
    cache: bool = True

    @model_validator(mode="before")
    @classmethod
    def _no_key(cls, data: object) -> object:
        if isinstance(data, dict) and any("key" in k or "chave" in k for k in data):
            raise ValueError(
                "não coloque a chave da API no arquivo: use a variável de ambiente OPENAI_API_KEY"
            )
        return data


class Pastas(_Section):
    biblioteca: Path = Path("biblioteca")
    execucoes: Path = Path("runs")
    cache: Path = Path(".cache")
    regua: Path = Path("regua.yaml")
    ledger: Path = Path("contatos.sqlite")
    prompts: Path | None = None


class Janela(_Section):
    """A daily send window, local time of the debtor's state."""

    inicio: dt.time
    fim: dt.time

    @model_validator(mode="after")
    def _order(self) -> Janela:
        if self.fim <= self.inicio:
            raise ValueError("o fim da janela deve ser depois do início")
        return self


class Janelas(_Section):
    """Send windows per kind of day; ``None`` means no contact on that day."""

    dia_util: Janela | None = Janela(inicio=dt.time(8), fim=dt.time(20))
    sabado: Janela | None = Janela(inicio=dt.time(8), fim=dt.time(14))
    domingo: Janela | None = None
    feriado: Janela | None = None


def _default_uf_windows() -> dict[str, Janelas]:
    # States with their own contact-hour laws (see shared/domain/legal.md).
    no_saturday = {"sabado": None}
    return {
        "RJ": Janelas(dia_util=Janela(inicio=dt.time(9), fim=dt.time(19)), **no_saturday),
        "ES": Janelas(dia_util=Janela(inicio=dt.time(8), fim=dt.time(19)), **no_saturday),
        "AM": Janelas(dia_util=Janela(inicio=dt.time(8), fim=dt.time(19)), **no_saturday),
    }


#: The widest windows any state law allows (SP Lei 15.426/2014: 8h-20h on weekdays, 8h-14h on
#: Saturdays, never on Sundays or holidays; see shared/domain/legal.md). Windows beyond them
#: are allowed but ``Envio.window_warnings`` says so: the batch and its send-time check follow
#: the configured windows, so a window set too wide here would go unnoticed.
SAFE_WINDOWS = Janelas()
_DAY_LABELS = {"dia_util": "dias úteis", "sabado": "sábados", "domingo": "domingos", "feriado": "feriados"}


def _window_warnings(where: str, windows: Janelas) -> list[str]:
    out = []
    for day, label in _DAY_LABELS.items():
        own, safe = getattr(windows, day), getattr(SAFE_WINDOWS, day)
        if own is None:
            continue
        if safe is None:
            out.append(
                f"{where}: envia aos {label} ({own.inicio:%H:%M}-{own.fim:%H:%M}); nenhuma lei estadual permite"
            )
        elif own.inicio < safe.inicio or own.fim > safe.fim:
            out.append(
                f"{where}: janela dos {label} {own.inicio:%H:%M}-{own.fim:%H:%M} vai além de "
                f"{safe.inicio:%H:%M}-{safe.fim:%H:%M}, o limite da lei paulista (Lei 15.426/2014)"
            )
    return out


class Envio(_Section):
    janelas: Janelas = Janelas()
    janelas_por_uf: dict[str, Janelas] = Field(default_factory=_default_uf_windows)
    feriados_estaduais: bool = True
    max_contatos_dia: int = Field(default=1, ge=1)
    max_contatos_7_dias: int = Field(default=3, ge=1)
    uf_padrao: str = "SP"

    def window_warnings(self) -> list[str]:
        """pt-BR lines for send windows beyond the safe baseline (``SAFE_WINDOWS``)."""
        out = _window_warnings("[envio.janelas]", self.janelas)
        for uf, windows in sorted(self.janelas_por_uf.items()):
            out += _window_warnings(f"[envio.janelas_por_uf.{uf}]", windows)
        return out

    @field_validator("janelas_por_uf")
    @classmethod
    def _known_ufs(cls, value: dict[str, Janelas]) -> dict[str, Janelas]:
        bad = [uf for uf in value if uf not in UFS]
        if bad:
            raise ValueError(f"UF desconhecida: {', '.join(bad)}")
        return value

    @field_validator("uf_padrao")
    @classmethod
    def _known_uf(cls, value: str) -> str:
        if value not in UFS:
            raise ValueError(f"UF desconhecida: {value}")
        return value

    def windows_for(self, uf: str | None) -> Janelas:
        return self.janelas_por_uf.get(uf or self.uf_padrao, self.janelas)


class Aprovacao(_Section):
    aprovador_padrao: str | None = None


class Experimentos(_Section):
    """Pre-registered rules of the A/B report (``cobranca-kit resultados relatorio``)."""

    dias_atribuicao: int = Field(default=7, ge=1, le=180)  # payment within N days of the assignment
    amostra_minima: int = Field(default=6000, ge=30)  # matured debtors per arm before any verdict
    alfa: float = Field(default=0.05, gt=0, lt=0.5)  # family-wise error (Holm over variants and metrics)
    margem_dano: float = Field(
        default=0.005, ge=0, lt=0.5
    )  # tolerated opt-out/complaint increase (0.005 = 0,5 p.p.)


class Config(_Section):
    """The whole workspace configuration."""

    empresa: Empresa | None = None
    llm: Llm = Llm()
    pastas: Pastas = Pastas()
    envio: Envio = Envio()
    aprovacao: Aprovacao = Aprovacao()
    experimentos: Experimentos = Experimentos()
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: Path | None = Field(default=None, exclude=True)

    def path(self, name: str) -> Path:
        """A folder or file from ``[pastas]``, resolved against the config's folder."""
        value = getattr(self.pastas, name)
        if value is None:
            raise ConfigError(self.source or CONFIG_NAME, f"[pastas] {name} não configurado")
        value = Path(value)
        return value if value.is_absolute() else self.base_dir / value

    def require_empresa(self) -> Empresa:
        if self.empresa is None:
            raise ConfigError(
                self.source or CONFIG_NAME,
                "falta a seção [empresa] (nome, cnpj, endereco, atendimento), exigida pelo CDC art. 42-A",
            )
        return self.empresa

    def fingerprint(self) -> str:
        """A short hash of the effective settings, recorded with every run."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def find_config_file(start: Path | None = None) -> Path | None:
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(path, f"arquivo indicado em {CONFIG_ENV} não existe")
        return path
    candidate = (start or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: str | Path | None = None) -> Config:
    """Load the workspace config; without a file, the defaults (offline, no creditor)."""
    found = Path(path) if path is not None else find_config_file()
    if found is None:
        return Config()
    data = load_toml(found, error=ConfigError)
    config = validate(Config, data, found, error=ConfigError)
    config.base_dir = found.resolve().parent
    config.source = found
    return config
