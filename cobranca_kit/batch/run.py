"""The scheduled run: execute ``notebooks/02_conjunto_mensagens.ipynb`` with papermill.

The notebook writes the run's files into a staging folder; this wrapper adds
the executed notebook and its HTML export, then publishes the folder as
``runs/<run-id>`` and marks the run complete in the contact ledger. When a cell
fails, the folder becomes ``runs/<run-id>.falhou`` (with the executed notebook,
for diagnosis), the run's contacts are discarded and a :class:`BatchError`
names the failing cell, so the CLI exits non-zero.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from cobranca_kit.batch.ledger import check_ledger, mark_run
from cobranca_kit.batch.outputs import mark_failed, publish, staging_dir
from cobranca_kit.batch.pipeline import BatchSettings, check_inputs, new_run_id, resolve_paths
from cobranca_kit.batch.runlock import RunLock, reconcile
from cobranca_kit.config import Config
from cobranca_kit.datafiles import check_aliases
from cobranca_kit.errors import BatchError, CobrancaKitError, describe_os_error

NOTEBOOK_NAME = "02_conjunto_mensagens.ipynb"


def _find_notebook() -> Path:
    """The batch notebook: the copy packaged in the wheel, else the checkout's."""
    packaged = Path(__file__).resolve().parents[1] / "_notebooks" / NOTEBOOK_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK_NAME


NOTEBOOK_PATH = _find_notebook()
KERNEL_NAME = "python3"
PARAMETERS_FILE = "parametros.yaml"

# Notebook parameters a user may set with ``-p chave valor`` (besides the CLI options).
PARAMETER_KEYS = (
    "carteira",
    "data",
    "hora",
    "regua",
    "biblioteca",
    "saida",
    "simulacao",
    "canais",
    "colunas",
    "processos",
    "config",
)


class NotebookFailed(BatchError):
    """A notebook cell raised: the message names the cell and the kept notebook."""

    exit_code = 1


@dataclass
class NotebookRun:
    run_id: str
    folder: Path
    summary: dict[str, Any]
    html: Path | None


def notebook_parameters(
    settings: BatchSettings, config: Config, run_id: str, staging: Path
) -> dict[str, Any]:
    """The values of the notebook's ``parameters`` cell (plain YAML types only)."""
    regua, library, runs, ledger = resolve_paths(settings, config)
    return {
        "carteira": str(Path(settings.carteira).resolve()),
        "data": settings.data.isoformat() if settings.data else "",
        "hora": settings.hora.strftime("%H:%M") if settings.hora else "",
        "regua": str(regua.resolve()) if regua else "",
        "biblioteca": str(library.resolve()),
        "saida": str(runs.resolve()),
        "registro_contatos": str(ledger.resolve()),
        "simulacao": settings.dry_run,
        "canais": list(settings.canais or []),
        "colunas": dict(settings.colunas),
        "processos": settings.processos,
        "config": str(config.source.resolve()) if config.source else "",
        "execucao": run_id,
        "pasta_execucao": str(staging.resolve()),
    }


def run_notebook(
    settings: BatchSettings,
    config: Config,
    *,
    notebook: Path = NOTEBOOK_PATH,
    progress: bool = True,
    html: bool = True,
) -> NotebookRun:
    """Execute the batch notebook for ``settings`` and publish the run folder.

    The inputs are checked first (no kernel, no folder for a missing file); the run
    lock (:mod:`cobranca_kit.batch.runlock`) is held from before the kernel starts
    until the folder is published and the run marked complete.
    """
    if not notebook.is_file():
        raise BatchError(f"caderno não encontrado: {notebook}")
    check_inputs(settings, config)  # before the kernel starts: a bad input leaves no failed run
    _, _, runs_dir, ledger_path = resolve_paths(settings, config)
    run_time = settings.run_time()  # fixed once, so the run id and the notebook agree
    settings = replace(settings, data=run_time.date(), hora=run_time.time())
    # Held until the run is published and marked complete; the kernel sees it is held for its run.
    with RunLock(ledger_path, settings.run_id, wait_s=settings.espera_s) as lock:
        check_ledger(ledger_path)  # a corrupt ledger is said plainly, before the kernel starts
        reconcile(ledger_path, runs_dir, dry_run=settings.dry_run)
        # Chosen with the lock held: runs started in the same second get different ids.
        run_id = settings.run_id or new_run_id(run_time, runs_dir, settings.dry_run)
        lock.claim(run_id)
        try:
            return _run_notebook_locked(
                settings, config, notebook, run_id, runs_dir, ledger_path, progress, html
            )
        except OSError as exc:
            raise BatchError(describe_os_error(exc)) from exc


