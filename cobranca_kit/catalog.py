"""The domain vocabulary: objections, tones, channels, régua stages, profiles and
payment methods, loaded from ``data/catalog.yaml``.
"""

from __future__ import annotations

import difflib
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cobranca_kit.datafiles import load_model
from cobranca_kit.errors import CatalogError

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.yaml"

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Entry(BaseModel):
    """One catalog item: a stable id, a pt-BR label and short guidance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID_PATTERN)
    rotulo: str = Field(min_length=1)
    orientacao: str = Field(min_length=1)


class Channel(Entry):
    escrito: bool = True


class Stage(Entry):
    dias_min: int | None = None
    dias_max: int | None = None


class Catalog(BaseModel):
    """All the domain lists. Attribute names are the users' own (pt-BR) words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objecoes: tuple[Entry, ...]
    tons: tuple[Entry, ...]
    canais: tuple[Channel, ...]
    estagios: tuple[Stage, ...]
    perfis: tuple[Entry, ...]
    pagamentos: tuple[Entry, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        for kind in KINDS:
            ids = [e.id for e in getattr(self, kind)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"ids repetidos em {kind}: {', '.join(dupes)}")
        return self

    def ids(self, kind: str) -> list[str]:
        return [e.id for e in getattr(self, kind)]

    def get(self, kind: str, ident: str) -> Entry:
        for entry in getattr(self, kind):
            if entry.id == ident:
                return entry
        raise CatalogError(unknown_id_message(KIND_LABELS.get(kind, kind), ident, self.ids(kind)))

    def label(self, kind: str, ident: str) -> str:
        return self.get(kind, ident).rotulo

    def options(self, kind: str) -> list[tuple[str, str]]:
        """(label, id) pairs, the shape ipywidgets Dropdown takes."""
        return [(e.rotulo, e.id) for e in getattr(self, kind)]

    def stage_for_days(self, days_late: int) -> str:
        """The schedule stage for a number of days after (negative: before) the due date."""
        for stage in self.estagios:
            if stage.dias_min is None and stage.dias_max is None:
                continue
            lo = stage.dias_min if stage.dias_min is not None else -(10**9)
            hi = stage.dias_max if stage.dias_max is not None else 10**9
            if lo <= days_late <= hi:
                return stage.id
        return "pre_vencimento" if days_late < 0 else "atraso_longo"


KINDS = ("objecoes", "tons", "canais", "estagios", "perfis", "pagamentos")
KIND_LABELS = {
    "objecoes": "objeção",
    "tons": "tom",
    "canais": "canal",
    "estagios": "estágio",
    "perfis": "perfil",
    "pagamentos": "meio de pagamento",
}


def unknown_id_message(what: str, ident: object, valid: list[str]) -> str:
    """pt-BR message for an id outside a closed list, with a close match when any."""
    close = difflib.get_close_matches(str(ident), valid, n=1)
    hint = f" Você quis dizer '{close[0]}'?" if close else ""
    return f"{what} desconhecido(a): '{ident}'.{hint} Valores válidos: {', '.join(valid)}."


def check_catalog_id(kind: str, value: str) -> str:
    """Validate one id against the packaged catalog (``ValueError`` so pydantic wraps it)."""
    valid = get_catalog().ids(kind)
    if value not in valid:
        raise ValueError(unknown_id_message(KIND_LABELS[kind].capitalize(), value, valid))
    return value


# Annotated id types: every model that holds a catalog id validates it the same way.
ObjecaoId = Annotated[str, AfterValidator(partial(check_catalog_id, "objecoes"))]
TomId = Annotated[str, AfterValidator(partial(check_catalog_id, "tons"))]
CanalId = Annotated[str, AfterValidator(partial(check_catalog_id, "canais"))]
EstagioId = Annotated[str, AfterValidator(partial(check_catalog_id, "estagios"))]
PerfilId = Annotated[str, AfterValidator(partial(check_catalog_id, "perfis"))]
PagamentoId = Annotated[str, AfterValidator(partial(check_catalog_id, "pagamentos"))]


def load_catalog(path: str | Path = CATALOG_PATH) -> Catalog:
    return load_model(Catalog, path)


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The packaged catalog, loaded and validated once."""
    return load_catalog()
