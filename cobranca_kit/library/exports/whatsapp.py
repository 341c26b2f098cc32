"""WhatsApp Cloud API: template creation JSON and the send payload for one debtor.

How a WhatsApp script (several messages) becomes ONE Meta template:

* A message that is nothing but ``{{ pagamento.pix_copia_e_cola }}`` is left out.
  A utility template cannot carry a Pix copia-e-cola (the COPY_CODE button is
  marketing-only and holds 15 characters), so the code is delivered as a session
  message once the customer replies (``whatsapp_pix_followup``), or the customer
  pays through the URL button. ``WhatsAppExport.pix_delivery`` records which.
  Any other message mentioning the Pix code cannot be exported.
* If the first message is a short static line (no variable, one line, <= 60
  characters) and more messages follow, it becomes the HEADER.
* The other messages, in order, joined by a blank line, form the BODY. Each
  distinct ``{{ expression }}`` becomes one parameter named after its variable
  (``divida.valor | moeda`` -> ``divida_valor``), or numbered for POSITIONAL.
  Its value for a debtor is the rendered expression (``R$ 389,90``).
* Creditor fields (``{{ empresa.nome }}``, CNPJ, address...) are not parameters:
  a WhatsApp Business account sends for one creditor, so they are written into
  the template as fixed text from ``[empresa]`` (export again if it changes).
  Meta reviewers then see who is collecting, as CDC art. 42-A asks.
  ``{% if %}``/``{% for %}`` blocks cannot be expressed and are refused.
* FOOTER: creditor name and CNPJ (CDC art. 42-A), from ``[empresa]``.
* BUTTONS: a URL button to the payment link (fixed base + variable suffix) when
  the template offers the link, and a QUICK_REPLY "Falar com atendente".

Meta's known rejection rules are checked before anything is returned
(``whatsapp_problems``); a violation raises ``ExportError`` naming the rule.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers
from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from cobranca_kit.config import Config
from cobranca_kit.errors import RenderError
from cobranca_kit.fields import sample_debtor, template_variables
from cobranca_kit.library.errors import ExportError
from cobranca_kit.library.exports.common import creditor, require_channel
from cobranca_kit.library.models import Template
from cobranca_kit.library.render import (
    TEXT_ENV,
    CompiledTemplate,
    compile_parts,
    location,
    render_compiled,
    tidy_punctuation,
)

ParameterFormat = Literal["NAMED", "POSITIONAL"]
PixDelivery = Literal["mensagem_de_sessao", "link_de_pagamento", "nao_se_aplica"]

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_MARK = re.compile(r"\x00(\d+)\x00")
NAME_MAX = 512
PARAM_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
HEADER_MAX = 60
BODY_MAX = 1024
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
LANGUAGE = "pt_BR"
CATEGORY = "UTILITY"
PIX_FIELD = "pagamento.pix_copia_e_cola"
LINK_FIELD = "pagamento.link"
CREDITOR_PREFIX = "empresa."
PAY_BUTTON_TEXT = "Pagar agora"
HUMAN_BUTTON_TEXT = "Falar com atendente"

_META_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_WORD = re.compile(r"\w+")


# -- validation of a Meta template JSON -----------------------------------------

RULE_HINTS = {
    "corpo_comeca_com_variavel": "comece com uma palavra, por exemplo 'Olá, {{ cliente.primeiro_nome }}'",
    "corpo_termina_com_variavel": "feche com uma frase depois da última variável",
    "variaveis_adjacentes": "ponha ao menos uma palavra entre duas variáveis",
    "poucas_palavras_por_variavel": "escreva mais texto em volta das variáveis ou use menos variáveis",
    "corpo_longo": "encurte as mensagens; o código Pix já fica de fora do modelo",
    "cabecalho_longo": "use um título mais curto",
    "rodape_longo": "encurte o nome do credor em [empresa]",
}


def _hint(rule: str) -> str:
    hint = RULE_HINTS.get(rule)
    return f" (sugestão: {hint})" if hint else ""


def _body_problems(text: str, fmt: str) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    stripped = text.strip()
    variables = list(_META_VAR.finditer(stripped))
    if len(text) > BODY_MAX:
        problems.append(("corpo_longo", f"o corpo tem {len(text)} caracteres; o máximo é {BODY_MAX}"))
    if not variables:
        return problems
    # Punctuation does not count as text around a variable: "... {{2}}." still ends with it.
    if not _WORD.search(stripped[: variables[0].start()]):
        problems.append(("corpo_comeca_com_variavel", "o corpo não pode começar com uma variável"))
    if not _WORD.search(stripped[variables[-1].end() :]):
        problems.append(
            (
                "corpo_termina_com_variavel",
                "o corpo não pode terminar com uma variável (pontuação depois dela não basta)",
            )
        )
    for left, right in itertools.pairwise(variables):
        between = stripped[left.end() : right.start()]
        if not _WORD.search(between):
            problems.append(
                (
                    "variaveis_adjacentes",
                    f"variáveis vizinhas sem texto entre elas: '{left.group(0)}{between}{right.group(0)}'",
                )
            )
            break
    names = [m.group(1) for m in variables]
    numeric = [n.isdigit() for n in names]
    if fmt == "POSITIONAL":
        if not all(numeric):
            problems.append(
                ("formato_parametro", "formato POSITIONAL exige variáveis numeradas ({{1}}, {{2}}...)")
            )
        else:
            first_seen = list(dict.fromkeys(int(n) for n in names))
            if sorted(first_seen) != list(range(1, len(first_seen) + 1)) or first_seen != sorted(first_seen):
                problems.append(
                    (
                        "numeracao_nao_sequencial",
                        f"as variáveis devem aparecer numeradas em sequência a partir de {{{{1}}}}; "
                        f"encontrado: {', '.join(str(n) for n in first_seen)}",
                    )
                )
    else:
        bad = [n for n in names if not PARAM_NAME_RE.match(n)]
        if bad:
            problems.append(
                (
                    "formato_parametro",
                    f"no formato NAMED os nomes usam letras minúsculas, números e '_': {', '.join(bad)}",
                )
            )
    words = len(_WORD.findall(_META_VAR.sub(" ", stripped)))
    needed = 3 * len(variables) + 1
    if words < needed:
        problems.append(
            (
                "poucas_palavras_por_variavel",
                f"{len(variables)} variável(is) para {words} palavra(s): o WhatsApp pede pelo menos {needed} "
                "palavras (3 por variável + 1)",
            )
        )
    return problems


def _example_count(component: Mapping[str, Any], fmt: str, kind: str) -> int | None:
    example = component.get("example") or {}
    if fmt == "NAMED":
        items = example.get(f"{kind}_text_named_params")
        return None if items is None else len(items)
    items = example.get(f"{kind}_text")
    if items is None:
        return None
    return len(items[0]) if kind == "body" and items else len(items)


def whatsapp_problems(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Meta's known rejection rules checked on a template creation JSON.

    Returns ``(rule_id, pt-BR explanation)`` pairs; empty means it should pass.
    """
    problems: list[tuple[str, str]] = []
    name = str(payload.get("name", ""))
    if not NAME_RE.match(name) or len(name) > NAME_MAX:
        problems.append(("nome_invalido", f"nome '{name}' inválido: use ^[a-z][a-z0-9_]*$ (até {NAME_MAX})"))
    if payload.get("category") != CATEGORY:
        problems.append(("categoria", f"categoria deve ser {CATEGORY} para cobrança"))
    fmt = str(payload.get("parameter_format", "POSITIONAL"))
    if fmt not in ("NAMED", "POSITIONAL"):
        problems.append(("formato_parametro", f"parameter_format '{fmt}' inválido (NAMED ou POSITIONAL)"))
    components = list(payload.get("components", []))
    bodies = [c for c in components if c.get("type") == "BODY"]
    if len(bodies) != 1:
        problems.append(("corpo_ausente", "o modelo precisa de exatamente um componente BODY"))
    for comp in components:
        kind = comp.get("type")
        text = str(comp.get("text", ""))
        if kind == "HEADER":
            if len(text) > HEADER_MAX:
                problems.append(
                    ("cabecalho_longo", f"cabeçalho com {len(text)} caracteres; máximo {HEADER_MAX}")
                )
            if len(_META_VAR.findall(text)) > 1:
                problems.append(("cabecalho_variaveis", "o cabeçalho aceita no máximo uma variável"))
            if "\n" in text or "*" in text:
                problems.append(
                    ("cabecalho_formato", "o cabeçalho não aceita quebra de linha nem asteriscos")
                )
        elif kind == "BODY":
            problems.extend(_body_problems(text, fmt))
            count = len(dict.fromkeys(_META_VAR.findall(text)))
            examples = _example_count(comp, fmt, "body")
            if count and examples != count:
                problems.append(
                    ("exemplos", f"o corpo tem {count} variável(is) e {examples or 0} exemplo(s)")
                )
        elif kind == "FOOTER":
            if len(text) > FOOTER_MAX:
                problems.append(("rodape_longo", f"rodapé com {len(text)} caracteres; máximo {FOOTER_MAX}"))
            if _META_VAR.search(text):
                problems.append(("variavel_no_rodape", "o rodapé não aceita variáveis"))
            if "\n" in text:
                problems.append(("rodape_formato", "o rodapé não aceita quebra de linha"))
        elif kind == "BUTTONS":
            for button in comp.get("buttons", []):
                if len(str(button.get("text", ""))) > BUTTON_TEXT_MAX:
                    problems.append(
                        ("botao_texto_longo", f"texto de botão com mais de {BUTTON_TEXT_MAX} caracteres")
                    )
                if button.get("type") == "COPY_CODE":
                    problems.append(
                        (
                            "pix_no_modelo",
                            "COPY_CODE só existe em modelos de marketing (até 15 caracteres); não serve para Pix",
                        )
                    )
                if button.get("type") == "URL":
                    url = str(button.get("url", ""))
                    found = _META_VAR.findall(url)
                    if found and not url.endswith("}}"):
                        problems.append(
                            ("url_variavel_fora_do_fim", "a variável do botão URL deve ficar no fim")
                        )
                    if found and not button.get("example"):
                        problems.append(("exemplos", "botão URL com variável precisa de exemplo"))
    return problems