def _run_notebook_locked(
    settings: BatchSettings,
    config: Config,
    notebook: Path,
    run_id: str,
    runs_dir: Path,
    ledger_path: Path,
    progress: bool,
    html: bool,
) -> NotebookRun:
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    staging = staging_dir(runs_dir, run_id)
    staging.mkdir(parents=True)
    params = notebook_parameters(settings, config, run_id, staging)
    params_file = staging / PARAMETERS_FILE
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    executed = staging / notebook.name
    try:
        pm.execute_notebook(
            str(notebook),
            str(executed),
            parameters=yaml.safe_load(params_file.read_text(encoding="utf-8")),
            kernel_name=KERNEL_NAME,
            progress_bar=progress,
            cwd=str(config.base_dir),
            report_mode=False,
            # The kernel's own start/stop chatter (TCP notice, shutdown interrupt) is
            # not the user's business; cell errors still surface through papermill.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        failed = _discard(staging, runs_dir, run_id, ledger_path, settings.dry_run)
        kept = failed / notebook.name if failed else executed
        ours = _kit_error(exc.ename)
        if ours is not None:  # the batch's own pt-BR error, raised in the kernel: say it as it is
            error = BatchError(f"{exc.evalue} (caderno executado guardado em {kept})")
            error.exit_code = ours.exit_code
            raise error from exc
        raise NotebookFailed(
            f"o caderno falhou na célula {exc.exec_count} ({exc.ename}: {exc.evalue}). "
            f"Caderno executado guardado em {kept}"
        ) from exc
    except DeadKernelError as exc:
        failed = _discard(staging, runs_dir, run_id, ledger_path, settings.dry_run)
        raise BatchError(
            "o kernel do caderno parou no meio da execução (processo encerrado; falta de memória é a "
            "causa mais comum). Nenhum contato desta execução foi registrado; rode de novo, com menos "
            f"--processos ou com --sem-caderno. Pasta da execução guardada em {failed}"
        ) from exc
    except BaseException:
        _discard(staging, runs_dir, run_id, ledger_path, settings.dry_run)
        raise
    summary_file = staging / "resumo.json"
    if not summary_file.is_file():
        failed = _discard(staging, runs_dir, run_id, ledger_path, settings.dry_run)
        raise NotebookFailed(f"o caderno terminou sem gravar resumo.json; veja {failed}")
    html_path = export_html(executed) if html else None
    folder = publish(staging, runs_dir / run_id)
    if not settings.dry_run:
        mark_run(ledger_path, run_id, "concluida")
    summary = json.loads((folder / "resumo.json").read_text(encoding="utf-8"))
    return NotebookRun(run_id, folder, summary, folder / html_path.name if html_path else None)


def _discard(staging: Path, runs_dir: Path, run_id: str, ledger_path: Path, dry_run: bool) -> Path | None:
    """After a failure: the staging folder becomes ``<run>.falhou``, the run's contacts are
    dropped (a second failure here must not hide the first one)."""
    failed = None
    try:
        failed = mark_failed(staging, runs_dir, run_id)
        if not dry_run:
            mark_run(ledger_path, run_id, "falhou")
    except (OSError, CobrancaKitError):
        pass  # the next run's reconciliation settles what is left
    return failed


def _kit_error(name: str) -> type[CobrancaKitError] | None:
    """The cobranca-kit error class called ``name`` (an exception raised in the kernel), if any."""
    pending: list[type[CobrancaKitError]] = [CobrancaKitError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == name:
            return cls
        pending.extend(cls.__subclasses__())
    return None


NOTEBOOK_ONLY_TAG = "so-caderno"


def _report_title(folder: Path) -> str:
    """The page title: the run date and creditor from ``resumo.json`` when it is there."""
    from cobranca_kit.batch.report_view import report_title

    try:
        return report_title(json.loads((folder / "resumo.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return "Conjunto de mensagens do dia"


def export_html(executed: Path) -> Path | None:
    """HTML copy of the executed notebook (charts included); a failure only costs the HTML."""
    import nbformat
    from nbconvert import HTMLExporter

    try:
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, language_code="pt"
        )
        # Cells tagged "so-caderno" (how to run the notebook) are for its users, not for the report.
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY_TAG}), enabled=True
        )
        notebook = nbformat.read(executed, as_version=4)
        notebook.metadata["title"] = _report_title(executed.parent)
        body, _ = exporter.from_notebook_node(notebook)
        body = body.replace('<html lang="pt">', '<html lang="pt-BR">', 1)
    except Exception as exc:  # the run itself is fine; say why the HTML is missing
        (executed.parent / "html_indisponivel.txt").write_text(
            f"exportação HTML falhou: {exc}\n", encoding="utf-8"
        )
        return None
    target = executed.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def parse_parameter(settings: BatchSettings, key: str, raw: str) -> None:
    """Apply one ``-p chave valor`` (YAML value; ``colunas.documento CPF`` sets one mapping)."""
    try:
        value = check_aliases(raw, yaml.safe_load(raw), f"-p {key}") if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise BatchError(f"valor inválido em -p {key}: não é YAML válido ({exc.__class__.__name__})") from exc
    head, _, tail = key.partition(".")
    if head not in PARAMETER_KEYS:
        raise BatchError(f"parâmetro desconhecido: '{key}'. Válidos: {', '.join(PARAMETER_KEYS)}")
    try:
        if head == "colunas":
            if tail:
                settings.colunas[tail] = str(value)
            elif isinstance(value, dict):
                settings.colunas.update({str(k): str(v) for k, v in value.items()})
            else:
                raise ValueError("use colunas.CAMPO NOME_DA_COLUNA")
        elif head == "canais":
            settings.canais = (
                [str(v) for v in value]
                if isinstance(value, list)
                else [c.strip() for c in str(value).split(",") if c.strip()]
            )
        elif head == "data":
            settings.data = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        elif head == "hora":
            settings.hora = dt.time.fromisoformat(str(value) if len(str(value)) > 2 else f"{value}:00")
        elif head == "processos":
            settings.processos = int(value)
        elif head == "simulacao":
            settings.dry_run = bool(value)
        elif head in ("carteira", "regua", "biblioteca", "saida"):
            setattr(settings, head, Path(str(value)))
        else:
            raise ValueError("use a opção --config do comando")
    except (ValueError, TypeError) as exc:
        raise BatchError(f"valor inválido para o parâmetro '{key}': {raw!r} ({exc})") from exc
