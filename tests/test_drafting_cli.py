"""``cobranca-kit rascunhar``: output formats and exit codes 0/1/2."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from llm_server import ScriptedLLMServer, draft_reply, llm_server_fixture  # noqa: F401
from typer.testing import CliRunner

from cobranca_kit.cli.main import app

ARGS = [
    "rascunhar",
    "--objecao",
    "esqueci",
    "--tom",
    "amigavel",
    "--canal",
    "whatsapp",
    "--estagio",
    "atraso_curto",
]
runner = CliRunner()


def _toml(tmp_path: Path) -> str:
    path = tmp_path / "cobranca.toml"
    path.write_text('[llm]\ntentativas = 0\ntimeout_s = 2\nmodelo = "modelo-cli"\n', encoding="utf-8")
    return str(path)


def test_offline_json_output(tmp_path: Path) -> None:
    result = runner.invoke(
        app, [*ARGS, "--variantes", "2", "--formato", "json", "--arquivo", _toml(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["backend"] == "offline" and payload["passed"] is True
    assert len(payload["variantes"]) == 2
    first = payload["variantes"][0]
    assert first["parts"]["mensagem_1"].startswith(("Oi", "Olá"))
    assert first["report"]["passed"] is True and first["rounds"][0]["round"] == 1
    assert {"backend", "model", "usage", "prompt_version", "seed"} <= set(first)


def test_offline_text_output(tmp_path: Path) -> None:
    result = runner.invoke(app, [*ARGS, "--pagamento", "pix,boleto", "--arquivo", _toml(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "backend: offline" in result.stdout and "APROVADO" in result.stdout
    assert "[mensagem_1]" in result.stdout and "pagamento.linha_digitavel" in result.stdout


def test_bad_id_exits_2_with_suggestion() -> None:
    result = runner.invoke(
        app,
        [
            "rascunhar",
            "--objecao",
            "esquec",
            "--tom",
            "amigavel",
            "--canal",
            "sms",
            "--estagio",
            "vencimento",
        ],
    )
    assert result.exit_code == 2
    assert "Você quis dizer 'esqueci'" in result.stderr


def test_bad_payment_and_format_exit_2() -> None:
    assert runner.invoke(app, [*ARGS, "--pagamento", "pix,cheque"]).exit_code == 2
    assert runner.invoke(app, [*ARGS, "--formato", "xml"]).exit_code == 2


def test_unreachable_endpoint_exits_2_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    result = runner.invoke(app, [*ARGS, "--arquivo", _toml(tmp_path)])
    assert result.exit_code == 2
    assert url in result.stderr and "conectar" in result.stderr


def test_block_after_last_round_exits_1(
    llm_server: ScriptedLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threat = {"channel": "whatsapp", "mensagens": ["Oi, {{ cliente.primeiro_nome }}. Pague ou será preso."]}
    llm_server.default = draft_reply(threat)
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    result = runner.invoke(app, [*ARGS, "--rodadas", "2", "--formato", "json", "--arquivo", _toml(tmp_path)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["backend"] == "openai" and payload["model"] == "modelo-cli"
    variant = payload["variantes"][0]
    assert len(variant["rounds"]) == 2 and not variant["passed"]
    assert any(f["severity"] == "block" for f in variant["report"]["findings"])
    assert len(llm_server.chat_requests) == 2


def test_backend_env_overrides_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cobranca.toml"
    path.write_text('[llm]\nbackend = "openai"\n', encoding="utf-8")
    monkeypatch.setenv("COBRANCA_BACKEND", "offline")
    result = runner.invoke(app, [*ARGS, "--arquivo", str(path)])
    assert result.exit_code == 0 and "backend: offline" in result.stdout
