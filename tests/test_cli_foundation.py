from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cobranca_kit.cli.main import app

runner = CliRunner()


def test_help_is_in_portuguese() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Bancada de cobrança" in result.output


def test_catalogo_lists_ids_and_variables() -> None:
    result = runner.invoke(app, ["catalogo"])
    assert result.exit_code == 0
    assert "nao_recebi_fatura" in result.output and "cliente.primeiro_nome" in result.output


def test_config_shows_effective_settings(workspace: Path) -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.split("\n", 1)[1])
    assert payload["empresa"]["cnpj"] == "11.222.333/0001-81"


def test_config_error_is_friendly(workspace: Path) -> None:
    (workspace / "cobranca.toml").write_text('[empresa]\nnome = "X Ltda"\ncnpj = "123"\n', encoding="utf-8")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    assert "CNPJ inválido" in result.output and "Traceback" not in result.output