# -- from a library template to a Meta template ---------------------------------


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    source: str  # Jinja expression, e.g. "divida.valor | moeda"
    variable: str  # dotted schema field


@dataclass(frozen=True, slots=True)
class _Fixed:
    """A creditor expression (``{{ empresa.nome }}``): fixed text in the Meta template."""

    source: str


@dataclass(frozen=True, slots=True)
class _Plan:
    name: str
    header: str | None
    body_pieces: tuple[str | int | _Fixed, ...]  # literal text, index into params, creditor text
    params: tuple[_Param, ...]
    link_button: bool
    pix_part: str | None  # Jinja source of the bare Pix message, if any


@dataclass(frozen=True)
class WhatsAppExport:
    """The Meta template JSON plus what the JSON itself cannot say."""

    template: dict[str, Any]
    pix_delivery: PixDelivery
    notes: list[str] = field(default_factory=list)


def meta_template_name(template: Template) -> str:
    """``abc-def`` v3 -> ``abc_def_v3`` (Meta names: lowercase, digits, '_')."""
    base = re.sub(r"[^a-z0-9_]+", "_", template.id.lower()).strip("_")
    if not base or not base[0].isalpha():
        base = f"modelo_{base}"
    return f"{base}_v{template.version}"[:NAME_MAX]


