"""The optional LLM judge, against the scripted local server (127.0.0.1 only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_server import Reply, ScriptedLLMServer, completion, llm_server_fixture  # noqa: F401

from cobranca_kit.compliance.judge import JudgeError, endpoint_configured, judge, judge_prompt
from cobranca_kit.config import Config, Llm

TEXT = "Fica esperto: eu e mais dois colegas vamos dar uma passada no seu portão sábado."


def _config(tmp_path: Path, **llm: object) -> Config:
    return Config(llm=Llm(**{"timeout_s": 2.0, "tentativas": 0, **llm}), base_dir=tmp_path)


@pytest.fixture
def endpoint(llm_server: ScriptedLLMServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedLLMServer:
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return llm_server


def _answer(**data: object) -> Reply:
    return completion(json.dumps(data, ensure_ascii=False))


def test_no_endpoint_no_judge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert not endpoint_configured()
    with pytest.raises(JudgeError, match="OPENAI_BASE_URL"):
        judge(TEXT, _config(tmp_path))


def test_rubric_is_pt_br_and_carries_the_rule_catalog_and_the_text(tmp_path: Path) -> None:
    prompt = judge_prompt(TEXT, _config(tmp_path))
    assert "Código de Defesa do Consumidor" in prompt and TEXT in prompt
    assert "Regras de cobrança (CDC art. 42, 42-A e 71" in prompt  # from rules_summary
    assert "afirmacao_falsa" in prompt


def test_verdict_with_category_excerpt_and_reason(endpoint: ScriptedLLMServer, tmp_path: Path) -> None:
    endpoint.push(
        _answer(
            abusiva=True,
            categoria="ameaca",
            trecho="vamos dar uma passada no seu portão",
            motivo="visita velada",
        )
    )
    verdict = judge(TEXT, _config(tmp_path))
    assert verdict.abusiva and verdict.categoria == "ameaca" and verdict.motivo == "visita velada"
    assert TEXT in endpoint.chat_requests[0]["messages"][0]["content"]


def test_answer_in_prose_around_json_is_accepted(endpoint: ScriptedLLMServer, tmp_path: Path) -> None:
    endpoint.push(
        completion('Segue: {"abusiva": false, "categoria": null, "trecho": "", "motivo": "ok"} fim')
    )
    assert not judge(TEXT, _config(tmp_path)).abusiva


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (completion("não sei dizer"), "sem JSON válido"),
        (completion('{"abusiva": true, "motivo": "x"}'), "sem 'categoria'"),
        (completion('{"abusiva": true, "categoria": "grosseria", "motivo": "x"}'), "categoria"),
        (
            completion('{"abusiva": true, "categoria": "ameaca", "trecho": "inventado", "motivo": "x"}'),
            "trecho",
        ),
        (Reply(status=200, body="{isto não é json"), "resposta ilegível"),
    ],
)
def test_malformed_answers_are_clear_errors(
    endpoint: ScriptedLLMServer, tmp_path: Path, reply: Reply, problem: str
) -> None:
    endpoint.push(reply)
    with pytest.raises(JudgeError, match=problem):
        judge(TEXT, _config(tmp_path))


def test_timeout_is_a_clear_error(endpoint: ScriptedLLMServer, tmp_path: Path) -> None:
    endpoint.push(Reply(body=json.loads(json.dumps(completion("{}").body)), delay=1.0))
    with pytest.raises(JudgeError, match=r"não respondeu em 0\.3 s"):
        judge(TEXT, _config(tmp_path, timeout_s=0.3))


def test_verificar_juiz_prints_the_second_opinion(
    endpoint: ScriptedLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from cobranca_kit.cli import verificar

    app = typer.Typer()
    verificar.register(app)
    msg = tmp_path / "m.txt"
    msg.write_text("Oi! Sua parcela venceu ontem, segue o link.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    endpoint.push(_answer(abusiva=True, categoria="pressao", trecho="venceu ontem", motivo="teste"))
    result = CliRunner().invoke(app, ["verificar", str(msg), "--juiz"])
    assert result.exit_code == 1 and "juiz LLM: abusiva (pressao) «venceu ontem»: teste" in result.output
