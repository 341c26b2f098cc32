"""What the library stores: template metadata, one immutable version of a template,
and the reference (``id@vN``) that batch runs and exports record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from cobranca_kit.catalog import CanalId, EstagioId, ObjecaoId, PerfilId, TomId, check_catalog_id
from cobranca_kit.errors import LibraryError
from cobranca_kit.script import Script, script_from_parts

Status = Literal["rascunho", "aprovado", "arquivado"]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]

# Lowercase words joined by single '-' or '_': no dots, slashes or spaces, so an id
# can never name a folder outside the library.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
ID_MAX_LENGTH = 120
GENERIC_PROFILE = "desconhecido"


def check_id(template_id: object) -> str:
    """Return ``template_id`` if it is a safe slug; raise a pt-BR ``LibraryError`` otherwise."""
    if (
        not isinstance(template_id, str)
        or not ID_PATTERN.match(template_id)
        or len(template_id) > ID_MAX_LENGTH
    ):
        raise LibraryError(
            f"Id de modelo inválido: {template_id!r}. Use só letras minúsculas sem acento, números, "
            f"'-' e '_' (até {ID_MAX_LENGTH} caracteres); caminhos como '../' ou '/' não são aceitos."
        )
    return template_id


def default_id(objecao: str, tom: str, canal: str, estagio: str, perfil: str | None = None) -> str:
    """``objecao-tom-canal-estagio[-perfil]``, the id a template gets when none is given."""
    pieces = [objecao, tom, canal, estagio]
    if perfil and perfil != GENERIC_PROFILE:
        pieces.append(perfil)
    return "-".join(pieces)


class Origin(BaseModel):
    """Where the text came from, so a reviewer can reproduce or question a draft."""

    model_config = ConfigDict(extra="forbid")

    backend: str | None = None
    modelo: str | None = None
    prompt_version: str | None = None
    seed: int | None = None


class TemplateMeta(BaseModel):
    """What a template is for (catalog ids) and who wrote it."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    objecao: ObjecaoId
    tom: TomId
    canal: CanalId
    estagio: EstagioId
    perfil: PerfilId | None = None
    pagamentos: list[str] = Field(default_factory=lambda: ["pix", "link"])
    titulo: str = ""
    autor: str = ""
    notas: str = ""
    origem: Origin = Field(default_factory=Origin)

    @field_validator("pagamentos")
    @classmethod
    def _pagamentos(cls, value: list[str]) -> list[str]:
        return [check_catalog_id("pagamentos", v) for v in value]

    @model_validator(mode="after")
    def _fill_id(self) -> TemplateMeta:
        if self.id is None:
            self.id = default_id(self.objecao, self.tom, self.canal, self.estagio, self.perfil)
        return self

    @property
    def generic_profile(self) -> bool:
        """True when the template is meant for any debtor profile."""
        return self.perfil is None or self.perfil == GENERIC_PROFILE


class TemplateRef(NamedTuple):
    """A pointer to one stored version; ``str(ref)`` is ``id@vN``."""

    id: str
    version: int

    def __str__(self) -> str:
        return f"{self.id}@v{self.version}"


_REF_RE = re.compile(r"^(?P<id>[^@]+?)(?:@v?(?P<version>\d+))?$")


def parse_ref(text: str) -> tuple[str, int | None]:
    """``abc@v3`` / ``abc@3`` -> ``("abc", 3)``; ``abc`` -> ``("abc", None)``."""
    match = _REF_RE.match(text.strip())
    if not match:
        raise LibraryError(f"Referência de modelo inválida: '{text}'. Use ID ou ID@vN (ex.: meu_modelo@v2).")
    version = match.group("version")
    return check_id(match.group("id")), int(version) if version else None


class Template(BaseModel):
    """One immutable version of a template: metadata, Jinja parts and the check report.

    Only the status fields (status, approved_by/approved_at) change after saving.
    """

    model_config = ConfigDict(extra="forbid")

    meta: TemplateMeta
    version: int = Field(ge=1)
    status: Status = "rascunho"
    created_at: dt.datetime
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    parts: list[tuple[str, str]] = Field(min_length=1)
    report: dict[str, Any] | None = None

    @field_validator("parts", mode="before")
    @classmethod
    def _parts_from_mapping(cls, value: Any) -> Any:
        # Files keep parts as an ordered mapping (readable in git); code uses pairs.
        if isinstance(value, dict):
            return [(str(k), v) for k, v in value.items()]
        return value

    @field_serializer("parts")
    def _parts_to_mapping(self, parts: list[tuple[str, str]]) -> dict[str, str]:
        return dict(parts)

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        names = [name for name, _ in self.parts]
        if len(set(names)) != len(names):
            raise ValueError("partes com nomes repetidos")
        if self.status == "aprovado" and not self.approved_by:
            raise ValueError("modelo aprovado sem 'approved_by'")
        return self

    @property
    def id(self) -> str:
        assert self.meta.id is not None  # filled by TemplateMeta
        return self.meta.id

    @property
    def channel(self) -> str:
        return self.meta.canal

    @property
    def ref(self) -> str:
        return str(TemplateRef(self.id, self.version))

    @property
    def template_ref(self) -> TemplateRef:
        return TemplateRef(self.id, self.version)

    @property
    def script(self) -> Script:
        """The parts as a script object (Jinja text, placeholders still in place)."""
        return script_from_parts(self.meta.canal, self.parts)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """Blocking findings recorded in the save-time report."""
        findings = (self.report or {}).get("findings", [])
        return [f for f in findings if isinstance(f, dict) and f.get("severity") == "block"]
