"""Matrix drafting: bounded concurrency, isolated failures, JSONL resume."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from llm_server import ScriptedLLMServer, draft_reply, error_reply, llm_server_fixture  # noqa: F401

from cobranca_kit.config import Config, Llm
from cobranca_kit.drafting import (
    DraftRequest,
    OfflineDrafter,
    OpenAIDrafter,
    draft_matrix,
    load_results,
    matrix_requests,
    summary_frame,
)
from cobranca_kit.drafting.base import DraftResult, Revision


def _config(tmp_path: Path) -> Config:
    return Config(llm=Llm(timeout_s=5.0, tentativas=0, saida_estruturada="json_object"), base_dir=tmp_path)


def _answer_like_offline(body: dict) -> object:
    """Answer each request with the offline draft for the channel named in the prompt."""
    prompt = body["messages"][1]["content"]
    for canal, label in (
        ("whatsapp", "WhatsApp"),
        ("sms", "SMS"),
        ("email", "E-mail"),
        ("telefone", "Roteiro"),
    ):
        if f"canal {label}" in prompt:
            request = DraftRequest(objecao="esqueci", tom="amigavel", canal=canal, estagio="atraso_curto")
            return draft_reply(OfflineDrafter().compose(request, 0).model_dump(mode="json"))
    raise AssertionError(prompt)


def test_matrix_runs_concurrently_with_a_bound(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.latency = 0.2
    llm_server.handler = _answer_like_offline
    requests = matrix_requests(
        objecoes=["esqueci"], tons=["amigavel"], estagios=["atraso_curto"], variantes=3
    )
    assert len(requests) == 4
    config = _config(tmp_path)
    output = tmp_path / "saida" / "matriz.jsonl"
    results = draft_matrix(
        requests,
        concurrency=4,
        output=output,
        drafter=OpenAIDrafter(config, base_url=llm_server.base_url),
        config=config,
        progress=False,
    )
    assert len(results) == 12
    assert all(r.passed for r in results), [r.error for r in results]
    assert [(r.request.canal, r.variant) for r in results] == [
        (q.canal, v) for q in requests for v in range(3)
    ]
    assert 1 < llm_server.max_in_flight <= 4
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12 and all(json.loads(line)["backend"] == "openai" for line in lines)


def test_one_failing_item_does_not_stop_the_batch(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    def handler(body: dict) -> object:
        if "canal SMS" in body["messages"][1]["content"]:
            return error_reply(500, "quebrou")
        return _answer_like_offline(body)

    llm_server.handler = handler
    config = _config(tmp_path)
    requests = matrix_requests(objecoes=["esqueci"], tons=["amigavel"], estagios=["atraso_curto"])
    results = draft_matrix(
        requests,
        concurrency=2,
        drafter=OpenAIDrafter(config, base_url=llm_server.base_url),
        config=config,
        progress=False,
    )
    by_channel = {r.request.canal: r for r in results}
    assert by_channel["sms"].error is not None and "HTTP 500" in by_channel["sms"].error
    assert not by_channel["sms"].passed
    assert all(by_channel[c].passed for c in ("whatsapp", "email", "telefone"))


class CountingDrafter(OfflineDrafter):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def draft(self, request: DraftRequest, variant: int = 0, revision: Revision | None = None) -> DraftResult:
        self.calls += 1
        return super().draft(request, variant, revision)


def test_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    requests = matrix_requests(
        objecoes=["ja_paguei", "esqueci"],
        tons=["firme"],
        canais=["email", "sms", "whatsapp"],
        estagios=["vencimento"],
    )
    output = tmp_path / "matriz.jsonl"
    first = CountingDrafter()
    complete = draft_matrix(requests, output=output, drafter=first, progress=False)
    assert first.calls == 6
    lines = output.read_text(encoding="utf-8").splitlines()
    # Simulate a run killed after three items, in the middle of writing the fourth.
    output.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40], encoding="utf-8")
    second = CountingDrafter()
    resumed = draft_matrix(requests, output=output, drafter=second, progress=False)
    assert second.calls == 3
    assert [r.script for r in resumed] == [r.script for r in complete]
    assert len(load_results(output)) == 6


def test_failed_items_are_retried_on_resume(tmp_path: Path) -> None:
    requests = matrix_requests(objecoes=["esqueci"], tons=["firme"], canais=["sms"], estagios=["vencimento"])
    output = tmp_path / "m.jsonl"
    draft_matrix(requests, output=output, drafter=OfflineDrafter(), progress=False)
    record = json.loads(output.read_text(encoding="utf-8"))
    record.update(error="Tempo esgotado", error_kind="endpoint", passed=False)
    output.write_text(json.dumps(record) + "\n", encoding="utf-8")
    again = CountingDrafter()
    results = draft_matrix(requests, output=output, drafter=again, progress=False)
    assert again.calls == 1 and results[0].passed


def test_matrix_works_inside_a_running_event_loop() -> None:
    requests = matrix_requests(objecoes=["esqueci"], tons=["empatico"], canais=["email"], estagios=["acordo"])

    async def notebook_cell() -> list:
        return draft_matrix(requests, drafter=OfflineDrafter(), progress=False)

    results = asyncio.run(notebook_cell())
    assert len(results) == 1 and results[0].passed


def test_summary_frame() -> None:
    requests = matrix_requests(
        objecoes=["esqueci"], tons=["amigavel", "firme"], canais=["sms"], estagios=["vencimento"]
    )
    frame = summary_frame(draft_matrix(requests, drafter=OfflineDrafter(), progress=False))
    assert list(frame["tom"]) == ["amigavel", "firme"]
    assert frame["aprovado"].all() and (frame["rodadas"] == 1).all()
    assert {"bloqueios", "avisos", "legibilidade", "backend", "modelo"} <= set(frame.columns)
    assert frame["legibilidade"].between(0, 100).all()
