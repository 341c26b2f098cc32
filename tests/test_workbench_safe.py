"""Callback failures become friendly pt-BR messages in the UI, never tracebacks."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from pydantic import ValidationError

from cobranca_kit.errors import DraftError, LibraryError, PlaceholderError
from cobranca_kit.script import script_from_parts
from cobranca_kit.workbench.safe import friendly_message, safe_callback


def _bad_placeholder_error() -> ValidationError:
    with pytest.raises(ValidationError) as info:
        script_from_parts("sms", {"texto": "Olá {{ cliente.primeiro_nme }}, sua fatura venceu."})
    return info.value


def test_bad_placeholder_message_suggests_the_close_match() -> None:
    message = friendly_message(_bad_placeholder_error())
    assert "cliente.primeiro_nme" in message
    assert "cliente.primeiro_nome" in message  # the close-match suggestion survives
    assert "Corrija a variável" in message
    assert "Value error" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DraftError("O servidor não respondeu."), "modo offline"),
        (LibraryError("Modelo 'x' não existe na biblioteca."), "não existe na biblioteca"),
        (PlaceholderError("Variável desconhecida: 'x'."), "Corrija a variável"),
        (TimeoutError("timed out"), "demorou demais"),
        (ConnectionRefusedError("refused"), "Não foi possível conectar"),
        (PermissionError(13, "Permission denied", "/x/v1.yaml"), "Sem permissão"),
        (KeyError("surpresa"), "Algo deu errado"),
    ],
)
def test_each_failure_says_what_to_do_next(exc: Exception, expected: str) -> None:
    message = friendly_message(exc)
    assert expected in message
    if isinstance(exc, DraftError | LibraryError | PlaceholderError):
        assert str(exc) in message  # the original pt-BR explanation is kept


def test_sdk_timeout_classes_are_recognised_by_name() -> None:
    class ReadTimeout(Exception):  # the shape of httpx/openai timeouts
        pass

    assert "demorou demais" in friendly_message(ReadTimeout("read timed out"))


def test_safe_callback_shows_the_error_and_keeps_working() -> None:
    status = widgets.HTML()
    calls: list[str] = []

    @safe_callback(status)
    def callback(fail: bool) -> str:
        calls.append("x")
        if fail:
            raise DraftError("Servidor fora do ar.")
        status.value = "ok"
        return "feito"

    assert callback(True) is None
    assert "cobranca-erro" in status.value
    assert "Servidor fora do ar." in status.value
    assert callback(False) == "feito"
    assert status.value == "ok"
    assert len(calls) == 2


def test_safe_callback_escapes_html_in_messages() -> None:
    status = widgets.HTML()

    @safe_callback(status)
    def callback() -> None:
        raise LibraryError("<script>alert(1)</script>")

    callback()
    assert "<script>" not in status.value
    assert "&lt;script&gt;" in status.value
