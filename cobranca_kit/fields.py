"""The placeholder schema: the only variables a draft or template may use.

It feeds template validation, the LLM prompts (the list of allowed variables)
and the workbench preview (the sample debtor).
"""

from __future__ import annotations

import datetime as dt
import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cobranca_kit.datafiles import load_model
from cobranca_kit.errors import PlaceholderError

FIELDS_PATH = Path(__file__).parent / "data" / "fields.yaml"

FieldType = Literal["texto", "moeda", "data", "inteiro", "url", "documento", "telefone"]


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    nome: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)?$")
    descricao: str = Field(min_length=1)
    tipo: FieldType
    exemplo: str | int | float

    @property
    def group(self) -> str:
        return self.nome.split(".")[0]


class FieldSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    campos: tuple[FieldSpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> FieldSchema:
        names = [f.nome for f in self.campos]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"campos repetidos: {', '.join(dupes)}")
        return self

    def names(self) -> list[str]:
        return [f.nome for f in self.campos]

    def get(self, name: str) -> FieldSpec:
        for spec in self.campos:
            if spec.nome == name:
                return spec
        raise PlaceholderError(unknown_placeholder_message(name, self.names()))

    def sample_data(self) -> dict[str, Any]:
        """Nested dict of the fictitious sample debtor, typed (dates as ``date``)."""
        return nest({f.nome: _typed_sample(f) for f in self.campos})


def _typed_sample(spec: FieldSpec) -> Any:
    if spec.tipo == "data":
        return dt.date.fromisoformat(str(spec.exemplo))
    if spec.tipo == "moeda":
        return float(spec.exemplo)
    if spec.tipo == "inteiro":
        return int(spec.exemplo)
    return spec.exemplo


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"cliente.nome": x}`` -> ``{"cliente": {"nome": x}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out


def unknown_placeholder_message(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" Você quis dizer '{{{{ {close[0]} }}}}'?" if close else ""
    return f"Variável desconhecida: '{{{{ {name} }}}}'.{hint} Use apenas as variáveis do esquema."


_PARSER = Environment()


def template_variables(source: str) -> set[str]:
    """Dotted variable names a Jinja source reads (``cliente.nome``, ``protocolo``).

    Loop variables and names set inside the template are not reported.
    """
    if "{" not in source:  # every Jinja construct starts with a brace: plain text reads nothing
        return set()
    return set(_template_variables(source))


@lru_cache(maxsize=4096)
def _template_variables(source: str) -> frozenset[str]:
    # cached: the same template texts are validated again and again (library, batch, drafts)
    try:
        ast = _PARSER.parse(source)
    except TemplateSyntaxError as exc:
        raise PlaceholderError(f"Erro de sintaxe no modelo (linha {exc.lineno}): {exc.message}") from exc
    local: set[str] = set()
    for node in ast.find_all((nodes.Assign, nodes.For)):
        for target in node.find_all(nodes.Name):
            if target.ctx in ("store", "param"):
                local.add(target.name)
    found: set[str] = set()
    for node in ast.find_all(nodes.Getattr):
        base = node.node
        if isinstance(base, nodes.Name) and base.ctx == "load" and base.name not in local:
            found.add(f"{base.name}.{node.attr}")
    attr_bases = {id(n.node) for n in ast.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name)}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load" and id(node) not in attr_bases and node.name not in local:
            found.add(node.name)
    return frozenset(found)


def check_placeholders(source: str, schema: FieldSchema | None = None) -> set[str]:
    """Return the variables used by ``source``; raise on any outside the schema."""
    schema = schema or get_fields()
    used = template_variables(source)
    valid = schema.names()
    unknown = sorted(used - set(valid))
    if unknown:
        raise PlaceholderError(" ".join(unknown_placeholder_message(n, valid) for n in unknown))
    return used


@lru_cache(maxsize=1)
def get_fields() -> FieldSchema:
    return load_model(FieldSchema, FIELDS_PATH)


#: Days after the due date of the sample debtor for stages without a range in the catalog.
_UNRANGED_STAGE_DAYS = {"acordo": 45, "confirmacao": 0}
#: Contract charges of the sample debtor: 2% fine (CDC art. 52 §1) and 1% interest a month.
_SAMPLE_FINE, _SAMPLE_MONTHLY_INTEREST = 0.02, 0.01


def sample_days_late(stage: str) -> int:
    """Days after (negative: before) the due date typical of ``stage``, inside its catalog range."""
    from cobranca_kit.catalog import get_catalog

    spec = get_catalog().get("estagios", stage)
    lo, hi = spec.dias_min, spec.dias_max
    if lo is None and hi is None:
        return _UNRANGED_STAGE_DAYS.get(stage, 0)
    if lo is None:
        return int(hi)  # type: ignore[arg-type]
    if hi is None:
        return lo + 29  # an open range ("more than 90 days"): a month past its start
    return lo + (hi - lo) // 2 if lo < 0 else lo + (hi - lo) // 3


def _month_name(day: dt.date) -> str:
    from babel.dates import format_date

    return format_date(day, format="MMMM", locale="pt_BR")


def sample_debtor(stage: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """The fictitious debtor used for previews (nested, typed).

    Without ``stage`` it is the fixed example of ``fields.yaml``. With ``stage`` its
    dates follow the stage and ``today`` (default: the current date): days overdue
    inside the stage's range in the catalog, due date that many days before today,
    updated amount with the sample contract charges, a Pix code valid until
    tomorrow 18h, an agreement valid for a week and the month in the description.
    """
    data = get_fields().sample_data()
    if stage is None:
        return data
    today = today or dt.date.today()
    days = sample_days_late(stage)
    due = today - dt.timedelta(days=days)
    late = max(days, 0)
    debt, payment = data["divida"], data["pagamento"]
    debt["dias_atraso"] = late
    debt["vencimento"] = due
    value = float(debt["valor"])
    if late:
        charges = _SAMPLE_FINE + _SAMPLE_MONTHLY_INTEREST * late / 30
        debt["valor_atualizado"] = round(value * (1 + charges), 2)
    else:
        debt["valor_atualizado"] = value
    example_month = data["divida"]["descricao"]
    for month in range(1, 13):
        name = _month_name(dt.date(2000, month, 1))
        if f" {name} " in f" {example_month} ":
            debt["descricao"] = example_month.replace(name, _month_name(due), 1)
            break
    expiry = today + dt.timedelta(days=1)
    payment["pix_expira_em"] = f"{expiry:%d/%m/%Y} às 18h"
    agreement = data["acordo"]
    agreement["validade"] = today + dt.timedelta(days=7)
    agreement["valor_parcela"] = round(debt["valor_atualizado"] / int(agreement["parcelas"]), 2)
    if "protocolo" in data:
        data["protocolo"] = f"{today:%Y%m%d}-{str(data['protocolo']).rpartition('-')[2]}"
    return data
