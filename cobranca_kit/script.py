"""Scripts: the channel-shaped text that drafting produces, the checker reads and
the library stores as Jinja templates.

Every script exposes its text as named *parts* (``mensagem_1``, ``assunto``,
``corpo``, ``passo_3_situacao``...) so findings, templates and exports can point
at one part. Text may only use placeholders from the schema (``fields.py``).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from cobranca_kit.fields import check_placeholders

CallStepKind = Literal[
    "abertura", "identificacao", "confirmacao_titular", "situacao", "opcoes", "objecao", "encerramento"
]
CALL_STEP_KINDS: tuple[str, ...] = CallStepKind.__args__  # type: ignore[attr-defined]
CALL_STEP_LABELS: dict[str, str] = {
    "abertura": "Abertura",
    "identificacao": "Identificação",
    "confirmacao_titular": "Confirmação do titular",
    "situacao": "Situação",
    "opcoes": "Opções",
    "objecao": "Objeção",
    "encerramento": "Encerramento",
}


def _validated_text(value: str) -> str:
    check_placeholders(value)
    return value


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def parts(self) -> list[tuple[str, str]]:  # pragma: no cover - overridden
        raise NotImplementedError

    def text(self) -> str:
        """All parts joined, for whole-script checks (readability, identification)."""
        return "\n\n".join(t for _, t in self.parts())


class WhatsAppScript(_Base):
    """A sequence of WhatsApp messages; a Pix copia-e-cola code goes alone in one."""

    channel: Literal["whatsapp"] = "whatsapp"
    mensagens: list[str] = Field(min_length=1, max_length=6)

    @field_validator("mensagens")
    @classmethod
    def _check(cls, value: list[str]) -> list[str]:
        for msg in value:
            if not msg.strip():
                raise ValueError("mensagem vazia")
            _validated_text(msg)
        return value

    def parts(self) -> list[tuple[str, str]]:
        return [(f"mensagem_{i}", m) for i, m in enumerate(self.mensagens, 1)]


class SmsScript(_Base):
    channel: Literal["sms"] = "sms"
    texto: str = Field(min_length=1)

    @field_validator("texto")
    @classmethod
    def _check(cls, value: str) -> str:
        return _validated_text(value)

    def parts(self) -> list[tuple[str, str]]:
        return [("texto", self.texto)]


class EmailScript(_Base):
    channel: Literal["email"] = "email"
    assunto: str = Field(min_length=1)
    corpo: str = Field(min_length=1)
    assinatura: str = Field(min_length=1)

    @field_validator("assunto", "corpo", "assinatura")
    @classmethod
    def _check(cls, value: str) -> str:
        return _validated_text(value)

    def parts(self) -> list[tuple[str, str]]:
        return [("assunto", self.assunto), ("corpo", self.corpo), ("assinatura", self.assinatura)]


class CallStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    etapa: CallStepKind
    fala: str = Field(min_length=1)

    @field_validator("fala")
    @classmethod
    def _check(cls, value: str) -> str:
        return _validated_text(value)


class CallScript(_Base):
    """Ordered steps of a phone call, each with what the agent says."""

    channel: Literal["telefone"] = "telefone"
    passos: list[CallStep] = Field(min_length=1)

    def parts(self) -> list[tuple[str, str]]:
        return [(f"passo_{i}_{s.etapa}", s.fala) for i, s in enumerate(self.passos, 1)]


Script = Annotated[WhatsAppScript | SmsScript | EmailScript | CallScript, Field(discriminator="channel")]
SCRIPT_ADAPTER: TypeAdapter[Script] = TypeAdapter(Script)
SCRIPT_TYPES: dict[str, type[_Base]] = {
    "whatsapp": WhatsAppScript,
    "sms": SmsScript,
    "email": EmailScript,
    "telefone": CallScript,
}

_PART_RE = re.compile(r"^(mensagem|passo)_(\d+)(?:_([a-z_]+))?$")


def script_from_parts(channel: str, parts: dict[str, str] | list[tuple[str, str]]) -> Script:
    """Rebuild a script from its named parts (the inverse of ``parts()``)."""
    items = list(parts.items()) if isinstance(parts, dict) else list(parts)
    if channel == "whatsapp":
        return WhatsAppScript(mensagens=[t for _, t in items])
    if channel == "sms":
        return SmsScript(texto=dict(items)["texto"])
    if channel == "email":
        d = dict(items)
        return EmailScript(assunto=d["assunto"], corpo=d["corpo"], assinatura=d["assinatura"])
    if channel == "telefone":
        steps = []
        for name, text in items:
            m = _PART_RE.match(name)
            if not m or m.group(1) != "passo" or not m.group(3):
                raise ValueError(f"parte inválida para roteiro de ligação: {name}")
            steps.append(CallStep(etapa=m.group(3), fala=text))
        return CallScript(passos=steps)
    raise ValueError(f"canal desconhecido: {channel}")


def parse_script(data: object) -> Script:
    """Validate a dict (e.g. parsed LLM output) into the right script type."""
    return SCRIPT_ADAPTER.validate_python(data)
