"""Rendering templates for one debtor, safely and fast.

* Sandboxed (``ImmutableSandboxedEnvironment``): a template cannot reach Python
  internals (``''.__class__``, ``__globals__``, ``str.format`` tricks); the few
  Jinja globals (``cycler``, ``lipsum``, ``range``...) are removed as well.
* ``StrictUndefined`` plus a field check before rendering: a missing field is an
  error naming the template, the field and the batch row, never an empty string.
* Debtor data is data: values are inserted as text and never parsed as Jinja, so
  a name like ``{{ 7*7 }}`` comes out literally.
* Templates are compiled once per (id, version, parts) and cached, because a
  batch renders the same template for every row of a portfolio.
* Only the HTML of e-mails is autoescaped (``layouts/email.html.j2``); text parts
  are plain text for SMS, WhatsApp and the call script.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from cobranca_kit.errors import CobrancaKitError, RenderError
from cobranca_kit.fields import check_placeholders
from cobranca_kit.formatting import FILTERS
from cobranca_kit.library.models import Template
from cobranca_kit.script import Script, script_from_parts

LAYOUTS_DIR = Path(__file__).parent / "layouts"
EMAIL_LAYOUT = "email.html.j2"


class _EmptyValue(Exception):
    """A ``{{ }}`` expression produced None/NaN: a field present but empty."""


def _finalize(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise _EmptyValue
    return value


def _memoized(func: Callable[[Any], str]) -> Callable[[Any], str]:
    """The pt-BR filters are pure and Babel is slow; a portfolio repeats many values
    (due dates, instalment amounts), so each distinct value is formatted once."""
    cached = lru_cache(maxsize=16384)(func)

    @functools.wraps(func)
    def wrapper(value: Any) -> str:
        try:
            return cached(value)
        except TypeError:  # unhashable value: format it directly
            return func(value)

    return wrapper


def _make_environment(
    *, autoescape: bool, loader: jinja2.BaseLoader | None = None
) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        finalize=_finalize,
        keep_trailing_newline=False,
        loader=loader,
    )
    # cycler, joiner, lipsum, namespace, range, dict: nothing a message needs, and
    # each is a known stepping stone towards Python internals.
    env.globals.clear()
    env.filters.update({name: _memoized(func) for name, func in FILTERS.items()})
    return env


_URL = re.compile(r"https?://[^\s<>\"'&]+(?:&amp;[^\s<>\"'&]+)*[^\s<>\"'&.,;:!?)]")


def _links(value: Any) -> Markup:
    """Escape a line of text and turn its http(s) links into anchors.

    Jinja's ``urlize`` does the same but costs ~0.2 ms a line, too slow for a batch.
    """
    escaped = str(escape(value))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


TEXT_ENV = _make_environment(autoescape=False)
HTML_ENV = _make_environment(autoescape=True, loader=jinja2.FileSystemLoader(LAYOUTS_DIR))
HTML_ENV.filters["links"] = _links


@dataclass(frozen=True, slots=True)
class RenderedScript:
    """A template rendered for one debtor: plain-text parts (and the e-mail HTML)."""

    template_id: str
    version: int
    channel: str
    parts: list[tuple[str, str]]
    html: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.template_id}@v{self.version}"

    def part(self, name: str) -> str:
        return dict(self.parts)[name]

    def text(self) -> str:
        return "\n\n".join(text for _, text in self.parts)

    def script(self) -> Script:
        """The rendered text as a script object (what the compliance checker reads)."""
        return script_from_parts(self.channel, self.parts)


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    ref: str
    parts: tuple[tuple[str, jinja2.Template], ...]
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # ("divida.valor", ("divida", "valor"))


def location(ref: str, part: str | None = None, row: int | None = None) -> str:
    """``Modelo id@v2, parte 'corpo', linha 7``: where a failure happened."""
    place = f"Modelo {ref}"
    if part:
        place += f", parte '{part}'"
    if row is not None:
        place += f", linha {row}"
    return place


@lru_cache(maxsize=4096)
def compile_source(source: str) -> tuple[jinja2.Template, frozenset[str]]:
    """One Jinja text checked against the schema and compiled (cached by text)."""
    fields = frozenset(check_placeholders(source))
    return TEXT_ENV.from_string(source), fields


@lru_cache(maxsize=512)
def compile_parts(ref: str, parts: tuple[tuple[str, str], ...]) -> CompiledTemplate:
    """Compile named Jinja parts (cached); ``ref`` only names the template in errors."""
    compiled = []
    fields: set[str] = set()
    for name, source in parts:
        try:
            tmpl, used = compile_source(source)
            fields |= used
            compiled.append((name, tmpl))
        except CobrancaKitError as exc:
            raise RenderError(f"{location(ref, name, None)}: {exc}") from exc
        except TemplateError as exc:
            raise RenderError(f"{location(ref, name, None)}: erro de sintaxe no modelo: {exc}") from exc
    return CompiledTemplate(
        ref=ref,
        parts=tuple(compiled),
        fields=tuple((f, tuple(f.split("."))) for f in sorted(fields)),
    )


def compile_template(template: Template) -> CompiledTemplate:
    """Validate and compile a template's parts once (cached by id, version and text)."""
    return compile_parts(template.ref, tuple(template.parts))


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = data
    for key in path:
        # ``type is dict`` first: an ABC ``isinstance`` costs more than the lookup itself
        if not (type(node) is dict or isinstance(node, Mapping)) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _check_fields(compiled: CompiledTemplate, data: Mapping[str, Any], row: int | None) -> None:
    missing = [name for name, path in compiled.fields if not _lookup(data, path)[0]]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        plural = "os campos" if len(missing) > 1 else "o campo"
        raise RenderError(f"{location(compiled.ref, None, row)}: faltam nos dados {plural} {names}.")


