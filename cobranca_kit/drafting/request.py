"""What the user asks to draft: objection, tone, channel, stage, profile and payment
methods, all ids from the catalog, plus free-text instructions and variants."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cobranca_kit.catalog import CanalId, EstagioId, ObjecaoId, PerfilId, TomId, check_catalog_id, get_catalog
from cobranca_kit.quality import personal_data


class DraftRequest(BaseModel):
    """One drafting request. Holds no personal data: only catalog ids and the
    user's own instructions ever reach a prompt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objecao: ObjecaoId
    tom: TomId
    canal: CanalId
    estagio: EstagioId
    perfil: PerfilId = "desconhecido"
    pagamentos: list[str] = Field(default_factory=lambda: ["pix", "link"])
    instrucoes: str = Field(default="", max_length=2000)
    variantes: int = Field(default=1, ge=1, le=10)
    seed: int | None = None

    @field_validator("instrucoes")
    @classmethod
    def _no_personal_data(cls, value: str) -> str:
        # Personal data must never reach a prompt (patterns shared with the template quality check).
        found = personal_data(value)
        if found:
            raise ValueError(
                f"as instruções parecem conter {found[0][0]}; não coloque dados pessoais: use as variáveis "
                "do esquema (por exemplo {{ cliente.nome }}) e descreva o caso em termos gerais"
            )
        return value

    @field_validator("pagamentos", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("pagamentos")
    @classmethod
    def _pagamentos(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("informe ao menos um meio de pagamento")
        out: list[str] = []
        for item in value:
            check_catalog_id("pagamentos", item)
            if item not in out:
                out.append(item)
        return out

    @property
    def base_seed(self) -> int:
        """The seed of variant 0 (0 when none was given, so runs are reproducible)."""
        return self.seed if self.seed is not None else 0

    def seed_for(self, variant: int) -> int:
        return self.base_seed + variant

    def key(self) -> str:
        """A stable short hash of the request, used for cache and resume keys."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]

    def label(self) -> str:
        cat = get_catalog()
        return " · ".join(
            [
                cat.label("objecoes", self.objecao),
                cat.label("tons", self.tom),
                cat.label("canais", self.canal),
                cat.label("estagios", self.estagio),
            ]
        )
