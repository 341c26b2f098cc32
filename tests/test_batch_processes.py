"""The same run files whatever the input format and the number of processes; the
collector settings a run changes are put back."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import HEADER, RUN_DATE, make_workspace, row, write_csv

from cobranca_kit.batch import pipeline as pipeline_module
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.portfolio import csv_blocks

FILES = ("mensagens.csv", "adiados.csv", "ignorados.csv", "rejeitados.csv")


@pytest.fixture(autouse=True)
def _every_portfolio_is_worth_the_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These portfolios are tiny: without this, a run would use one process whatever is asked."""
    monkeypatch.setattr(pipeline_module, "MIN_ROWS_PER_PROCESS", 1)


def _rows() -> list[str]:
    rows = [row(i, days=(0, 7, 3)[i % 3], email=f"p{i}@b.com.br") for i in range(1, 40)]
    rows += [row(i, days=7, email=f"p{i}@b.com.br") for i in range(1, 40, 5)]  # second debt: capped
    rows += [row(50, last="24/11/2026 07:30"), row(51, cpf="111"), row(52, phone="(55) 5123-4567")]
    rows += [row(53, uf="AM"), row(54, phone="+55 21 98888-7777"), row(55, valor="R$ 10,00")]
    rows += ["D56;só três;colunas", "", row(57, days=6 * 365)]
    return rows


def _files(
    tmp: Path,
    name: str,
    portfolio_rows: list[str],
    processes: int,
    *,
    quoted: bool = False,
    parquet: bool = False,
) -> tuple[dict[str, object], dict[str, object]]:
    ws = tmp / name
    ws.mkdir()
    cfg = make_workspace(ws)
    path = write_csv(ws / "carteira.csv", portfolio_rows)
    if quoted:  # a quoted description with the separator and a line break: read whole, not in blocks
        text = path.read_text(encoding="utf-8").replace("Fulana de Tal 3;", '"Fulana de Tal 3";', 1)
        path.write_text(text.replace(";\n", ';"fatura; de\nnovembro"\n', 1), encoding="utf-8")
    assert (csv_blocks(path, None, 5) is None) == quoted  # quotes: read whole, then split
    if parquet:
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        path = ws / "carteira.parquet"
        frame.to_parquet(path, index=False)
    settings = BatchSettings(carteira=path, data=RUN_DATE, hora=dt.time(7), processos=processes, chunk_rows=9)
    result = run_batch(settings, cfg)
    files: dict[str, object] = {n: (result.folder / n).read_bytes() for n in FILES}
    files["parquet"] = pd.read_parquet(result.folder / "mensagens.parquet")
    return files, result.summary["contagens"]


def _same(a: dict[str, object], b: dict[str, object]) -> None:
    for name in FILES:
        assert a[name] == b[name], name
    pd.testing.assert_frame_equal(a["parquet"], b["parquet"])  # type: ignore[arg-type]


@pytest.mark.parametrize("quoted", [False, True])
def test_two_and_three_processes_write_the_files_of_one(tmp_path: Path, monkeypatch, quoted: bool) -> None:
    monkeypatch.setattr(pipeline_module, "WORKER_TASK_ROWS", 4)
    rows = _rows()
    one, counts = _files(tmp_path, "p1", rows, 1, quoted=quoted)
    assert counts["por_status"]["agendada"] > 20 and counts["por_status"]["adiada"] >= 5
    assert counts["por_status"]["rejeitada"] >= 3
    for n in (2, 3):
        many, many_counts = _files(tmp_path, f"p{n}", rows, n, quoted=quoted)
        assert many_counts == counts
        _same(one, many)


def test_parquet_portfolio_counts_like_the_csv_in_any_number_of_processes(tmp_path: Path) -> None:
    rows = [r for r in _rows() if r.count(";") == HEADER.count(";")]  # a table has no short rows
    _, csv_counts = _files(tmp_path, "csv", rows, 1)
    one, counts = _files(tmp_path, "pq1", rows, 1, parquet=True)
    assert counts == csv_counts  # same decisions (line numbers differ: Parquet has no header line)
    two, counts_two = _files(tmp_path, "pq2", rows, 2, parquet=True)
    assert counts_two == counts
    _same(one, two)


def test_a_run_puts_the_garbage_collector_back(tmp_path: Path) -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    for n in (1, 2):
        _files(tmp_path, f"gc{n}", _rows()[:12], n)
        assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    assert gc.isenabled()