def _empty_fields(compiled: CompiledTemplate, data: Mapping[str, Any]) -> list[str]:
    out = []
    for name, path in compiled.fields:
        found, value = _lookup(data, path)
        if found and (value is None or (isinstance(value, float) and math.isnan(value))):
            out.append(name)
    return out


# A value that ends a sentence with its own period ("Conecta Fibra Ltda.") followed
# by the template's period would print "Ltda.."; an ellipsis ("...") is left alone.
_DOUBLE_PERIOD = re.compile(r"(?<=\w)\.\.(?!\.)")


def _tidy(text: str) -> str:
    return _DOUBLE_PERIOD.sub(".", text) if ".." in text else text


def render_compiled(
    compiled: CompiledTemplate,
    data: Mapping[str, Any],
    row: int | None = None,
) -> list[tuple[str, str]]:
    """Render compiled parts; every failure becomes a pt-BR ``RenderError``."""
    _check_fields(compiled, data, row)
    out = []
    for name, tmpl in compiled.parts:
        try:
            out.append((name, _tidy(tmpl.render(data))))
        except SecurityError as exc:
            raise RenderError(
                f"{location(compiled.ref, name, row)}: o modelo tentou acessar recursos internos do Python "
                f"({exc}). Isso não é permitido: use só as variáveis do esquema e os filtros pt-BR."
            ) from exc
        except _EmptyValue as exc:
            empty = ", ".join(f"'{f}'" for f in _empty_fields(compiled, data)) or "(desconhecido)"
            raise RenderError(
                f"{location(compiled.ref, name, row)}: campo vazio nos dados: {empty}."
            ) from exc
        except UndefinedError as exc:
            raise RenderError(
                f"{location(compiled.ref, name, row)}: campo ausente nos dados ({exc})."
            ) from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise RenderError(
                f"{location(compiled.ref, name, row)}: valor inválido nos dados: {exc}"
            ) from exc
        except TemplateError as exc:
            raise RenderError(
                f"{location(compiled.ref, name, row)}: erro ao montar a mensagem: {exc}"
            ) from exc
    return out


_PARAGRAPH_SPLIT = re.compile(r"\n[ \t]*\n+")


def _paragraphs(text: str) -> list[list[str]]:
    return [p.split("\n") for p in _PARAGRAPH_SPLIT.split(text.strip()) if p.strip()]


def email_html(
    parts: list[tuple[str, str]],
    empresa: Mapping[str, Any] | None,
    *,
    preview: bool = False,
) -> str:
    """The HTML alternative of an e-mail from its rendered text parts.

    The layout is autoescaped, so both the template's own text and the debtor
    data are escaped; the creditor identification (CDC art. 42-A) closes it.
    """
    d = dict(parts)
    return HTML_ENV.get_template(EMAIL_LAYOUT).render(
        assunto=d.get("assunto", ""),
        corpo=_paragraphs(d.get("corpo", "")),
        assinatura=d.get("assinatura", "").strip().split("\n"),
        empresa=dict(empresa) if empresa else None,
        previa=preview,
    )


def render(template: Template, data: Mapping[str, Any], row: int | None = None) -> RenderedScript:
    """Render ``template`` for one debtor (nested ``data`` as in ``sample_debtor()``).

    ``row`` (batch use) is only used to say where a failure happened.
    """
    compiled = compile_template(template)
    parts = render_compiled(compiled, data, row)
    html = None
    if template.channel == "email":
        empresa = data.get("empresa")
        html = email_html(parts, empresa if isinstance(empresa, Mapping) else None)
    return RenderedScript(template.id, template.version, template.channel, parts, html)