def _segments(source: str, ref: str, part: str) -> list[tuple[str, str]]:
    """Split Jinja source into ("text", literal) and ("expr", expression) pieces."""
    out: list[tuple[str, str]] = []
    expr: list[str] | None = None
    try:
        for _, kind, value in TEXT_ENV.lex(source):
            if kind == "data":
                out.append(("text", value))
            elif kind == "variable_begin":
                expr = []
            elif kind == "variable_end":
                out.append(("expr", "".join(expr or []).strip()))
                expr = None
            elif kind in ("block_begin", "raw_begin", "linestatement_begin"):
                raise ExportError(
                    f"{ref}, parte '{part}': blocos {{% %}} (condições, laços) não cabem em um modelo do "
                    "WhatsApp, que é um texto fixo com variáveis. Reescreva sem blocos.",
                    ["bloco_jinja"],
                )
            elif expr is not None:
                expr.append(value)
    except TemplateSyntaxError as exc:
        raise ExportError(f"{ref}, parte '{part}': erro de sintaxe: {exc}", ["sintaxe"]) from exc
    return out


def _expression_variable(source: str, ref: str, part: str) -> tuple[str, list[str]]:
    """The single schema variable an expression reads, and the filters applied to it."""
    found, filters = _expression_names(source)
    if len(set(found)) != 1:
        raise ExportError(
            f"{ref}, parte '{part}': a expressão '{{{{ {source} }}}}' deve usar exatamente uma variável "
            "do esquema para virar parâmetro do WhatsApp.",
            ["expressao_complexa"],
        )
    return found[0], list(filters)


