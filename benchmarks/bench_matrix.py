"""Matrix drafting against a loopback OpenAI-compatible server with simulated latency.

Drafts 96 requests (4 tones x 4 channels x 6 stages) three times: sequentially
(concurrency 1), with concurrency 8, and again from the response cache. Prints
the wall times and the ratios against the targets (concurrent <= 1/6 of
sequential; cached <= 5% of the first concurrent run).

Run: ``.venv/bin/python benchmarks/bench_matrix.py [latency_s]`` (default 0.5).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from llm_server import ScriptedLLMServer, draft_reply

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import Config, Llm
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, OpenAIDrafter, draft_matrix, matrix_requests

CHANNEL_LABELS = {c.id: c.rotulo for c in get_catalog().canais}


def _handler(body: dict) -> object:
    """Answer with a clean draft for the channel the prompt asks for."""
    prompt = body["messages"][1]["content"]
    for canal, label in CHANNEL_LABELS.items():
        if f"canal {label}" in prompt:
            request = DraftRequest(objecao="esqueci", tom="amigavel", canal=canal, estagio="atraso_curto")
            return draft_reply(OfflineDrafter().compose(request, 0).model_dump(mode="json"))
    raise RuntimeError("canal não encontrado no prompt")


def _run(server: ScriptedLLMServer, workdir: Path, concurrency: int) -> tuple[float, int, int]:
    config = Config(llm=Llm(timeout_s=30, tentativas=0), base_dir=workdir)
    drafter = OpenAIDrafter(config, base_url=server.base_url, api_key="bench")
    requests = matrix_requests(estagios=get_catalog().ids("estagios")[:6], objecoes=["esqueci"])
    before = len(server.chat_requests)
    started = time.perf_counter()
    results = draft_matrix(requests, concurrency=concurrency, drafter=drafter, config=config, progress=False)
    elapsed = time.perf_counter() - started
    passed = sum(r.passed for r in results)
    return elapsed, passed, len(server.chat_requests) - before


def main() -> None:
    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    server = ScriptedLLMServer(latency=latency).start()
    server.handler = _handler
    try:
        with tempfile.TemporaryDirectory() as seq_dir, tempfile.TemporaryDirectory() as conc_dir:
            seq, seq_ok, seq_calls = _run(server, Path(seq_dir), concurrency=1)
            conc, conc_ok, conc_calls = _run(server, Path(conc_dir), concurrency=8)
            cached, cached_ok, cached_calls = _run(server, Path(conc_dir), concurrency=8)
    finally:
        server.stop()
    print(f"latência simulada por chamada: {latency:.2f} s; 96 rascunhos por execução")
    print(f"sequencial (concorrência 1):   {seq:7.2f} s  aprovados {seq_ok}/96  chamadas {seq_calls}")
    print(f"concorrência 8:                {conc:7.2f} s  aprovados {conc_ok}/96  chamadas {conc_calls}")
    print(
        f"do cache (concorrência 8):     {cached:7.2f} s  aprovados {cached_ok}/96  chamadas {cached_calls}"
    )
    print(f"concorrente / sequencial = {conc / seq:.3f} (meta <= {1 / 6:.3f})")
    print(f"cache / primeira execução = {cached / conc:.3f} (meta <= 0.050)")


if __name__ == "__main__":
    main()
