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
* Bounded: a rendered part is at most ``MAX_PART_CHARS`` characters, a render takes
  at most ``MAX_LOOP_STEPS`` loop iterations (all loops together), powers, string
  repetition, filters and the few allowed method calls are checked before they
  allocate, and ``{% set %}``, macros and recursive loops are refused when the
  template is compiled. Only plain values (text, numbers, dates) may be printed,
  never a method or an object. None of this costs a template without loops more
  than a type check per printed value.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context
from markupsafe import Markup, escape

from cobranca_kit.errors import CobrancaKitError, RenderError
from cobranca_kit.fields import check_placeholders
from cobranca_kit.formatting import FILTERS
from cobranca_kit.library.models import Template
from cobranca_kit.script import Script, script_from_parts

LAYOUTS_DIR = Path(__file__).parent / "layouts"
EMAIL_LAYOUT = "email.html.j2"


#: Longest text one part of a message may render to (an e-mail body is a few thousand).
MAX_PART_CHARS = 20_000
#: Loop iterations allowed in one render of one part, all loops together.
MAX_LOOP_STEPS = 10_000
#: Largest integer a ``**`` may produce, in bits.
MAX_POWER_BITS = 256


class _EmptyValue(Exception):
    """A ``{{ }}`` expression produced None/NaN: a field present but empty."""


class _Refused(Exception):
    """A render went over a bound or printed something that is not a value (pt-BR reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_VALUE_TYPES = (str, int, float, Decimal, dt.date, dt.time)


def _kind(value: Any) -> str:
    if callable(value):
        return "um método ou função"
    if isinstance(value, Mapping):
        return "um grupo de campos"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "uma lista"
    return f"um objeto ({type(value).__name__})"


def _finalize(value: Any) -> Any:
    if type(value) is str:
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise _EmptyValue
    if isinstance(value, (*_VALUE_TYPES, jinja2.Undefined)):
        return value  # an Undefined raises its own error when printed
    raise _Refused(
        f"uma expressão do modelo produz {_kind(value)}, não um valor. Só valores (textos, números, "
        "datas) podem ir para a mensagem: use uma variável do esquema, como {{ cliente.nome }}, "
        "sem chamar métodos (não {{ cliente.nome.split }})."
    )


def _too_long(size: int) -> _Refused:
    return _Refused(
        f"o modelo geraria um texto com mais de {MAX_PART_CHARS:,} caracteres ({size:,}). "
        "Encurte o modelo; repetições e laços não podem multiplicar o texto.".replace(",", ".")
    )


def _check_size(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_PART_CHARS:
        raise _too_long(len(value))
    return value


def _check_numbers(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, (int, float)) and not isinstance(arg, bool) and abs(arg) > MAX_PART_CHARS:
            raise _Refused(
                f"o modelo usa o número {arg} como tamanho ou repetição; o máximo é {MAX_PART_CHARS}."
            )


def _check_replace(text: Any, old: Any, new: Any) -> None:
    text, old, new = str(text), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    size = len(text) + hits * max(len(new) - len(old), 0)
    if size > MAX_PART_CHARS:
        raise _too_long(size)


def _guarded_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin Jinja filter whose size arguments and result are bounded."""
    skip = 2 if hasattr(func, "jinja_pass_arg") else 1  # (context,) value: not size arguments

    @functools.wraps(func)  # keeps ``jinja_pass_arg``
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args[skip:])
        _check_numbers(kwargs.values())
        if func.__name__ == "do_replace" and len(args) >= skip + 2:
            _check_replace(*args[skip - 1 : skip + 2])
        return _check_size(func(*args, **kwargs))

    return wrapper


