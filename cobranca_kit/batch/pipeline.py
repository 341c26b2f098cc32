"""One batch run end to end, without the notebook: portfolio -> plan -> caps -> files.

:func:`run_batch` is what the notebook, the benchmark and the tests call. It
streams the portfolio in chunks (optionally planned in ``processos`` worker
processes), applies the frequency caps against the contact ledger in this
process, writes the outputs into a staging folder and publishes it.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cobranca_kit.batch.experiments import HOLDOUT, HOLDOUT_CATEGORY, ActiveExperiment, prepare_experiments
from cobranca_kit.batch.identities import IdentityGuard
from cobranca_kit.batch.ledger import Contact, Ledger
from cobranca_kit.batch.outputs import RunWriter, SpilledMessages, encode_messages, staging_dir
from cobranca_kit.batch.plan import BRT, ChunkPlan, PlannedMessage, Planner, PlanSettings, Skipped, apply_caps
from cobranca_kit.batch.portfolio import (
    DEFAULT_CHUNK_ROWS,
    CsvBlock,
    RawChunk,
    count_rows,
    csv_blocks,
    file_sha256,
    read_raw_chunks,
)
from cobranca_kit.batch.regua import BATCH_CHANNELS, load_regua, regua_fingerprint
from cobranca_kit.batch.runlock import DEFAULT_WAIT_S, RunLock, held_for, reconcile, spill_dir
from cobranca_kit.batch.workshare import die_with_parent, in_order
from cobranca_kit.config import Config, load_config
from cobranca_kit.errors import BatchError, describe_os_error

SUMMARY_VERSION = 1
STATUSES = ("agendada", "adiada", "ignorada", "ja_planejada", "rejeitada", "sem_etapa_hoje")


@dataclass
class BatchSettings:
    """The parameters of one run (the notebook's ``parameters`` cell, the CLI options)."""

    carteira: Path
    data: dt.date | None = None
    hora: dt.time | None = None
    regua: Path | None = None
    biblioteca: Path | None = None
    saida: Path | None = None
    ledger: Path | None = None
    dry_run: bool = False
    canais: list[str] | None = None
    colunas: dict[str, str] = field(default_factory=dict)
    processos: int = 1
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    run_id: str | None = None
    staging: Path | None = None
    publish: bool = True
    write_eml: bool = True
    write_payloads: bool = True
    espera_s: float | None = DEFAULT_WAIT_S  # wait for a run holding the ledger (None: no limit)

    def run_time(self) -> dt.datetime:
        now = dt.datetime.now(BRT)
        if self.data is None and self.hora is None:
            return now.replace(second=0, microsecond=0)
        day = self.data or now.date()
        hour = self.hora or (now.time().replace(second=0, microsecond=0) if day == now.date() else dt.time(8))
        return dt.datetime.combine(day, hour, tzinfo=BRT)


@dataclass
class RunResult:
    run_id: str
    folder: Path
    summary: dict[str, Any]


def new_run_id(run_time: dt.datetime, runs_dir: Path, dry_run: bool) -> str:
    """``2026-11-23_0800_143501`` (run date and time, then wall-clock time for uniqueness)."""
    stamp = dt.datetime.now(BRT).strftime("%H%M%S")
    base = f"{run_time:%Y-%m-%d_%H%M}_{stamp}" + ("_simulacao" if dry_run else "")
    candidate, n = base, 1
    while (runs_dir / candidate).exists() or staging_dir(runs_dir, candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def resolve_paths(settings: BatchSettings, config: Config) -> tuple[Path, Path, Path, Path]:
    """(régua, library, runs folder, ledger), from the settings or else the config."""
    regua = settings.regua or config.path("regua")
    if settings.regua is None and not regua.is_file():
        regua = None  # type: ignore[assignment]  # packaged default
    library = settings.biblioteca or config.path("biblioteca")
    runs = settings.saida or config.path("execucoes")
    ledger = settings.ledger or config.path("ledger")
    return regua, library, runs, ledger  # type: ignore[return-value]


@dataclass
class CheckedInputs:
    empresa: Any
    regua: Any
    canais: tuple[str, ...] | None
    carteira: Path


def check_inputs(settings: BatchSettings, config: Config, *, library_given: bool = False) -> CheckedInputs:
    """Check what a run needs before anything starts (``executar`` calls it before the
    notebook, so a missing file leaves no failed run folder): the creditor in the
    config, the régua, the channels, the portfolio, the library, a writable runs folder."""
    empresa = config.require_empresa()
    regua_path, library_path, runs_dir, _ = resolve_paths(settings, config)
    regua = load_regua(regua_path)
    canais = tuple(settings.canais) if settings.canais else None
    if canais:
        bad = [c for c in canais if c not in BATCH_CHANNELS]
        if bad:
            raise BatchError(
                f"canal desconhecido em 'canais': {', '.join(bad)} (use {', '.join(BATCH_CHANNELS)})"
            )
    carteira = Path(settings.carteira)
    if not carteira.is_file():
        raise BatchError(f"carteira não encontrada: {carteira}")
    if not library_given and not library_path.exists():
        raise BatchError(f"biblioteca de modelos não encontrada: {library_path}")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"pasta das execuções: {describe_os_error(exc)}") from exc
    if not os.access(runs_dir, os.W_OK | os.X_OK):
        raise BatchError(
            f"a pasta das execuções {runs_dir} não permite gravação; "
            "rode numa pasta de trabalho gravável ou ajuste [pastas] execucoes"
        )
    return CheckedInputs(empresa, regua, canais, carteira)


# Worker-process state: one Planner per process, built once; pieces spilled so far.
_WORKER: Planner | None = None
_SPILLED = 0

# Rows a portfolio needs per process before another process pays for itself (its
# start, and the template checks and formatting caches it fills on its own).
MIN_ROWS_PER_PROCESS = 20_000


def processes_for(carteira: Path, requested: int) -> int:
    """How many of the ``requested`` processes this portfolio is worth: a small one runs
    in fewer (the files are the same whatever the number)."""
    if requested <= 1:
        return 1
    rows = count_rows(carteira)
    if rows is None:
        return requested
    return max(1, min(requested, rows // MIN_ROWS_PER_PROCESS))


# Rows per task sent to a worker: small enough that the last tasks of a run keep
# every worker busy (a 100k-row file in 20k-row chunks is 5 tasks for 2 workers),
# large enough that the per-task overhead stays negligible.
WORKER_TASK_ROWS = 2_000


def _init_worker(plan_settings: PlanSettings, parent: int | None = None, spill: Path | None = None) -> None:
    global _WORKER
    if parent is not None:
        die_with_parent(parent, spill)
    if _WORKER is None or _WORKER.settings != plan_settings:  # not inherited from the parent
        _WORKER = Planner(plan_settings)


def _task_chunk(task: RawChunk | CsvBlock) -> RawChunk:
    return task.chunk() if isinstance(task, CsvBlock) else task


def _plan_in_worker(task: RawChunk | CsvBlock, spill_dir: Path) -> ChunkPlan:
    """Parse (a block of CSV lines), plan and encode the file rows here, so the
    writing process only applies the caps and copies bytes. The rows travel in a
    file of ``spill_dir`` (:meth:`EncodedMessages.spill`); the rest is small."""
    global _SPILLED
    assert _WORKER is not None
    plan = _WORKER.plan_chunk(_task_chunk(task))
    _SPILLED += 1
    plan.encoded = encode_messages(plan.messages).spill(spill_dir / f"{os.getpid()}-{_SPILLED}.pedaco")
    for message in plan.messages:
        message.parts = []  # already in ``plan.encoded``; not needed for caps and counts
    return plan


def split_chunk(chunk: RawChunk, rows: int) -> Iterator[RawChunk]:
    """Consecutive pieces of at most ``rows`` rows, keeping the line numbers."""
    if len(chunk) <= rows:
        yield chunk
        return
    for start in range(0, len(chunk), rows):
        yield chunk.slice(start, start + rows)


def _worker_tasks(carteira: Path, colunas: dict[str, str], chunk_rows: int) -> Iterator[RawChunk | CsvBlock]:
    """Worker tasks in file order: blocks of CSV lines when the file allows it (the
    workers parse them), else pieces of the chunks read here."""
    piece = max(1, min(WORKER_TASK_ROWS, chunk_rows))
    blocks = csv_blocks(carteira, colunas, piece)
    if blocks is not None:
        yield from blocks
        return
    for chunk in read_raw_chunks(carteira, colunas, chunk_rows):
        yield from split_chunk(chunk, piece)


def _planned_chunks(
    settings: BatchSettings,
    plan_settings: PlanSettings,
    processes: int,
    library: Any | None,
    spill: Path | None = None,
) -> Iterator[ChunkPlan]:
    """Plan chunks in order, in this process alone or with ``processes - 1`` workers.

    With workers, this process first loads what no row decides (holiday calendars,
    the compliance rules unless kept verdicts answer: :meth:`Planner.warm_up`), and workers
    started by fork inherit it instead of each paying for it. What rows decide
    (which templates get checked, which values get formatted) is computed in
    the process that meets it, side by side rather than before the fork.
    Afterwards this process reads the file into tasks, applies the caps and
    writes, and plans a piece itself whenever the next one to write is not back
    from a worker yet (:func:`~cobranca_kit.batch.workshare.in_order`); workers
    parse, plan and encode. Their pieces travel through ``spill`` (a hidden folder of
    the runs folder, removed at the end; workers die with this process and remove it).
    """
    global _WORKER
    with _collector_tuned() as freeze:
        if processes <= 1:
            planner = Planner(plan_settings, library=library)
            for chunk in read_raw_chunks(settings.carteira, settings.colunas, settings.chunk_rows):
                plan = planner.plan_chunk(chunk)
                freeze()  # after the first chunk: the caches are full
                yield plan
            planner.resolver.verdicts.save()
            return
        tasks = _worker_tasks(Path(settings.carteira), settings.colunas, settings.chunk_rows)
        _WORKER = planner = Planner(plan_settings)
        try:
            planner.warm_up()
            freeze()  # before the fork, so the workers inherit a frozen heap
            workers = processes - 1
            if spill is None:
                raise BatchError("pasta dos pedaços não definida para processos > 1")
            spill.mkdir(parents=True, exist_ok=True)
            pool = ProcessPoolExecutor(
                max_workers=workers, initializer=_init_worker, initargs=(plan_settings, os.getpid(), spill)
            )
            try:
                yield from in_order(
                    tasks,
                    lambda task: pool.submit(_plan_in_worker, task, spill),
                    lambda task: planner.plan_chunk(_task_chunk(task)),
                    workers,
                )
                pool.shutdown(wait=True)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # queued pieces are not planned for nothing
                raise
            finally:
                shutil.rmtree(spill, ignore_errors=True)
            planner.resolver.verdicts.save()  # this process's new verdicts (a worker's are computed again)
        finally:
            _WORKER = None


# Live container objects allowed before a young collection while a run plans. A run
# makes almost no cyclic garbage (rows, messages and rendered texts are freed by
# reference counting), so collecting at the default 700 only rescans the live chunk,
# again and again; this bound still caps what cyclic garbage could pile up.
GC_YOUNG_THRESHOLD = 1_000_000


@contextmanager
def _collector_tuned() -> Iterator[Callable[[], None]]:
    """The cyclic garbage collector tuned for a run, restored afterwards.

    Young objects are collected less often, and the returned ``freeze()`` moves
    every object alive at that moment (modules, compliance rules, compiled
    templates and caches, once a first chunk is planned) out of the collector's
    reach: full collections then scan only what the run creates since, and workers
    forked afterwards do not write to (and so copy) the pages of the objects they
    inherit. Objects are still freed by reference counting as usual.
    """
    saved = gc.get_threshold()
    frozen = False

    def freeze() -> None:
        nonlocal frozen
        if not frozen:
            gc.freeze()
            frozen = True

    gc.set_threshold(max(saved[0], GC_YOUNG_THRESHOLD), *saved[1:])
    try:
        yield freeze
    finally:
        if frozen:
            gc.unfreeze()
        gc.set_threshold(*saved)


def run_batch(
    settings: BatchSettings,
    config: Config | None = None,
    *,
    library: Any | None = None,
    progress: bool = False,
) -> RunResult:
    """Run the batch; returns the published run folder and the summary.

    ``library`` lets tests pass an in-memory library (single process only). A failed
    file operation (read-only folder, full disk) becomes a pt-BR :class:`BatchError`.
    """
    try:
        return _run_batch(settings, config, library=library, progress=progress)
    except OSError as exc:
        raise BatchError(describe_os_error(exc)) from exc


def _run_batch(
    settings: BatchSettings,
    config: Config | None,
    *,
    library: Any | None,
    progress: bool,
) -> RunResult:
    started = time.perf_counter()
    config = config or load_config()
    checked = check_inputs(settings, config, library_given=library is not None)
    empresa, regua, canais, carteira = checked.empresa, checked.regua, checked.canais, checked.carteira
    regua_path, library_path, runs_dir, ledger_path = resolve_paths(settings, config)
    run_time = settings.run_time()
    experiments, experiment_notes = _experiments(regua, library, library_path, ledger_path, run_time, config)
    plan_settings = PlanSettings(
        run_time=run_time,
        regua=regua,
        config=config,
        library_path=library_path,
        channels=canais,
        write_eml=settings.write_eml,
        write_payloads=settings.write_payloads,
        experiments=experiments,
    )
    if library is not None and settings.processos > 1:
        raise BatchError("uma biblioteca em memória só funciona com processos = 1")
    processes = processes_for(carteira, settings.processos)
    # One run at a time per ledger, from planning until published and complete (the
    # papermill wrapper already holds it for the run its kernel carries out).
    run_lock = (
        None
        if held_for(ledger_path, settings.run_id)
        else RunLock(ledger_path, settings.run_id, wait_s=settings.espera_s)
    )
    if run_lock is not None:
        run_lock.acquire()
    try:
        if run_lock is not None:
            reconcile(ledger_path, runs_dir, dry_run=settings.dry_run)
        # Chosen with the lock held: runs started in the same second get different ids.
        run_id = settings.run_id or new_run_id(run_time, runs_dir, settings.dry_run)
        if run_lock is not None:
            run_lock.claim(run_id)
        return _run_locked(
            settings,
            config,
            library,
            progress,
            started,
            empresa.nome,
            regua_path,
            library_path,
            runs_dir,
            ledger_path,
            run_id,
            run_time,
            carteira,
            plan_settings,
            processes,
            experiment_notes,
        )
    finally:
        if run_lock is not None:
            run_lock.release()


def _run_locked(
    settings: BatchSettings,
    config: Config,
    library: Any | None,
    progress: bool,
    started: float,
    credor: str,
    regua_path: Path | None,
    library_path: Path,
    runs_dir: Path,
    ledger_path: Path,
    run_id: str,
    run_time: dt.datetime,
    carteira: Path,
    plan_settings: PlanSettings,
    processes: int,
    experiment_notes: list[dict[str, Any]],
) -> RunResult:
    """The body of :func:`run_batch`, with the run lock held."""
    counts: dict[str, Counter[str]] = {
        k: Counter()
        for k in (
            "status",
            "estagio",
            "canal",
            "modelo",
            "rejeitados_por_campo",
            "rejeitados_por_categoria",
            "ignorados_por_categoria",
            "adiados_por_canal",
            "devedores_por_estagio",
            "horario",
            "decisoes",
        )
    }
    totals = Counter()
    slots: Counter[tuple[dt.datetime, Any]] = Counter()
    writer = RunWriter(runs_dir, run_id, staging=settings.staging)
    write_s = 0.0
    planned_now: dict[str, list[dt.datetime]] = {}
    ledger = Ledger(ledger_path, run_id, run_time.date(), dry_run=settings.dry_run, folder=writer.final_dir)
    identities = IdentityGuard()
    bar = _progress_bar(carteira) if progress else None
    spill = spill_dir(runs_dir, run_id)
    experiments = plan_settings.experiments
    assigned: Counter[tuple[str, str]] = Counter()
    try:
        with ledger, _assignment_recorder(experiments, ledger_path, run_id, run_time, settings) as recorder:
            for piece in _planned_chunks(settings, plan_settings, processes, library, spill):
                plan = identities.set_aside(piece)  # an id reused by another person
                totals["lidas"] += plan.read
                totals["aceitas"] += plan.accepted
                totals["rejeitadas"] += len(plan.rejected)
                for stage, n in plan.off_schedule.items():
                    counts["devedores_por_estagio"][stage] += n
                counts["status"]["sem_etapa_hoje"] += sum(plan.off_schedule.values())
                accepted, keep, deferred, skipped = _apply_ledger(plan, ledger, planned_now, config)
                # Counter.update counts in C and keeps first-seen key order (the summary's order).
                counts["rejeitados_por_campo"].update([r.field for r in plan.rejected])
                counts["rejeitados_por_categoria"].update([r.category for r in plan.rejected])
                counts["ignorados_por_categoria"].update([s.category for s in skipped])
                counts["devedores_por_estagio"].update([s.stage for s in skipped])
                counts["adiados_por_canal"].update([d.channel for d in deferred])
                counts["devedores_por_estagio"].update([d.stage for d in deferred])
                stages = [m.stage for m in accepted]
                counts["estagio"].update(stages)
                counts["canal"].update([m.channel for m in accepted])
                for (ident, version), n in Counter(
                    [(m.template_id, m.template_version) for m in accepted]
                ).items():
                    counts["modelo"][f"{ident}@v{version}"] += n
                counts["devedores_por_estagio"].update(stages)
                # keyed with the zone: equal instants in two states read as different hours
                slots.update([(m.scheduled_at, m.scheduled_at.tzinfo) for m in accepted])
                counts["status"]["agendada"] += len(accepted)
                counts["status"]["adiada"] += len(deferred)
                counts["status"]["rejeitada"] += len(plan.rejected)
                for s in skipped:
                    counts["status"]["ja_planejada" if s.category == "ja_planejada" else "ignorada"] += 1
                t0 = time.perf_counter()
                if not ledger.dry_run:  # a dry run records nothing
                    ledger.record(
                        [Contact(m.debtor_id, m.debt, m.step, m.channel, m.scheduled_at) for m in accepted]
                    )
                if experiments:
                    _record_assignments(experiments, accepted, skipped, recorder, assigned)
                encoded = plan.encoded
                if encoded is None:
                    encoded = encode_messages(plan.messages)
                elif isinstance(encoded, SpilledMessages):
                    encoded = encoded.load()
                writer.write_encoded(plan.messages, encoded, keep)
                writer.write_rejected(plan.rejected)
                writer.write_deferred(deferred)
                writer.write_skipped(skipped)
                writer.write_decisions(plan.messages)
                counts["decisoes"].update([m.fallback for m in plan.messages if m.fallback])
                write_s += time.perf_counter() - t0
                if bar is not None:
                    bar.update(plan.read)
            writer.close()
            for (when, _zone), n in slots.items():  # few distinct send slots: format each once
                counts["horario"][when.strftime("%Y-%m-%d %H:00")] += n
            summary = _summary(
                settings,
                config,
                run_id,
                run_time,
                carteira,
                regua_path,
                library_path,
                totals,
                counts,
                started,
                write_s,
                ledger,
                credor,
                library,
                processes,
            )
            if experiment_notes:
                summary["experimentos"] = _experiment_summary(experiment_notes, assigned, recorder)
            writer.write_summary(summary)
            if settings.publish:
                folder = writer.publish()
                ledger.complete()
            else:
                folder = writer.dir
    except BaseException:
        if settings.publish:
            writer.abort()
        else:
            writer.close()
        raise
    finally:
        if bar is not None:
            bar.close()
    return RunResult(run_id, folder, summary)


def _experiments(
    regua: Any, library: Any, library_path: Path, ledger_path: Path, run_time: dt.datetime, config: Config
) -> tuple[tuple[ActiveExperiment, ...], list[dict[str, Any]]]:
    """The régua's experiments checked against the library; a fallback is announced on stderr."""
    if not any(step.experimento for step in regua.passos):
        return (), []
    from cobranca_kit.library import Library

    lib = library if library is not None else Library(library_path)
    active, notes = prepare_experiments(
        regua, lib, ledger_path, run_time.date(), config.experimentos.dias_atribuicao
    )
    for note in notes:
        if not note["ativo"]:
            print(
                f"aviso: experimento '{note['id']}' (passo {note['passo']}) desligado: {note['motivo']}",
                file=sys.stderr,
            )
    return active, notes


@contextmanager
def _assignment_recorder(
    experiments: tuple[ActiveExperiment, ...],
    ledger_path: Path,
    run_id: str,
    run_time: dt.datetime,
    settings: BatchSettings,
) -> Iterator[Any]:
    """Where assignments go: the ledger file (nothing for a dry run or without experiments)."""
    if not experiments or settings.dry_run:
        yield None
        return
    from cobranca_kit.results.store import AssignmentRecorder

    with AssignmentRecorder(ledger_path, run_id, run_time.date()) as recorder:
        for exp in experiments:
            recorder.weights(exp.id, {a.name: a.weight for a in exp.arms}, exp.allocation)
        yield recorder


def _record_assignments(
    experiments: tuple[ActiveExperiment, ...],
    accepted: list[PlannedMessage],
    skipped: list[Skipped],
    recorder: Any,
    assigned: Counter[tuple[str, str]],
) -> None:
    from cobranca_kit.results.store import Assignment

    by_step = {e.step_id: e.id for e in experiments}
    rows = [
        Assignment(
            m.experiment,
            m.step,
            m.debtor_id,
            m.debt,
            m.variant,
            f"{m.template_id}@v{m.template_version}",
            m.channel,
            True,
        )
        for m in accepted
        if m.experiment
    ]
    rows += [
        Assignment(by_step[s.step], s.step, s.debtor_id, "", HOLDOUT, "", "", False)
        for s in skipped
        if s.category == HOLDOUT_CATEGORY
    ]
    assigned.update((a.experiment, a.variant) for a in rows)
    if recorder is not None:
        recorder.record(rows)


def _experiment_summary(
    notes: list[dict[str, Any]], assigned: Counter[tuple[str, str]], recorder: Any
) -> list[dict[str, Any]]:
    out = []
    for note in notes:
        entry = dict(note)
        if note["ativo"]:
            entry["atribuidos"] = {arm: assigned[(note["id"], arm)] for arm in note["pesos"]}
        entry["registro_gravado"] = recorder is not None
        out.append(entry)
    return out


def _apply_ledger(
    plan: ChunkPlan, ledger: Ledger, planned_now: dict[str, list[dt.datetime]], config: Config
) -> tuple[list[PlannedMessage], list[bool], list[Any], list[Skipped]]:
    """Idempotency (same debt and step already planned) and frequency caps.

    Returns the accepted messages, a keep flag per message of ``plan.messages``,
    the deferred and the skipped.
    """
    history = ledger.history(m.debtor_id for m in plan.messages)
    accepted: list[PlannedMessage] = []
    keep: list[bool] = []
    deferred = []
    skipped = list(plan.skipped)
    for message in plan.messages:
        keep.append(False)
        past = history.get(message.debtor_id)
        if past is None and not message.last_contacts and message.debtor_id not in planned_now:
            # No earlier contact at all: nothing to cap (``apply_caps`` would return None).
            planned_now[message.debtor_id] = [message.scheduled_at]
            accepted.append(message)
            keep[-1] = True
            continue
        if past is not None and (message.debt, message.step) in past.done_steps:
            run = past.run_for(message.debt, message.step)
            skipped.append(
                Skipped(
                    message.line,
                    message.debtor_id,
                    message.step,
                    message.stage,
                    "ja_planejada",
                    f"este passo já foi planejado para esta dívida na execução {run}",
                )
            )
            continue
        contacts = [*(past.contacts if past else ()), *planned_now.get(message.debtor_id, ())]
        waiting = apply_caps(message, contacts, config)
        if waiting is not None:
            deferred.append(waiting)
            continue
        planned_now.setdefault(message.debtor_id, []).append(message.scheduled_at)
        accepted.append(message)
        keep[-1] = True
    return accepted, keep, deferred, skipped


def _templates_used(refs: list[str], library_path: Path, library: Any | None) -> list[dict[str, Any]]:
    """Id, version, channel and approval of every template version the run used."""
    from cobranca_kit.library import Library

    lib = library if library is not None else Library(library_path)
    out = []
    for ref in refs:
        ident, _, version = ref.rpartition("@v")
        template = lib.get(ident, int(version))
        out.append(
            {
                "ref": ref,
                "id": ident,
                "versao": int(version),
                "canal": template.channel,
                "status": template.status,
                "aprovado_por": template.approved_by,
                "aprovado_em": template.approved_at.isoformat() if template.approved_at else None,
            }
        )
    return out


# Distinct reasons listed in ``resumo.json`` (every debtor is in ``decisoes.csv``).
MAX_DECISION_REASONS = 50


def _decisions(reasons: Counter[str], lib: Any) -> dict[str, Any]:
    """What the run decided on its own: debtors moved to another channel (and why), and
    library files it could not read (an approved template there is invisible to the run)."""
    return {
        "arquivo": "decisoes.csv",
        "outro_canal": sum(reasons.values()),
        "por_motivo": dict(reasons.most_common(MAX_DECISION_REASONS)),
        "biblioteca_com_problemas": [
            {"arquivo": str(path), "motivo": reason} for path, reason in getattr(lib, "problems", [])
        ],
    }


def _progress_bar(path: Path) -> Any:
    from tqdm.auto import tqdm

    return tqdm(desc="linhas", unit=" linhas", leave=True)


def _summary(
    settings: BatchSettings,
    config: Config,
    run_id: str,
    run_time: dt.datetime,
    carteira: Path,
    regua_path: Path | None,
    library_path: Path,
    totals: Counter[str],
    counts: dict[str, Counter[str]],
    started: float,
    write_s: float,
    ledger: Ledger,
    credor: str,
    library: Any | None,
    processes: int,
) -> dict[str, Any]:
    read, accepted, rejected = totals["lidas"], totals["aceitas"], totals["rejeitadas"]
    if read != accepted + rejected:
        raise BatchError(
            f"contagem inconsistente: {read} linhas lidas, {accepted} aceitas e {rejected} rejeitadas"
        )
    status = counts["status"]
    outcome = status["agendada"] + status["adiada"] + status["ignorada"] + status["ja_planejada"]
    if accepted != outcome + status["sem_etapa_hoje"]:
        raise BatchError(
            f"contagem inconsistente: {accepted} linhas aceitas, mas {outcome + status['sem_etapa_hoje']} "
            "com destino (agendada, adiada, ignorada, já planejada ou sem etapa hoje)"
        )
    from cobranca_kit.library import Library

    lib = library if library is not None else Library(library_path)  # one scan for both lists
    total_s = time.perf_counter() - started
    return {
        "versao_resumo": SUMMARY_VERSION,
        "execucao": run_id,
        "data_execucao": run_time.date().isoformat(),
        "hora_execucao": run_time.isoformat(timespec="minutes"),
        "simulacao": settings.dry_run,
        "credor": credor,
        "entrada": {
            "arquivo": str(carteira),
            "sha256": file_sha256(carteira),
            "colunas": dict(settings.colunas),
        },
        "regua": {
            "arquivo": str(regua_path or "(padrão do cobranca-kit)"),
            "hash": regua_fingerprint(regua_path),
        },
        "biblioteca": str(library_path),
        "config_hash": config.fingerprint(),
        "linhas": {
            "lidas": read,
            "aceitas": accepted,
            "rejeitadas": rejected,
            "conferencia": "lidas = aceitas + rejeitadas",
        },
        "contagens": {
            "por_status": {k: status[k] for k in STATUSES},
            "por_estagio": dict(counts["estagio"]),
            "por_canal": dict(counts["canal"]),
            "por_modelo": dict(counts["modelo"]),
            "devedores_por_estagio": dict(counts["devedores_por_estagio"]),
            "rejeitados_por_campo": dict(counts["rejeitados_por_campo"]),
            "rejeitados_por_categoria": dict(counts["rejeitados_por_categoria"]),
            "ignorados_por_categoria": dict(counts["ignorados_por_categoria"]),
            "adiados_por_canal": dict(counts["adiados_por_canal"]),
            "envios_por_hora": dict(sorted(counts["horario"].items())),
        },
        "modelos_usados": _templates_used(sorted(counts["modelo"]), library_path, lib),
        "decisoes": _decisions(counts["decisoes"], lib),
        "registro_contatos": {
            "arquivo": str(ledger.path),
            "contatos_gravados": ledger.recorded,
            "gravado": not settings.dry_run,
        },
        "processos": settings.processos,
        "processos_usados": processes,
        "duracao_s": {
            "total": round(total_s, 3),
            "escrita": round(write_s, 3),
            "leitura_e_planejamento": round(total_s - write_s, 3),
        },
        "linhas_por_segundo": round(read / total_s, 1) if total_s > 0 else None,
    }
