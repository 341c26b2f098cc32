"""Matrix drafting: many requests x variants, concurrently, with each item's
failure isolated, progress shown, and results appended to a JSONL file as they
arrive so an interrupted run resumes where it stopped."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting.base import Drafter, empty_usage
from cobranca_kit.drafting.loop import CheckedDraft, adraft_checked
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.drafting.select import get_drafter
from cobranca_kit.errors import DataFileError, DraftError

if TYPE_CHECKING:
    import pandas as pd


def matrix_requests(
    objecoes: Sequence[str] | None = None,
    tons: Sequence[str] | None = None,
    canais: Sequence[str] | None = None,
    estagios: Sequence[str] | None = None,
    perfil: str = "desconhecido",
    pagamentos: Sequence[str] = ("pix", "link"),
    variantes: int = 1,
    seed: int | None = None,
    instrucoes: str = "",
) -> list[DraftRequest]:
    """Every combination of the given ids (``None`` = all ids of the catalog)."""
    cat = get_catalog()
    axes = [
        list(objecoes) if objecoes else cat.ids("objecoes"),
        list(tons) if tons else cat.ids("tons"),
        list(canais) if canais else cat.ids("canais"),
        list(estagios) if estagios else cat.ids("estagios"),
    ]
    return [
        DraftRequest(
            objecao=o,
            tom=t,
            canal=c,
            estagio=e,
            perfil=perfil,
            pagamentos=list(pagamentos),
            variantes=variantes,
            seed=seed,
            instrucoes=instrucoes,
        )
        for o, t, c, e in itertools.product(*axes)
    ]


def item_key(request: DraftRequest, variant: int) -> str:
    return f"{request.key()}:{variant}"


def load_results(path: str | Path, recheck: bool = True) -> dict[str, CheckedDraft]:
    """Results stored in a matrix JSONL file, by item key (the last record of an item wins).

    A torn last line (the run was killed while writing) is ignored; a broken line
    elsewhere is an error naming the line.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    out: dict[str, CheckedDraft] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            draft = CheckedDraft.from_dict(data, recheck=recheck)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            if number == len(lines):
                continue  # interrupted while writing: that item is simply drafted again
            raise DataFileError(path, f"registro inválido: {exc}", where=f"linha {number}") from exc
        out[item_key(draft.request, draft.variant)] = draft
    return out


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left half-written by a killed run, so appends start on a clean line."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def _crashed(request: DraftRequest, variant: int, drafter: Drafter, exc: BaseException) -> CheckedDraft:
    return CheckedDraft(
        request=request,
        variant=variant,
        script=None,
        report=None,
        rounds=[],
        passed=False,
        error=f"Erro inesperado neste item: {exc!r}",
        error_kind="output",
        backend=drafter.name,
        model=drafter.model,
        prompt_version=drafter.prompt_version,
        seed=request.seed_for(variant),
        usage=empty_usage(),
    )


async def adraft_matrix(
    requests: Iterable[DraftRequest],
    concurrency: int | None = None,
    output: str | Path | None = None,
    drafter: Drafter | None = None,
    config: Config | None = None,
    max_rounds: int | None = None,
    progress: bool = True,
) -> list[CheckedDraft]:
    """Async core of :func:`draft_matrix`."""
    config = config if config is not None else load_config()
    if drafter is None:
        drafter = get_drafter(config)
    limit = concurrency if concurrency is not None else config.llm.concorrencia
    if limit < 1:
        raise DraftError(f"concorrência deve ser pelo menos 1 (recebido {limit})")
    items = [(r, v) for r in requests for v in range(r.variantes)]
    out_path = Path(output) if output is not None else None
    previous = load_results(out_path) if out_path is not None else {}
    results: dict[str, CheckedDraft] = {}
    for request, variant in items:
        key = item_key(request, variant)
        old = previous.get(key)
        # Reuse finished items of the same backend and model; failed ones are tried again.
        if (
            old is not None
            and old.error is None
            and (old.backend, old.model) == (drafter.name, drafter.model)
        ):
            results[key] = old
    todo = [(r, v) for r, v in items if item_key(r, v) not in results]
    semaphore = asyncio.Semaphore(limit)
    bar = tqdm(total=len(items), initial=len(items) - len(todo), desc="Rascunhos", disable=not progress)
    handle = None
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _drop_torn_tail(out_path)
        handle = out_path.open("a", encoding="utf-8")

    async def one(request: DraftRequest, variant: int) -> None:
        async with semaphore:
            try:
                draft = await adraft_checked(request, drafter, max_rounds, variant, config)
            except Exception as exc:  # isolate the item, whatever happened
                draft = _crashed(request, variant, drafter, exc)
        results[item_key(request, variant)] = draft
        if handle is not None:
            handle.write(json.dumps(draft.to_dict(), ensure_ascii=False) + "\n")
            handle.flush()
        bar.update(1)

    try:
        await asyncio.gather(*(one(r, v) for r, v in todo))
    finally:
        bar.close()
        if handle is not None:
            handle.close()
        aclose = getattr(drafter, "aclose", None)
        if aclose is not None:
            await aclose()
    return [results[item_key(r, v)] for r, v in items]


def draft_matrix(
    requests: Iterable[DraftRequest],
    concurrency: int | None = None,
    output: str | Path | None = None,
    drafter: Drafter | None = None,
    config: Config | None = None,
    max_rounds: int | None = None,
    progress: bool = True,
) -> list[CheckedDraft]:
    """Draft and check every request x variant with at most ``concurrency`` calls in
    flight (default ``[llm] concorrencia``). Results come back in input order; with
    ``output`` they are also appended to a JSONL file, and a re-run with the same
    file skips what is already done. Works inside Jupyter (a running event loop)."""
    coro = adraft_matrix(list(requests), concurrency, output, drafter, config, max_rounds, progress)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Inside a running loop (Jupyter, papermill): run in a worker thread with its own loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _flesch(report: Any) -> float | None:
    metrics = getattr(report, "metrics", None) or {}
    overall = metrics.get("overall") or {}
    value = overall.get("flesch")
    return float(value) if isinstance(value, int | float) else None


def summary_frame(results: Iterable[CheckedDraft]) -> pd.DataFrame:
    """One row per draft: ids, verdict, rounds, findings per severity, readability."""
    import pandas as pd

    rows = []
    for d in results:
        findings = d.findings
        rows.append(
            {
                "objecao": d.request.objecao,
                "tom": d.request.tom,
                "canal": d.request.canal,
                "estagio": d.request.estagio,
                "variante": d.variant,
                "aprovado": d.passed,
                "erro": d.error,
                "rodadas": len(d.rounds),
                "bloqueios": sum(1 for f in findings if f.severity == "block"),
                "avisos": sum(1 for f in findings if f.severity == "warn"),
                "dicas": sum(1 for f in findings if f.severity == "hint"),
                "legibilidade": _flesch(d.report),
                "tokens": d.usage.get("total_tokens", 0),
                "backend": d.backend,
                "modelo": d.model,
            }
        )
    return pd.DataFrame(rows)


__all__ = [
    "adraft_matrix",
    "draft_matrix",
    "item_key",
    "load_results",
    "matrix_requests",
    "summary_frame",
]