def test_worker_pieces_travel_in_files_that_are_gone_after_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cobranca_kit.batch.outputs import SpilledMessages

    monkeypatch.setattr(pipeline_module, "WORKER_TASK_ROWS", 4)
    loaded: list[int] = []
    folders: set[Path] = set()
    original = SpilledMessages.load

    def counting(self: SpilledMessages):  # type: ignore[no-untyped-def]
        loaded.append(len(self))
        folders.add(self.path.parent)
        return original(self)

    monkeypatch.setattr(SpilledMessages, "load", counting)
    one, counts = _files(tmp_path, "p1", _rows(), 1)
    two, counts_two = _files(tmp_path, "p2", _rows(), 2)
    assert counts_two == counts
    _same(one, two)
    assert sum(loaded) > 0  # some pieces came from the worker, through a file
    # ... a hidden folder of the workspace's runs folder (personal data stays there), removed
    assert [f.parent for f in folders] == [tmp_path / "p2" / "runs"]
    assert not any(f.exists() for f in folders)
    assert not list((tmp_path / "p2" / "runs").glob(".*"))


def test_a_small_portfolio_runs_in_fewer_processes_than_asked_with_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows()
    monkeypatch.setattr(pipeline_module, "MIN_ROWS_PER_PROCESS", 20)
    ws = tmp_path / "poucas"
    ws.mkdir()
    cfg = make_workspace(ws)
    path = write_csv(ws / "carteira.csv", rows)
    counted = pipeline_module.count_rows(path)
    assert counted == len(rows)  # header left out, the blank line counted
    expected = min(3, counted // 20)
    assert 1 <= expected < 3
    result = run_batch(
        BatchSettings(carteira=path, data=RUN_DATE, hora=dt.time(7), processos=3, dry_run=True), cfg
    )
    assert result.summary["processos"] == 3 and result.summary["processos_usados"] == expected
    monkeypatch.setattr(pipeline_module, "MIN_ROWS_PER_PROCESS", 10_000)
    single = run_batch(
        BatchSettings(
            carteira=path, data=RUN_DATE, hora=dt.time(7), processos=3, run_id="outra", dry_run=True
        ),
        cfg,
    )
    assert single.summary["processos_usados"] == 1
    for name in FILES:
        assert (result.folder / name).read_bytes() == (single.folder / name).read_bytes(), name


def test_rows_are_counted_cheaply_in_csv_and_parquet(tmp_path: Path) -> None:
    from cobranca_kit.batch.portfolio import count_rows

    path = tmp_path / "c.csv"
    path.write_bytes(b"id;nome\r\n1;a\r\n2;b")  # no line break after the last line
    assert count_rows(path) == 2
    path.write_bytes(b"id;nome\n1;a\n2;b\n")
    assert count_rows(path) == 2
    path.write_bytes(b"id;nome\n")
    assert count_rows(path) == 0
    frame = pd.DataFrame({"id": [str(i) for i in range(7)]})
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    assert count_rows(tmp_path / "c.parquet") == 7
    assert count_rows(tmp_path / "c.xlsx") is None


@pytest.mark.parametrize("where", ["trabalhador", "principal"])
def test_a_piece_failing_in_any_process_fails_the_run_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The error reaches the caller, no run folder looks complete, no spilled piece is left.

    Every piece planned in the failing process raises. The worker always gets the
    first pieces; for the writing process to plan one, the worker is made slow.
    """
    import os
    import time

    from cobranca_kit.batch.plan import Planner

    monkeypatch.setattr(pipeline_module, "WORKER_TASK_ROWS", 4)
    main_pid = os.getpid()
    original = Planner.plan_chunk

    def failing(self: Planner, chunk):  # type: ignore[no-untyped-def]
        here = "principal" if os.getpid() == main_pid else "trabalhador"
        if here == where:
            raise RuntimeError(f"falha ao planejar no processo {here}")
        if here == "trabalhador":
            time.sleep(0.3)
        return original(self, chunk)

    monkeypatch.setattr(Planner, "plan_chunk", failing)
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = make_workspace(ws)
    path = write_csv(ws / "carteira.csv", _rows())
    settings = BatchSettings(carteira=path, data=RUN_DATE, hora=dt.time(7), processos=2, run_id="falha")
    with pytest.raises(RuntimeError, match=f"processo {where}"):
        run_batch(settings, cfg)
    assert not (ws / "runs" / "falha").exists()
    assert (ws / "runs" / "falha.falhou").is_dir()
    assert not list((ws / "runs").glob(".*"))  # no staging folder, no spilled piece
