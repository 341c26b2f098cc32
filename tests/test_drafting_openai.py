"""OpenAIDrafter and the draft-check-revise loop against a real loopback HTTP server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from llm_server import ScriptedLLMServer, completion, draft_reply, error_reply, llm_server_fixture  # noqa: F401

from cobranca_kit.config import Config, Llm
from cobranca_kit.drafting import (
    DraftRequest,
    EndpointError,
    OfflineDrafter,
    OpenAIDrafter,
    draft_checked,
    draft_variants,
)
from cobranca_kit.errors import DraftError

REQUEST = DraftRequest(objecao="esqueci", tom="amigavel", canal="whatsapp", estagio="atraso_curto")
THREAT = {
    "channel": "whatsapp",
    "mensagens": ["Oi, {{ cliente.primeiro_nome }}. Se não pagar hoje, você será preso."],
}


def make_config(tmp_path: Path, **llm: object) -> Config:
    settings = {"timeout_s": 2.0, "tentativas": 0, **llm}
    return Config(llm=Llm(**settings), base_dir=tmp_path)


def good_script(request: DraftRequest = REQUEST) -> dict:
    """A draft known to pass the checker (the offline drafter's, checked in its own tests)."""
    return OfflineDrafter().compose(request, 0).model_dump(mode="json")


def drafter_for(server: ScriptedLLMServer, tmp_path: Path, **llm: object) -> OpenAIDrafter:
    return OpenAIDrafter(make_config(tmp_path, **llm), base_url=server.base_url, api_key="chave-de-teste")


def test_valid_draft_passes_with_usage_and_structured_output(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.push(draft_reply(good_script(), prompt_tokens=300, completion_tokens=150))
    drafter = drafter_for(llm_server, tmp_path, modelo="modelo-x")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.error is None
    assert result.passed is True
    assert result.script is not None and result.script.model_dump(mode="json") == good_script()
    assert (result.backend, result.model) == ("openai", "modelo-x")
    assert result.prompt_version == drafter.prompts.version and len(result.prompt_version) == 12
    assert result.usage["total_tokens"] == 450 and result.usage["calls"] == 1
    assert len(result.rounds) == 1 and result.rounds[0].usage["prompt_tokens"] == 300
    sent = llm_server.chat_requests[0]
    assert sent["model"] == "modelo-x"
    assert sent["response_format"]["type"] == "json_schema"
    assert "mensagens" in json.dumps(sent["response_format"]["json_schema"]["schema"])
    assert sent["messages"][0]["role"] == "system"


def test_threat_is_fixed_by_the_revision_round(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.push(draft_reply(THREAT), draft_reply(good_script()))
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, max_rounds=3, config=drafter.config)
    assert result.passed is True
    assert len(result.rounds) == 2
    first = result.rounds[0]
    assert not first.passed
    assert any(f["severity"] == "block" and f["category"] == "ameaca" for f in first.findings)
    assert result.rounds[1].passed
    # The revision prompt carried the previous draft and the finding to fix.
    revision_prompt = llm_server.chat_requests[1]["messages"][-1]["content"]
    assert "será preso" in revision_prompt
    assert "[block]" in revision_prompt
    assert result.usage["calls"] == 2


def test_draft_still_failing_after_last_round_comes_back_failed(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.default = draft_reply(THREAT)
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, max_rounds=2, config=drafter.config)
    assert result.passed is False
    assert result.error is None
    assert result.script is not None and result.report is not None
    assert result.report.blocks, "the findings must be returned, not hidden"
    assert len(result.rounds) == 2 and len(llm_server.chat_requests) == 2


def test_rate_limit_with_retry_after_then_success(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.push(error_reply(429, "devagar", headers={"Retry-After": "0.05"}), draft_reply(good_script()))
    drafter = drafter_for(llm_server, tmp_path, tentativas=2)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.passed is True and result.error is None
    assert len(llm_server.chat_requests) == 2


def test_server_error_becomes_a_clear_error_on_the_draft(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.default = error_reply(500, "falha interna")
    drafter = drafter_for(llm_server, tmp_path, saida_estruturada="json_schema")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.passed is False and result.script is None
    assert result.error is not None and "HTTP 500" in result.error and llm_server.base_url in result.error
    assert result.error_kind == "endpoint"


def test_server_error_in_auto_mode_tries_every_mode_then_fails(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.default = error_reply(500, "falha interna")
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.error is not None and "HTTP 500" in result.error
    formats = [r.get("response_format", {}).get("type") for r in llm_server.chat_requests]
    assert formats == ["json_schema", "json_object", None]
    assert drafter.mode == "json_schema", "a mode is only remembered when it worked"


def test_slow_server_times_out(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    reply = draft_reply(good_script())
    reply.delay = 1.0
    llm_server.default = reply
    drafter = drafter_for(llm_server, tmp_path, timeout_s=0.3, saida_estruturada="json_schema")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.script is None
    assert (
        result.error is not None and "Tempo esgotado" in result.error and llm_server.base_url in result.error
    )
    assert result.error_kind == "endpoint"


def test_malformed_json_is_reasked_once_then_reported(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.default = completion('{"mensagens": ["Oi, {{ cliente.primeiro_nome }}"')
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.script is None and result.passed is False
    assert result.error is not None and "não devolveu um roteiro válido" in result.error
    assert result.error_kind == "output"
    assert len(llm_server.chat_requests) == 2
    reask = llm_server.chat_requests[1]["messages"][-1]["content"]
    assert "não pôde ser usada" in reask
    assert result.usage["calls"] == 2, "tokens of failed calls are still counted"


def test_malformed_json_then_valid_after_reask(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.push(completion("isto não é JSON"), draft_reply(good_script()))
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.passed is True
    assert len(llm_server.chat_requests) == 2


def test_empty_json_object_is_not_a_silent_empty_script(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    llm_server.default = completion("{}")
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.script is None
    assert result.error is not None and "vazio" in result.error


def test_unknown_placeholder_is_reasked_with_suggestion(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    bad = {"channel": "whatsapp", "mensagens": ["Oi, {{ cliente.primero_nome }}!"]}
    llm_server.push(draft_reply(bad), draft_reply(good_script()))
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.passed is True
    reask = llm_server.chat_requests[1]["messages"][-1]["content"]
    assert "cliente.primeiro_nome" in reask and "Você quis dizer" in reask


def test_refusal_is_reported_without_reask(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.default = completion(None, refusal="Não posso ajudar com isso.")
    drafter = drafter_for(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.script is None
    assert result.error is not None and "recusou" in result.error and "Não posso ajudar" in result.error
    assert len(llm_server.chat_requests) == 1


def test_finish_reason_length_is_reported(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.default = completion('{"mensagens": ["Oi', finish_reason="length")
    drafter = drafter_for(llm_server, tmp_path, max_tokens=100)
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.script is None
    assert result.error is not None and "max_tokens" in result.error and "100" in result.error


def test_json_schema_rejected_falls_back_to_json_object_and_remembers(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    def handler(body: dict) -> object:
        if body.get("response_format", {}).get("type") == "json_schema":
            return error_reply(500, "json_schema not supported")
        return draft_reply(good_script())

    llm_server.handler = handler
    drafter = drafter_for(llm_server, tmp_path, cache=False)
    first = draft_checked(REQUEST, drafter, config=drafter.config)
    assert first.passed is True
    assert drafter.mode == "json_object"
    second = draft_checked(REQUEST.model_copy(update={"seed": 5}), drafter, config=drafter.config)
    assert second.passed is True
    formats = [r.get("response_format", {}).get("type") for r in llm_server.chat_requests]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_text_mode_extracts_fenced_json(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    text = "Claro! Segue o roteiro:\n```json\n" + json.dumps(good_script(), ensure_ascii=False) + "\n```"
    llm_server.default = completion(text)
    drafter = drafter_for(llm_server, tmp_path, saida_estruturada="texto")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.passed is True
    assert "response_format" not in llm_server.chat_requests[0]


def test_connection_refused_names_the_endpoint(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    drafter = OpenAIDrafter(make_config(tmp_path), base_url=url, api_key="x")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.error is not None and url in result.error and result.error_kind == "endpoint"
    with pytest.raises(EndpointError, match="Não foi possível conectar"):
        drafter.models()


def test_models_endpoint(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    assert drafter_for(llm_server, tmp_path).models() == ["modelo-teste"]


def test_cache_makes_reruns_free_and_can_be_bypassed(
    llm_server: ScriptedLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm_server.default = draft_reply(good_script())
    config = make_config(tmp_path)
    first = draft_checked(REQUEST, OpenAIDrafter(config, base_url=llm_server.base_url), config=config)
    again = draft_checked(REQUEST, OpenAIDrafter(config, base_url=llm_server.base_url), config=config)
    assert len(llm_server.chat_requests) == 1
    assert again.rounds[0].cached and not first.rounds[0].cached
    assert again.script == first.script and again.usage["total_tokens"] == 0
    assert any((tmp_path / ".cache" / "rascunhos").rglob("*.json"))
    monkeypatch.setenv("COBRANCA_SEM_CACHE", "1")
    draft_checked(REQUEST, OpenAIDrafter(config, base_url=llm_server.base_url), config=config)
    assert len(llm_server.chat_requests) == 2
    monkeypatch.delenv("COBRANCA_SEM_CACHE")
    draft_checked(REQUEST, OpenAIDrafter(config, base_url=llm_server.base_url, cache=False), config=config)
    assert len(llm_server.chat_requests) == 3


def test_variants_use_consecutive_seeds(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.default = draft_reply(good_script())
    drafter = drafter_for(llm_server, tmp_path)
    request = REQUEST.model_copy(update={"variantes": 3, "seed": 40})
    results = draft_variants(request, drafter, config=drafter.config)
    assert [r.seed for r in results] == [40, 41, 42]
    assert [r["seed"] for r in llm_server.chat_requests] == [40, 41, 42]
    assert "variante 2 de 3" in llm_server.chat_requests[1]["messages"][1]["content"]


def test_openai_backend_without_key_or_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="OPENAI_API_KEY"):
        OpenAIDrafter(make_config(tmp_path))


def test_cached_call_script_round_trips(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    request = DraftRequest(objecao="sem_condicoes", tom="empatico", canal="telefone", estagio="atraso_longo")
    llm_server.default = draft_reply(good_script(request))
    config = make_config(tmp_path)
    first = draft_checked(request, OpenAIDrafter(config, base_url=llm_server.base_url), config=config)
    again = draft_checked(request, OpenAIDrafter(config, base_url=llm_server.base_url), config=config)
    assert again.rounds[0].cached and len(llm_server.chat_requests) == 1
    assert again.script == first.script
    assert again.script.parts() == first.script.parts()
    assert again.report.to_dict() == first.report.to_dict()
