"""pt-BR for the messages the command-line framework prints itself ("Missing
option", "Invalid value for", "Usage:", "Options", "Show this message and exit.").

typer (0.2x) carries its own copy of click whose messages are plain English
f-strings, with no gettext catalogue to plug in. :func:`install` therefore
translates the framework's finished text at the three places it leaves the
framework: the help page (``Command.get_help``), the usage line
(``Command.get_usage``) and the error display (``ClickException.show``). The
project's own messages are already pt-BR and pass through untouched.

A framework message missing from :data:`REPLACEMENTS` stays in English (a new
typer version may add some); ``tests/test_cli_ptbr.py`` runs the usual mistakes
through the real CLI.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Callable
from typing import IO, Any

#: (English pattern, pt-BR replacement), applied in order to the framework's text.
REPLACEMENTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.MULTILINE), r)
    for p, r in [
        (r"^Usage: ", "Uso: "),
        (r"\[OPTIONS\]", "[OPÇÕES]"),
        (r"COMMAND \[ARGS\]\.\.\.", "COMANDO [ARGS]..."),
        (r"^Options:$", "Opções:"),
        (r"^Arguments:$", "Argumentos:"),
        (r"^Commands:$", "Comandos:"),
        (r"Show this message and exit\.", "Mostra esta ajuda e sai."),
        (r"\[default:(\s)", r"[padrão:\1"),
        (r"\[env var:(\s)", r"[variável de ambiente:\1"),
        (r"\[required\]", "[obrigatório]"),
        (r"\(dynamic\)", "(dinâmico)"),
        (r"Try '(.+?)' for help\.", r"Veja '\1' para ajuda."),
        (r"^Error: ", "Erro: "),
        (r"Missing option", "Falta a opção"),
        (r"Missing argument", "Falta o argumento"),
        (r"Missing parameter", "Falta o parâmetro"),
        (r"Invalid value for (.+?): ", r"Valor inválido para \1: "),
        (r"Invalid value: ", "Valor inválido: "),
        (r"No such option: ", "Opção inexistente: "),
        (r"\(Possible options: ", "(Opções possíveis: "),
        (r"No such command (.+?)\.", r"Comando inexistente: \1."),
        (r"Did you mean (.+?)\?", r"Você quis dizer \1?"),
        (r"Got unexpected extra argument\(s\) \((.*?)\)", r"Argumentos a mais, não esperados (\1)"),
        (r"Option '(.+?)' requires an argument\.", r"A opção '\1' precisa de um valor."),
        (r"Option '(.+?)' requires (\d+) arguments\.", r"A opção '\1' precisa de \2 valores."),
        (r"Option '(.+?)' does not take a value\.", r"A opção '\1' não recebe valor."),
        (r"Value (.+?) is not a valid (\w+)\.", r"O valor \1 não é válido (\2)."),
        (r"(\S+) is not one of (.+?)\.$", r"\1 não é um destes: \2."),
        (r"\b(File|Directory|Path) ('.+?') does not exist\.", r"\2 não existe."),
        (r"\b(File|Directory|Path) ('.+?') is a file\.", r"\2 é um arquivo."),
        (r"\b(File|Directory|Path) ('.+?') is a directory\.", r"\2 é uma pasta."),
        (r"\b(File|Directory|Path) ('.+?') is not readable\.", r"\2 não pode ser lido."),
        (r"\b(File|Directory|Path) ('.+?') is not writable\.", r"\2 não pode ser gravado."),
        (r"Could not open file ('.+?'): ", r"Não foi possível abrir o arquivo \1: "),
        # value checks the framework delegates to pydantic
        (
            r"Input should be a valid integer, unable to parse string as an integer",
            "informe um número inteiro",
        ),
        (r"Input should be a valid number, unable to parse string as a number", "informe um número"),
        (r"Input should be a valid boolean, unable to interpret input", "informe sim ou não (true/false)"),
        (r"Input should be a valid date[^\n]*", "informe uma data AAAA-MM-DD"),
        (r"Input should be a valid integer[^\n]*", "informe um número inteiro"),
        (r"Input should be greater than or equal to (\S+)", r"deve ser no mínimo \1"),
        (r"Input should be less than or equal to (\S+)", r"deve ser no máximo \1"),
        (r"Input should be greater than (\S+)", r"deve ser maior que \1"),
        (r"Input should be less than (\S+)", r"deve ser menor que \1"),
        (r"^Aborted!$", "Interrompido."),
    ]
]

#: typer's rich panel titles (used only when rich formats the help; the CLI uses plain help).
TYPER_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Argumentos",
    "OPTIONS_PANEL_TITLE": "Opções",
    "COMMANDS_PANEL_TITLE": "Comandos",
    "ERRORS_PANEL_TITLE": "Erro",
    "ABORTED_TEXT": "Interrompido.",
    "RICH_HELP": "Veja [blue]'{command_path} {help_option}'[/] para ajuda.",
    "DEFAULT_STRING": "[padrão: {}]",
    "ENVVAR_STRING": "[variável de ambiente: {}]",
    "REQUIRED_LONG_STRING": "[obrigatório]",
    "DEPRECATED_STRING": "(obsoleto) ",
}

_MARK = "_cobranca_ptbr"


def translate(text: str) -> str:
    """The framework's English text in pt-BR (text it does not know passes unchanged)."""
    for pattern, replacement in REPLACEMENTS:
        text = pattern.sub(replacement, text)
    return text


def _translated_text(method: Callable[..., str]) -> Callable[..., str]:
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return translate(method(*args, **kwargs))

    setattr(wrapper, _MARK, True)
    return wrapper


def _translated_show(show: Callable[..., None], echo: Callable[..., None]) -> Callable[..., None]:
    def wrapper(self: Any, file: IO[Any] | None = None) -> None:
        buffer = io.StringIO()
        show(self, file=buffer)
        target = file if file is not None else importlib.import_module("sys").stderr
        echo(translate(buffer.getvalue()), file=target, nl=False, color=getattr(self, "show_color", None))

    setattr(wrapper, _MARK, True)
    return wrapper


def _patch(owner: type, name: str, make: Callable[[Any], Any]) -> None:
    method = owner.__dict__.get(name)
    if method is not None and not getattr(method, _MARK, False):
        setattr(owner, name, make(method))


def install() -> None:
    """Make the command-line framework print pt-BR (idempotent; this process only)."""
    try:
        click_core = importlib.import_module("typer._click.core")
        click_exceptions = importlib.import_module("typer._click.exceptions")
        echo = importlib.import_module("typer._click.utils").echo
    except ImportError:  # a typer without its own click copy: nothing to patch here
        return
    for name in ("get_help", "get_usage"):
        _patch(click_core.Command, name, _translated_text)
    for cls in vars(click_exceptions).values():
        if isinstance(cls, type) and issubclass(cls, click_exceptions.ClickException):
            _patch(cls, "show", lambda show: _translated_show(show, echo))
    typer_core = importlib.import_module("typer.core")
    if hasattr(typer_core, "_"):
        typer_core._ = translate  # type: ignore[attr-defined]  # "Aborted!", "No such command"
    try:
        rich_utils = importlib.import_module("typer.rich_utils")
    except ImportError:  # rich not installed
        return
    for attribute, text in TYPER_RICH_TEXTS.items():
        if hasattr(rich_utils, attribute):
            setattr(rich_utils, attribute, text)


__all__ = ["REPLACEMENTS", "install", "translate"]
