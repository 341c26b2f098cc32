"""Callback safety net for the widgets.

An exception raised inside an ipywidgets callback vanishes silently in
JupyterLab (it only reaches the kernel log). Every callback of the workbench is
wrapped so a failure becomes a short pt-BR message in a visible ``HTML`` widget,
saying what went wrong and what to do next, and the UI stays usable.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as widgets
from pydantic import ValidationError

from cobranca_kit.errors import (
    CatalogError,
    CobrancaKitError,
    ConfigError,
    DraftError,
    PlaceholderError,
    RenderError,
)

log = logging.getLogger("cobranca_kit.workbench")

F = TypeVar("F", bound=Callable[..., Any])

# What to do next, by kind of failure (the error message itself says what is wrong).
# Library errors are absent on purpose: each already says what to do (save a new
# version, name the approver...), and a generic hint would mislead.
_NEXT_STEP: list[tuple[type[BaseException], str]] = [
    (PlaceholderError, "Corrija a variável no texto (use apenas as do esquema) e tente de novo."),
    (ConfigError, "Corrija o cobranca.toml e recarregue a bancada (reinicie o kernel)."),
    (CatalogError, "Escolha uma opção da lista."),
    (
        DraftError,
        "Confira se o servidor do modelo está no ar e a chave configurada, "
        "ou use o modo offline (COBRANCA_BACKEND=offline), e tente de novo.",
    ),
    (RenderError, "Confira as variáveis e filtros do texto e tente de novo."),
]


def _validation_message(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        msg = str(err.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        lines.append(f"{where}: {msg}" if where else msg)
    return "Dados inválidos: " + "; ".join(lines)


def _placeholder_in(exc: ValidationError) -> bool:
    return any(
        "Variável desconhecida" in str(e.get("msg", "")) or "sintaxe" in str(e.get("msg", ""))
        for e in exc.errors()
    )


def friendly_message(exc: BaseException) -> str:
    """A pt-BR message for the user: what went wrong and what to do next (plain text)."""
    if isinstance(exc, ValidationError):
        nxt = (
            "Corrija a variável no texto (use apenas as do esquema) e tente de novo."
            if _placeholder_in(exc)
            else "Corrija o que foi indicado e tente de novo."
        )
        return f"{_validation_message(exc)} {nxt}"
    if isinstance(exc, CobrancaKitError):
        for kind, nxt in _NEXT_STEP:
            if isinstance(exc, kind):
                return f"{exc} {nxt}"
        return str(exc)
    name = type(exc).__name__
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return (
            "O servidor do modelo demorou demais para responder. "
            "Tente de novo em instantes ou use o modo offline."
        )
    if isinstance(exc, ConnectionError) or "Connection" in name:
        return (
            "Não foi possível conectar ao servidor do modelo. "
            "Confira se ele está no ar ou use o modo offline."
        )
    if isinstance(exc, PermissionError):
        return f"Sem permissão para gravar o arquivo: {exc.filename or exc}. Confira as permissões da pasta."
    if isinstance(exc, OSError):
        where = f" '{exc.filename}'" if exc.filename else ""
        return (
            f"Erro ao acessar o arquivo ou a pasta{where}: {exc.strerror or exc}. Confira se a pasta "
            "existe e é mesmo uma pasta, as permissões e o espaço em disco, e tente de novo."
        )
    return (
        f"Algo deu errado ({type(exc).__name__}: {exc}). A bancada continua funcionando: "
        "tente de novo e, se o erro persistir, avise o suporte com esta mensagem."
    )


def error_html(message: str) -> str:
    return f'<div class="cobranca-erro">⚠ {html.escape(message)}</div>'


def info_html(message: str) -> str:
    return f'<div class="cobranca-info">{html.escape(message)}</div>'


def safe_callback(status: widgets.HTML) -> Callable[[F], F]:
    """Decorator: run the callback, showing any exception as a friendly message in ``status``.

    The full traceback goes to the ``cobranca_kit.workbench`` logger for diagnosis;
    the user only sees the pt-BR message. The callback returns ``None`` on failure.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                if not isinstance(exc, CobrancaKitError | ValidationError):
                    log.exception("falha inesperada na bancada")
                status.value = error_html(friendly_message(exc))
                return None

        return wrapper  # type: ignore[return-value]

    return decorate
