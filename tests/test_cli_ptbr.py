"""The command-line framework's own messages (usage, help, missing or invalid
options) come out in pt-BR on every command, through typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cobranca_kit.cli.main import app
from cobranca_kit.cli.ptbr import translate

runner = CliRunner()

ENGLISH = (
    "Usage:",
    "Missing option",
    "Missing argument",
    "Invalid value",
    "Try '",
    "Error:",
    "Options:",
    "Commands:",
    "Show this message",
    "[OPTIONS]",
    "No such",
    "[default:",
    "[required]",
    "Input should",
)


def _no_english(text: str) -> None:
    found = [word for word in ENGLISH if word in text]
    assert not found, f"inglês na saída: {found}\n{text}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["verificar"], "Falta o argumento 'arquivo'"),
        (["rascunhar", "--tom", "firme"], "Falta a opção '--objecao'"),
        (["rascunhar", "--objecao"], "A opção '--objecao' precisa de um valor"),
        (
            [
                *[
                    "rascunhar",
                    "--objecao",
                    "esqueci",
                    "--tom",
                    "firme",
                    "--canal",
                    "sms",
                    "--estagio",
                    "vencimento",
                ],
                "--variantes",
                "x",
            ],
            "Valor inválido para '--variantes': informe um número inteiro",
        ),
        (["executar", "--carteira", "x.csv", "--processos", "0"], "Valor inválido para '--processos'"),
        (["catalogo", "--xpto"], "Opção inexistente: --xpto"),
        (["nao-existe"], "Comando inexistente: 'nao-existe'"),
        (["verificar", "a", "b", "c"], "Argumentos a mais, não esperados (b c)"),
    ],
)
def test_usage_errors_in_pt_br(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    text = result.output  # stdout and stderr together
    assert result.exit_code == 2, text
    assert expected in text
    assert f"Erro: {expected}" in text
    _no_english(text)


@pytest.mark.parametrize(
    "command", [[], ["rascunhar"], ["verificar"], ["modelos"], ["executar"], ["catalogo"]]
)
def test_help_in_pt_br(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Uso: " in result.output and "Opções:" in result.output
    assert "Mostra esta ajuda e sai." in result.output
    _no_english(result.output)


def test_usage_line_and_hint_in_pt_br() -> None:
    text = runner.invoke(app, ["rascunhar", "--tom", "firme"]).output
    assert "Uso: cobranca-kit rascunhar [OPÇÕES]" in text or "rascunhar [OPÇÕES]" in text
    assert "Veja '" in text and "rascunhar --help' para ajuda." in text


def test_root_help_lists_commands_in_pt_br() -> None:
    result = runner.invoke(app, ["--help"])
    assert "Comandos:" in result.output and "COMANDO [ARGS]..." in result.output


def test_translate_leaves_project_text_alone() -> None:
    text = "erro: carteira.csv, linha 3, campo documento: CPF inválido"
    assert translate(text) == text


def test_verificar_counts_agree_in_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "msg.txt"
    text.write_text("Oi", encoding="utf-8")
    result = runner.invoke(app, ["verificar", str(text), "--canal", "sms"])
    assert "(s)" not in result.output, result.output
    assert "bloqueio" in result.output


def test_ctrl_c_is_one_pt_br_line_and_exit_130() -> None:
    import typer

    from cobranca_kit.cli.common import friendly_errors

    demo = typer.Typer()

    @demo.command()
    @friendly_errors
    def longo() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(demo, [])
    assert result.exit_code == 130
    assert "interrompido (Ctrl+C)" in result.output and "Traceback" not in result.output
