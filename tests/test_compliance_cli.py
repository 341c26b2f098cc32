"""``cobranca-kit verificar``, ``regras`` and ``avaliar`` (registered on a bare Typer app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cobranca_kit.cli import verificar

CORPUS = Path(__file__).parent / "data" / "avaliacao.jsonl"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    verificar.register(app)

    @app.callback()
    def _root() -> None:
        """Test root."""

    return app


runner = CliRunner()


def test_verificar_lint_output_and_exit_code_1_on_block(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "msg.txt"
    path.write_text("Olá, Ana.\nSe não pagar, você será preso.\n", encoding="utf-8")
    result = runner.invoke(app, ["verificar", str(path), "--canal", "whatsapp"])
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "CDC71-AMEACA-PRISAO" in ln)
    assert line.startswith("2:20  CDC71-AMEACA-PRISAO  bloqueio  ")
    assert "sugestão:" in result.output and "REPROVADO" in result.output


def test_verificar_stdin_json_and_exit_0(app: typer.Typer) -> None:
    text = "Oi, Ana! Sua fatura de R$ 10,00 venceu em 10/11. Pague: https://x.com.br/p. Se já pagou, desconsidere."
    result = runner.invoke(app, ["verificar", "-", "--formato", "json"], input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"passed", "findings", "metrics"} and data["passed"] is True


def test_verificar_script_json(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "roteiro.json"
    path.write_text(
        json.dumps({"channel": "whatsapp", "mensagens": ["Olá!", "Você é um caloteiro."]}), encoding="utf-8"
    )
    result = runner.invoke(app, ["verificar", str(path)])
    assert result.exit_code == 1
    assert "mensagem_2 1:11  CDC42-INSULTO-XINGAMENTO" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["verificar", "-"], b"\xff\xfe\x00junk", "UTF-8"),
        (["verificar", "-"], b"   ", "vazio"),
        (["verificar", "/nao/existe.txt"], None, "não encontrado"),
        (["verificar", "-", "--canal", "fax"], b"oi", "canal desconhecido"),
    ],
)
def test_verificar_unusable_input_exits_2(
    app: typer.Typer, args: list[str], stdin: bytes | None, message: str
) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output


def test_regras_lists_rules_under_fixed_headings(app: typer.Typer) -> None:
    result = runner.invoke(app, ["regras", "--categoria", "ameaca"])
    assert result.exit_code == 0
    for heading in ("O que verifica:", "Por que é um problema:", "Exemplo:", "O que escrever no lugar:"):
        assert heading in result.output
    assert "CDC71-AMEACA-PRISAO" in result.output and "CDC art. 71" in result.output
    assert "CDC42-INSULTO-XINGAMENTO" not in result.output


def test_avaliar_prints_recall_fp_and_categories(app: typer.Typer) -> None:
    result = runner.invoke(app, ["avaliar", str(CORPUS)])
    assert result.exit_code == 0
    assert "revocação:" in result.output and "taxa de falsos positivos:" in result.output
    assert "terceiros" in result.output and "insulto" in result.output