@lru_cache(maxsize=2048)
def _expression_names(source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Schema variables an expression reads and the filters applied, innermost first."""
    wrapped = "{{ " + source + " }}"
    filters = [f.name for f in TEXT_ENV.parse(wrapped).find_all(nodes.Filter)]
    return tuple(sorted(template_variables(wrapped))), tuple(reversed(filters))


def _param_name(variable: str, filters: list[str], taken: set[str]) -> str:
    base = variable.replace(".", "_")
    candidates = [base, "_".join([base, *filters])]
    for cand in candidates:
        if cand not in taken:
            return cand
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


@lru_cache(maxsize=256)
def _plan(ref: str, name: str, parts: tuple[tuple[str, str], ...], offers_link: bool) -> _Plan:
    messages: list[tuple[str, list[tuple[str, str]]]] = []
    pix_part: str | None = None
    for part, source in parts:
        segs = _segments(source, ref, part)
        exprs = [s for kind, s in segs if kind == "expr"]
        literal = "".join(s for kind, s in segs if kind == "text")
        variables = [_expression_variable(e, ref, part)[0] for e in exprs]
        if variables == [PIX_FIELD] and not literal.strip():
            pix_part = source
            continue
        if PIX_FIELD in variables:
            raise ExportError(
                f"{ref}, parte '{part}': o código Pix copia-e-cola não pode ir no corpo de um modelo de "
                "utilidade (o botão COPY_CODE é só de marketing, com 15 caracteres). Deixe o código sozinho "
                "em uma mensagem: ele será enviado como mensagem de sessão quando o cliente responder.",
                ["pix_no_modelo"],
            )
        messages.append((part, segs))
    if not messages:
        raise ExportError(
            f"{ref}: não sobra texto para o corpo do modelo além do código Pix.", ["corpo_ausente"]
        )

    header = None
    first = messages[0][1]
    first_text = "".join(s for _, s in first).strip()
    static = all(k == "text" for k, _ in first)
    if len(messages) > 1 and static and "\n" not in first_text and 0 < len(first_text) <= HEADER_MAX:
        header = first_text
        messages = messages[1:]

    params: list[_Param] = []
    index: dict[str, int] = {}
    pieces: list[str | int | _Fixed] = []
    uses_link = False
    for i, (part, segs) in enumerate(messages):
        message: list[str | int | _Fixed] = []
        for kind, value in segs:
            if kind == "text":
                message.append(value)
                continue
            key = "".join(value.split())
            if key not in index:
                variable, filters = _expression_variable(value, ref, part)
                if variable.startswith(CREDITOR_PREFIX):
                    message.append(_Fixed(value))
                    continue
                uses_link = uses_link or variable == LINK_FIELD
                pname = _param_name(variable, filters, {p.name for p in params})
                index[key] = len(params)
                params.append(_Param(pname, value, variable))
            message.append(index[key])
        if message and isinstance(message[0], str):
            message[0] = message[0].lstrip()
        if message and isinstance(message[-1], str):
            message[-1] = message[-1].rstrip()
        if i:
            pieces.append("\n\n")
        pieces.extend(message)
    return _Plan(
        name=name,
        header=header,
        body_pieces=tuple(pieces),
        params=tuple(params),
        link_button=uses_link or offers_link,
        pix_part=pix_part,
    )


def _plan_for(template: Template) -> _Plan:
    require_channel(template, "whatsapp")
    return _plan(
        template.ref, meta_template_name(template), tuple(template.parts), "link" in template.meta.pagamentos
    )


def _body_text(plan: _Plan, fmt: ParameterFormat, ref: str, empresa: Mapping[str, Any]) -> str:
    out = []
    for piece in plan.body_pieces:
        if isinstance(piece, int):
            out.append(f"{{{{{plan.params[piece].name if fmt == 'NAMED' else piece + 1}}}}}")
        elif isinstance(piece, _Fixed):
            compiled = compile_parts(ref, (("empresa", "{{ " + piece.source + " }}"),))
            out.append(_clean_param(render_compiled(compiled, {"empresa": empresa})[0][1]))
        else:
            out.append(piece)
    return tidy_punctuation("".join(out)).strip()  # the creditor's "Ltda." before a period


def _clean_param(value: str) -> str:
    # Meta refuses parameters with new lines, tabs or more than 4 consecutive spaces.
    return re.sub(r"\s+", " ", value).strip()


def _param_compiled(template: Template, plan: _Plan) -> CompiledTemplate:
    return compile_parts(template.ref, tuple((p.name, "{{ " + p.source + " }}") for p in plan.params))


def link_base_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _footer(empresa: Mapping[str, Any]) -> str:
    tail = f" · CNPJ {empresa['cnpj']}"
    name = str(empresa["nome"]).strip()
    room = FOOTER_MAX - len(tail)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return name + tail


def whatsapp_export(
    template: Template,
    config: Config | None = None,
    parameter_format: ParameterFormat = "NAMED",
    link_base: str | None = None,
) -> WhatsAppExport:
    """Build and validate the Meta template JSON; raise ``ExportError`` when Meta would refuse it.

    ``link_base``: the fixed start of every payment link (the URL button's
    static part); by default the scheme and host of the sample link.
    """
    if parameter_format not in ("NAMED", "POSITIONAL"):
        raise ExportError(
            f"parameter_format inválido: {parameter_format} (use NAMED ou POSITIONAL)", ["formato_parametro"]
        )
    plan = _plan_for(template)
    empresa, preview = creditor(config)
    notes: list[str] = []
    if preview:
        notes.append(
            "Sem [empresa] no cobranca.toml: rodapé e exemplos usam o credor de exemplo (só para pré-visualizar)."
        )
    sample = sample_debtor()
    sample["empresa"] = empresa
    examples = [_clean_param(v) for _, v in render_compiled(_param_compiled(template, plan), sample)]

    components: list[dict[str, Any]] = []
    if plan.header:
        components.append({"type": "HEADER", "format": "TEXT", "text": plan.header})
    body: dict[str, Any] = {"type": "BODY", "text": _body_text(plan, parameter_format, template.ref, empresa)}
    if plan.params:
        if parameter_format == "NAMED":
            body["example"] = {
                "body_text_named_params": [
                    {"param_name": p.name, "example": v} for p, v in zip(plan.params, examples, strict=True)
                ]
            }
        else:
            body["example"] = {"body_text": [examples]}
    components.append(body)
    components.append({"type": "FOOTER", "text": _footer(empresa)})
    buttons: list[dict[str, Any]] = []
    if plan.link_button:
        sample_link = str(sample["pagamento"]["link"])
        base = link_base or link_base_of(sample_link)
        if link_base is None:
            notes.append(f"Botão de pagamento com base '{base}' (do link de exemplo); informe a base real.")
        example_link = sample_link if sample_link.startswith(base) else base + "exemplo"
        buttons.append(
            {"type": "URL", "text": PAY_BUTTON_TEXT, "url": base + "{{1}}", "example": [example_link]}
        )
    buttons.append({"type": "QUICK_REPLY", "text": HUMAN_BUTTON_TEXT})
    components.append({"type": "BUTTONS", "buttons": buttons})

    payload = {
        "name": plan.name,
        "language": LANGUAGE,
        "category": CATEGORY,
        "parameter_format": parameter_format,
        "components": components,
    }
    problems = whatsapp_problems(payload)
    if problems:
        raise ExportError(
            f"{template.ref} não pode ser exportado para o WhatsApp:\n"
            + "\n".join(f"- {rule}: {msg}{_hint(rule)}" for rule, msg in problems),
            [rule for rule, _ in problems],
        )

    if plan.pix_part is not None:
        delivery: PixDelivery = "mensagem_de_sessao"
        notes.append(
            "O código Pix copia-e-cola não vai no modelo (COPY_CODE é só de marketing, com 15 caracteres): "
            "envie-o como mensagem de sessão quando o cliente responder"
            + (", ou o cliente paga pelo botão do link." if plan.link_button else ".")
        )
    elif "pix" in template.meta.pagamentos and plan.link_button:
        delivery = "link_de_pagamento"
        notes.append("O Pix é pago pela página do link de pagamento (botão do modelo).")
    else:
        delivery = "nao_se_aplica"
    return WhatsAppExport(template=payload, pix_delivery=delivery, notes=notes)


def whatsapp_template(
    template: Template,
    config: Config | None = None,
    parameter_format: ParameterFormat = "NAMED",
    link_base: str | None = None,
) -> dict[str, Any]:
    """The Meta Cloud API template creation JSON (see ``whatsapp_export`` for the notes)."""
    return whatsapp_export(template, config, parameter_format, link_base).template


def _recipient(to: str, ref: str, row: int | None) -> str:
    where = location(ref, row=row)
    try:
        number = phonenumbers.parse(to, "BR")
    except phonenumbers.NumberParseException as exc:
        raise RenderError(f"{where}: telefone inválido: '{to}'.") from exc
    if not phonenumbers.is_valid_number(number):
        raise RenderError(f"{where}: telefone inválido: '{to}'.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def whatsapp_send_payload(
    template: Template,
    data: Mapping[str, Any],
    to: str,
    parameter_format: ParameterFormat = "NAMED",
    link_base: str | None = None,
    row: int | None = None,
) -> dict[str, Any]:
    """The Cloud API ``/messages`` payload sending this template to one debtor.

    Uses the same mapping as ``whatsapp_template``; pass the same
    ``parameter_format`` and ``link_base`` used when the template was created.
    """
    plan = _plan_for(template)
    values = [_clean_param(v) for _, v in render_compiled(_param_compiled(template, plan), data, row)]
    components: list[dict[str, Any]] = []
    if plan.params:
        if parameter_format == "NAMED":
            params = [
                {"type": "text", "parameter_name": p.name, "text": v}
                for p, v in zip(plan.params, values, strict=True)
            ]
        else:
            params = [{"type": "text", "text": v} for v in values]
        components.append({"type": "body", "parameters": params})
    if plan.link_button:
        link = (
            str(data.get("pagamento", {}).get("link", ""))
            if isinstance(data.get("pagamento"), Mapping)
            else ""
        )
        base = link_base or link_base_of(str(sample_debtor()["pagamento"]["link"]))
        where = location(template.ref, row=row)
        if not link:
            raise RenderError(f"{where}: falta nos dados o campo '{LINK_FIELD}' (botão de pagamento).")
        if not link.startswith(base) or len(link) == len(base):
            raise RenderError(
                f"{where}: o link de pagamento '{link}' não começa com a base do botão '{base}'."
            )
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": link[len(base) :]}],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": _recipient(to, template.ref, row),
        "type": "template",
        "template": {"name": plan.name, "language": {"code": LANGUAGE}, "components": components},
    }


def whatsapp_pix_followup(template: Template, data: Mapping[str, Any], row: int | None = None) -> str | None:
    """The Pix copia-e-cola session message for one debtor (None if the script has none)."""
    plan = _plan_for(template)
    if plan.pix_part is None:
        return None
    compiled = compile_parts(template.ref, (("pix", plan.pix_part),))
    return render_compiled(compiled, data, row)[0][1].strip()


@dataclass(frozen=True)
class WhatsAppDelivery:
    """What one debtor receives on WhatsApp for a template, in the order it arrives.

    ``header``/``body``/``footer``/``buttons`` make the ONE template message sent
    by the batch (the Cloud API payload). ``pix_followup`` is the Pix copia-e-cola
    session message, sent only after the customer replies (None when the script
    has no bare Pix message); ``pix_delivery`` says how the Pix reaches the debtor.
    """

    header: str | None
    body: str
    footer: str
    buttons: tuple[str, ...]
    pix_followup: str | None
    pix_delivery: PixDelivery
    notes: tuple[str, ...] = ()


def whatsapp_delivery(
    template: Template, data: Mapping[str, Any], config: Config | None = None, row: int | None = None
) -> WhatsAppDelivery:
    """The messages one debtor gets: the template message as exported, then the Pix follow-up.

    Raises ``ExportError`` when Meta would refuse the template: then nothing is sent
    at all, and a preview must say so instead of showing bubbles.
    """
    export = whatsapp_export(template, config)
    plan = _plan_for(template)
    empresa, _ = creditor(config)
    values = [_clean_param(v) for _, v in render_compiled(_param_compiled(template, plan), data, row)]
    body = []
    for piece in plan.body_pieces:
        if isinstance(piece, int):
            body.append(f"\x00{piece}\x00")  # Meta puts the value in as it is: no tidying around it
        elif isinstance(piece, _Fixed):
            compiled = compile_parts(template.ref, (("empresa", "{{ " + piece.source + " }}"),))
            body.append(_clean_param(render_compiled(compiled, {"empresa": empresa})[0][1]))
        else:
            body.append(piece)
    buttons = tuple(
        b["text"]
        for component in export.template["components"]
        if component["type"] == "BUTTONS"
        for b in component["buttons"]
    )
    footer = next(c["text"] for c in export.template["components"] if c["type"] == "FOOTER")
    return WhatsAppDelivery(
        header=plan.header,
        body=_PARAM_MARK.sub(lambda m: values[int(m.group(1))], tidy_punctuation("".join(body))).strip(),
        footer=footer,
        buttons=buttons,
        pix_followup=whatsapp_pix_followup(template, data, row),
        pix_delivery=export.pix_delivery,
        notes=tuple(export.notes),
    )
