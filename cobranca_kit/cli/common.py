"""Shared CLI plumbing: turning library errors into pt-BR messages and exit codes."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from cobranca_kit.errors import BatchError, CobrancaKitError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Print a ``CobrancaKitError`` as ``erro: ...`` on stderr and exit with its code;
    Ctrl+C is one pt-BR line and exit 130, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CobrancaKitError as exc:
            print(f"erro: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            # A stopped run is never published half-way; the next run reconciles what is left.
            print(
                "interrompido (Ctrl+C). Um lote interrompido não é publicado pela metade: "
                "a próxima execução arruma o que ficou.",
                file=sys.stderr,
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def parse_date(value: str | None) -> dt.date | None:
    """A ``--data AAAA-MM-DD`` option (None when not given); a bad one is a pt-BR error."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BatchError(f"data inválida: '{value}' (use AAAA-MM-DD)") from exc
