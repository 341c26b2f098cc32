"""Batch throughput: portfolio -> validated, planned, rendered, checked messages -> CSV + Parquet.

For each portfolio size the whole pipeline runs (without the notebook) in a
fresh process, so peak memory is that of the run alone; in the same run a bare
loop that only renders one compiled template for the same rows gives the
reference rate. Prints rows/s, the ratio to the bare loop and peak memory.

    python benchmarks/bench_batch.py                      # 10k (1 and 2 processes), 100k (1 process)
    python benchmarks/bench_batch.py --linhas 20000 --processos 1,2
    python benchmarks/bench_batch.py --com-1m             # adds 1,000,000 rows (takes long)
    python benchmarks/bench_batch.py --arquivos           # also .eml files and WhatsApp payloads

Runs are dry runs (the contact ledger is read, never written), so every size
plans the same way. Workspace and portfolios are cached in ``.bench/batch/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench" / "batch"
RUN_DATE = dt.date(2026, 11, 24)  # a Tuesday: every state has a send window
BARE_ROWS = 20_000


def _workspace() -> Path:
    """Example config and régua plus the offline drafter's templates, approved once."""
    from cobranca_kit.batch.regua import load_regua
    from cobranca_kit.batch.seed import seed_library

    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("cobranca.toml", "regua.yaml"):
        shutil.copy(ROOT / "exemplo" / name, WORK / name)
    if not (WORK / "biblioteca").is_dir():
        print("preparando a biblioteca de modelos (redator offline)...", flush=True)
        seed_library(WORK / "biblioteca", load_regua(WORK / "regua.yaml"))
    return WORK


def _portfolio(rows: int) -> Path:
    from cobranca_kit.batch.sample import write_sample

    path = WORK / f"carteira_{rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_sample(path, rows, run_date=RUN_DATE, seed=11)
        print(f"carteira de {rows:,} linhas gerada em {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def _peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def case(rows: int, processes: int, files: bool) -> dict:
    """One measured run (called in a child process)."""
    from cobranca_kit.batch.pipeline import BatchSettings, run_batch
    from cobranca_kit.config import load_config

    config = load_config(WORK / "cobranca.toml")
    settings = BatchSettings(
        carteira=WORK / f"carteira_{rows}.csv",
        data=RUN_DATE,
        hora=dt.time(7),
        saida=WORK / "runs",
        dry_run=True,
        processos=processes,
        write_eml=files,
        write_payloads=files,
    )
    t0 = time.perf_counter()
    result = run_batch(settings, config)
    seconds = time.perf_counter() - t0
    me, kids = _peak_mb()
    cpu_main = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    cpu_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    shutil.rmtree(result.folder)
    return {
        "linhas": rows,
        "processos": processes,
        "segundos": seconds,
        "linhas_s": rows / seconds,
        "mensagens": result.summary["contagens"]["por_status"]["agendada"],
        "pico_mb": me,
        "pico_trabalhador_mb": kids,
        "cpu_principal_s": cpu_main,
        "cpu_trabalhadores_s": cpu_workers,
    }


def bare(rows: int) -> dict:
    """Render one compiled template for the same (validated) rows, nothing else."""
    from cobranca_kit.batch.plan import BRT, Planner, PlanSettings
    from cobranca_kit.batch.portfolio import Debtor, read_raw_chunks, validate_row
    from cobranca_kit.batch.regua import load_regua
    from cobranca_kit.config import load_config
    from cobranca_kit.library import Library
    from cobranca_kit.library.render import compile_template, render_compiled

    config = load_config(WORK / "cobranca.toml")
    run_time = dt.datetime.combine(RUN_DATE, dt.time(7), tzinfo=BRT)
    planner = Planner(PlanSettings(run_time, load_regua(WORK / "regua.yaml"), config, WORK / "biblioteca"))
    template = Library(WORK / "biblioteca").find("nenhuma", "amigavel", "whatsapp", "vencimento")
    compiled = compile_template(template)
    data = []
    for chunk in read_raw_chunks(WORK / f"carteira_{rows}.csv"):
        for line, raw in zip(chunk.lines, chunk.rows, strict=True):
            debtor = validate_row(raw, line, RUN_DATE)
            if isinstance(debtor, Debtor) and debtor.valor_atualizado is not None:
                data.append(planner.render_data(debtor, (RUN_DATE - debtor.vencimento).days))
            if len(data) >= BARE_ROWS:
                break
        if len(data) >= BARE_ROWS:
            break
    t0 = time.perf_counter()
    for item in data:
        render_compiled(compiled, item)
    seconds = time.perf_counter() - t0
    return {"linhas": len(data), "linhas_s": len(data) / seconds}


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--linhas", default="10000,100000", help="tamanhos separados por vírgula")
    parser.add_argument(
        "--processos", default="", help="processos, ex. 1,2 (padrão: 1 e 2 em 10k, 1 no resto)"
    )
    parser.add_argument("--com-1m", action="store_true", help="inclui 1.000.000 de linhas")
    parser.add_argument("--arquivos", action="store_true", help="grava também .eml e payloads do WhatsApp")
    parser.add_argument("--caso", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--puro", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.caso:
        print(json.dumps(case(args.caso[0], args.caso[1], args.arquivos)))
        return
    if args.puro:
        print(json.dumps(bare(args.puro)))
        return

    _workspace()
    sizes = [int(s) for s in args.linhas.split(",") if s.strip()]
    if args.com_1m:
        sizes.append(1_000_000)
    print(
        f"{'linhas':>10} {'proc':>4} {'tempo s':>9} {'linhas/s':>10} {'puro/s':>10} {'razão':>6} "
        f"{'pico MB':>8} {'pico trab. MB':>13} {'CPU princ. s':>12} {'CPU trab. s':>11}"
    )
    for rows in sizes:
        _portfolio(rows)
        reference = _child(["--puro", str(rows)])
        procs = (
            [int(p) for p in args.processos.split(",")]
            if args.processos
            else ([1, 2] if rows <= 10_000 else [1])
        )
        for processes in procs:
            extra = ["--arquivos"] if args.arquivos else []
            result = _child(["--caso", str(rows), str(processes), *extra])
            print(
                f"{rows:>10,} {processes:>4} {result['segundos']:>9.1f} {result['linhas_s']:>10,.0f} "
                f"{reference['linhas_s']:>10,.0f} {result['linhas_s'] / reference['linhas_s']:>6.2f} "
                f"{result['pico_mb']:>8.0f} {result['pico_trabalhador_mb']:>13.0f} "
                f"{result['cpu_principal_s']:>12.1f} {result['cpu_trabalhadores_s']:>11.1f}",
                flush=True,
            )
    print(
        "razão = linhas/s do lote completo (ler, validar, planejar, montar, verificar, gravar CSV e Parquet)"
    )
    print("        dividido pelas linhas/s do laço puro que só monta o mesmo modelo para as mesmas linhas.")
    print("CPU princ./trab. = segundos de CPU do processo principal e dos processos trabalhadores;")
    print("        numa máquina carregada, compare-os com o tempo de relógio.")


if __name__ == "__main__":
    main()
