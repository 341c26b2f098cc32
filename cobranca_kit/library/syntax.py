"""Template syntax in the user's words: what ``Verificar`` says before anything renders.

Jinja reports mistakes in English and only when a template is compiled or rendered
("No filter named 'moedaa'", "unexpected '}'"). A team lead editing a message needs
to hear, in pt-BR and at once, which part and line is wrong and what to write
instead: that is ``check_template_syntax``. The renderer keeps its own checks; this
runs the same parser and filter table first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from cobranca_kit.errors import RenderError
from cobranca_kit.formatting import FILTERS
from cobranca_kit.library.render import TEXT_ENV

# Jinja's message start -> what to do, in pt-BR.
_SYNTAX_HINTS: list[tuple[str, str]] = [
    ("unexpected '}'", "há uma chave '}' a mais ou faltando: cada '{{' fecha com '}}'"),
    ("unexpected end of template", "um bloco foi aberto e não fechado: '{% if %}' pede '{% endif %}'"),
    ("unexpected char", "há um caractere inválido dentro de '{{ }}': use só variáveis e filtros"),
    ("expected token 'end of print statement'", "falta fechar '{{' com '}}' ou sobra texto dentro dele"),
    ("unexpected 'end of print statement'", "'{{ }}' vazio ou terminado em '|': escreva a variável"),
    ("encountered unknown tag", "bloco '{% %}' desconhecido: use só if/else/endif e for/endfor"),
]


def _syntax_hint(message: str) -> str:
    lowered = message.lower()
    for start, hint in _SYNTAX_HINTS:
        if start in lowered:
            return hint
    return "confira se cada '{{' fecha com '}}' e cada '{%' com '%}'"


def _where(part: str, line: int | None) -> str:
    return f"parte '{part}'" + (f", linha {line}" if line else "")


def _unknown_filter(name: str, part: str, line: int | None) -> str:
    valid = sorted(TEXT_ENV.filters)
    close = difflib.get_close_matches(name, valid, n=1)
    suggestion = f" Você quis dizer '| {close[0]}'?" if close else ""
    ours = ", ".join(sorted(FILTERS))
    return f"{_where(part, line)}: filtro desconhecido '| {name}'.{suggestion} Filtros pt-BR: {ours}."


def template_syntax_problems(parts: Iterable[tuple[str, str]]) -> list[str]:
    """Every syntax mistake and unknown filter or test in ``parts``, as pt-BR sentences."""
    problems: list[str] = []
    for part, source in parts:
        if "{" not in source:
            continue
        try:
            tree = TEXT_ENV.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(
                f"{_where(part, exc.lineno)}: erro de sintaxe: {_syntax_hint(exc.message or '')}."
            )
            continue
        for node in tree.find_all(nodes.Filter):
            if node.name not in TEXT_ENV.filters:
                problems.append(_unknown_filter(node.name, part, node.lineno))
        for node in tree.find_all(nodes.Test):
            if node.name not in TEXT_ENV.tests:
                problems.append(f"{_where(part, node.lineno)}: teste desconhecido 'is {node.name}'.")
    return problems


def check_template_syntax(parts: Iterable[tuple[str, str]]) -> None:
    """Raise ``RenderError`` (pt-BR, naming part and line) when ``parts`` cannot compile."""
    problems = template_syntax_problems(parts)
    if problems:
        raise RenderError("Texto com erro de modelo: " + " ".join(problems))