@pass_eval_context
def _counted(eval_ctx: nodes.EvalContext, iterable: Iterable[Any]) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this (see ``_bound_loops``): one budget per render."""
    for item in iterable:
        steps = eval_ctx.__dict__.get("passos", 0) + 1
        if steps > MAX_LOOP_STEPS:
            raise _Refused(
                f"os laços do modelo passaram de {MAX_LOOP_STEPS:,} repetições nesta mensagem. "
                "Evite laços (principalmente um dentro do outro) sobre campos do devedor.".replace(",", ".")
            )
        eval_ctx.passos = steps  # type: ignore[attr-defined]
        yield item


#: Jinja's own filters a template may use (plus the pt-BR ones of ``cobranca_kit.formatting``).
SAFE_BUILTIN_FILTERS = (
    "upper", "lower", "title", "capitalize", "trim", "default", "d", "replace", "round", "int", "float",
    "string", "length", "count", "first", "last", "truncate", "wordcount", "abs", "e", "escape", "striptags",
)  # fmt: skip
_LOOP_FILTER = "_laco_limitado"
# Methods a template may call on a value; everything else (``format``, ``join``, ``ljust``,
# ``zfill``...) can reach Python internals or build huge texts.
_SAFE_METHODS = frozenset(
    {
        "upper", "lower", "title", "capitalize", "casefold", "swapcase", "strip", "lstrip", "rstrip",
        "split", "rsplit", "replace", "startswith", "endswith", "count", "find", "isdigit", "get",
    }
)  # fmt: skip
_REFUSED_NODES: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Assign, "{% set %}"),
    (nodes.AssignBlock, "{% set %}"),
    (nodes.Macro, "{% macro %}"),
    (nodes.CallBlock, "{% call %}"),
    (nodes.Extends, "{% extends %}"),
    (nodes.Include, "{% include %}"),
    (nodes.Import, "{% import %}"),
    (nodes.FromImport, "{% from ... import %}"),
    (nodes.ScopedEvalContextModifier, "{% autoescape %}"),
    (nodes.EvalContextModifier, "{% autoescape %}"),
)


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox plus bounds on operators and method calls."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and right * abs(left).bit_length() > MAX_POWER_BITS:
                raise _Refused(f"a potência {left} ** {right} é grande demais para um modelo de mensagem.")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    _check_size(seq)
                    if len(seq) * times > MAX_PART_CHARS:
                        raise _too_long(len(seq) * times)
        elif operator == "%" and isinstance(left, str):
            raise _Refused("formatação de texto com '%' não é permitida no modelo: use os filtros pt-BR.")
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        if not isinstance(owner, LoopContext):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            if name not in _SAFE_METHODS or not isinstance(owner, (*_VALUE_TYPES, Mapping)):
                raise SecurityError(
                    f"o modelo chama '{name}', e chamadas de método podem expor recursos internos do "
                    "Python ou gerar textos enormes"
                )
            _check_numbers(args)
            if name == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1])
        return _check_size(super().call(__context, __obj, *args, **kwargs))


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


def _make_environment(*, autoescape: bool, loader: jinja2.BaseLoader | None = None) -> _BoundedSandbox:
    env = _BoundedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        finalize=_finalize,
        keep_trailing_newline=False,
        loader=loader,
    )
    # cycler, joiner, lipsum, namespace, range, dict: nothing a message needs, and
    # each is a known stepping stone towards Python internals.
    env.globals.clear()
    # Only the builtin filters a message needs, each bounded: ``join``, ``indent``, ``center``,
    # ``format``, ``wordwrap``... can build huge texts before anything could check them.
    builtin = env.filters
    env.filters = {name: _guarded_filter(builtin[name]) for name in SAFE_BUILTIN_FILTERS}
    env.filters[_LOOP_FILTER] = _counted
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
    tree = _bound_loops(TEXT_ENV.parse(source))
    tmpl = TEXT_ENV.from_string(tree)
    # Without a loop a part yields a fixed number of chunks, each already bounded (operators,
    # filters, methods) or a data value: it can be joined at C speed and measured once.
    tmpl.cobranca_has_loops = tree.find(nodes.For) is not None  # type: ignore[attr-defined]
    return tmpl, fields


def _bound_loops(tree: nodes.Template) -> nodes.Template:
    """Refuse the constructs a message never needs and route every loop through the step budget."""
    for kind, label in _REFUSED_NODES:
        found = tree.find(kind)
        if found is not None:
            raise RenderError(
                f"linha {found.lineno}: '{label}' não é permitido em modelos de mensagem; use só "
                "variáveis do esquema, filtros, {% if %} e {% for %}."
            )
    for used in tree.find_all((nodes.Filter, nodes.FilterBlock)):
        name = used.name if isinstance(used, nodes.Filter) else used.filter.name
        if name not in TEXT_ENV.filters:
            allowed = ", ".join(sorted(n for n in TEXT_ENV.filters if not n.startswith("_")))
            raise RenderError(
                f"linha {used.lineno}: o filtro '{name}' não existe ou não é permitido em modelos de "
                "mensagem (outros filtros podem expor recursos internos do Python ou gerar textos enormes). "
                f"Filtros disponíveis: {allowed}."
            )
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise RenderError(
                f"linha {loop.lineno}: laços recursivos não são permitidos em modelos de mensagem."
            )
        loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
    return tree


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


def tidy_punctuation(text: str) -> str:
    """One period where a value ending in one meets the template's own ("... Ltda.." -> "Ltda.");
    an ellipsis stays."""
    return _DOUBLE_PERIOD.sub(".", text) if ".." in text else text


def _render_bounded(tmpl: jinja2.Template, data: Mapping[str, Any]) -> str:
    """``tmpl.render(data)``, stopping as soon as the output passes ``MAX_PART_CHARS``."""
    if not getattr(tmpl, "cobranca_has_loops", True):
        out = "".join(tmpl.root_render_func(tmpl.new_context(dict(data))))
        if len(out) > MAX_PART_CHARS:
            raise _too_long(len(out))
        return out
    chunks = []
    size = 0
    for chunk in tmpl.root_render_func(tmpl.new_context(dict(data))):
        size += len(chunk)
        if size > MAX_PART_CHARS:
            raise _too_long(size)
        chunks.append(chunk)
    return "".join(chunks)


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
            out.append((name, tidy_punctuation(_render_bounded(tmpl, data))))
        except _Refused as exc:
            raise RenderError(f"{location(compiled.ref, name, row)}: {exc.reason}") from exc
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
        except Exception as exc:  # a bad row is set aside with its reason, never aborts a batch
            raise RenderError(
                f"{location(compiled.ref, name, row)}: erro inesperado ao montar a mensagem: {exc!r}"
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
