"""One run at a time per contact ledger, and the clean-up of runs a crash interrupted.

A run reads the contacts of earlier *completed* runs, so two runs planning at
the same time on one ledger would both contact everyone. :class:`RunLock` is a
lock file next to the ledger (``contatos.sqlite.execucao.lock``) held from
before planning until the run is published and marked complete; a second run
waits for it (saying so on stderr) and then finds the first run's contacts
(``ja_planejada``). The operating system releases the lock when its process
dies, however it dies.

In the default (papermill) mode the ``executar`` process holds the lock and the
notebook's kernel, another process, runs the batch: :func:`held_for` lets the
kernel see that the lock is held for its own run.

Whoever takes the lock next calls :func:`reconcile`: a run still
``em_andamento`` in the ledger was interrupted. If its folder was published
(``resumo.json`` in place) it is marked complete, so its contacts count and a
rerun does not repeat them; otherwise its contacts are discarded and its hidden
staging folder becomes ``<run>.falhou``. Leftover spill folders of worker
processes (message rows with personal data) are removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from filelock import FileLock, Timeout

from cobranca_kit.errors import BatchError, describe_os_error

LOCK_SUFFIX = ".execucao.lock"
HOLDER_SUFFIX = ".execucao.json"
# How long a run waits for the one holding the lock (a daily batch takes minutes).
DEFAULT_WAIT_S = 2 * 3600.0
SPILL_SUFFIX = ".pedacos"
STAGING_SUFFIX = ".parcial"
INTERRUPTED_NOTE = "interrompida.txt"


def lock_path(ledger: Path) -> Path:
    return Path(str(ledger) + LOCK_SUFFIX)


def holder_path(ledger: Path) -> Path:
    return Path(str(ledger) + HOLDER_SUFFIX)


def spill_dir(runs_dir: Path, run_id: str) -> Path:
    """Where worker processes hand their pieces over: hidden, inside the runs folder."""
    return runs_dir / f".{run_id}{SPILL_SUFFIX}"


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _holder(ledger: Path) -> dict[str, object]:
    try:
        data = json.loads(holder_path(ledger).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class RunLock:
    """The run lock of one ledger (a context manager).

    ``run_id`` may be chosen once the lock is held (two runs started in the same
    second would otherwise pick the same id): :meth:`claim` records it.
    """

    def __init__(
        self,
        ledger: str | Path,
        run_id: str | None = None,
        *,
        wait_s: float | None = DEFAULT_WAIT_S,
        notify: Callable[[str], None] = _warn,
    ) -> None:
        self.ledger = Path(ledger)
        self.run_id = run_id
        self.wait_s = wait_s
        self.notify = notify
        self._lock = FileLock(str(lock_path(self.ledger)))

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            self.ledger.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._lock.acquire(timeout=0)
            except Timeout:
                holder = _holder(self.ledger)
                who = f"a execução {holder.get('execucao', '?')} (processo {holder.get('pid', '?')})"
                self.notify(
                    f"aviso: {who} está em andamento com o registro de contatos {self.ledger}; "
                    "esta execução espera ela terminar para não repetir contatos"
                )
                try:
                    self._lock.acquire(timeout=-1 if self.wait_s is None else self.wait_s)
                except Timeout as exc:
                    raise BatchError(
                        f"{who} ainda está em andamento após {self.wait_s:.0f} s de espera; "
                        "tente de novo quando ela terminar"
                    ) from exc
            self.claim(self.run_id)
        except OSError as exc:
            self.release()
            raise BatchError(
                f"não foi possível reservar o registro de contatos {self.ledger} para esta execução: "
                f"{describe_os_error(exc)}"
            ) from exc

    def claim(self, run_id: str | None) -> None:
        """Record which run holds the lock (shown to a run that waits; read by :func:`held_for`)."""
        self.run_id = run_id
        holder_path(self.ledger).write_text(
            json.dumps(
                {
                    "execucao": run_id,
                    "pid": os.getpid(),
                    "desde": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
            ),
            encoding="utf-8",
        )

    def release(self) -> None:
        if self._lock.is_locked:
            if _holder(self.ledger).get("pid") == os.getpid():
                with contextlib.suppress(OSError):
                    holder_path(self.ledger).unlink()
            self._lock.release()


def held_for(ledger: str | Path, run_id: str | None) -> bool:
    """True when another process holds the run lock of ``ledger`` for ``run_id`` itself
    (the ``executar`` process, for the run its notebook's kernel carries out)."""
    ledger = Path(ledger)
    if run_id is None or _holder(ledger).get("execucao") != run_id or not lock_path(ledger).exists():
        return False
    probe = FileLock(str(lock_path(ledger)))
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    probe.release()
    return False


def reconcile(
    ledger: str | Path, runs_dir: Path, *, dry_run: bool = False, notify: Callable[[str], None] = _warn
) -> list[str]:
    """Settle what interrupted runs left (call with the run lock held); returns what was done (pt-BR).

    A dry run writes no ledger, so it leaves the ledger's rows to the next real run."""
    from cobranca_kit.batch.outputs import mark_failed

    ledger = Path(ledger)
    done: list[str] = []
    if ledger.is_file() and not dry_run:
        try:
            with closing(sqlite3.connect(ledger, timeout=30)) as conn:
                columns = {row[1] for row in conn.execute("PRAGMA table_info(execucoes)")}
                folder_sql = "pasta" if "pasta" in columns else "NULL"
                rows = conn.execute(
                    f"SELECT run_id, {folder_sql} FROM execucoes WHERE status = 'em_andamento'"
                ).fetchall()
                for run_id, folder in rows:
                    final = Path(folder) if folder else runs_dir / run_id
                    if (final / "resumo.json").is_file():
                        conn.execute(
                            "UPDATE execucoes SET status = 'concluida', concluida_em = ? WHERE run_id = ?",
                            (_now(), run_id),
                        )
                        done.append(
                            f"execução {run_id} interrompida depois de publicada: marcada como concluída"
                        )
                        continue
                    conn.execute("DELETE FROM contatos WHERE run_id = ?", (run_id,))
                    conn.execute(
                        "UPDATE execucoes SET status = 'falhou', concluida_em = ? WHERE run_id = ?",
                        (_now(), run_id),
                    )
                    done.append(f"execução {run_id} interrompida antes de publicada: contatos descartados")
                conn.commit()
        except sqlite3.DatabaseError:
            pass  # the ledger itself reports an unreadable file, with its pt-BR message
    if runs_dir.is_dir():
        for path in sorted(runs_dir.glob(f".*{SPILL_SUFFIX}")):
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"pedaços temporários de uma execução interrompida apagados: {path.name}")
        for path in sorted(runs_dir.glob(f".*{STAGING_SUFFIX}")):
            run_id = path.name[1 : -len(STAGING_SUFFIX)]
            failed = mark_failed(path, runs_dir, run_id)
            if failed is not None:
                (failed / INTERRUPTED_NOTE).write_text(
                    "Execução interrompida (processo encerrado) antes de ser publicada; "
                    "os contatos dela foram descartados do registro.\n",
                    encoding="utf-8",
                )
                done.append(f"pasta provisória de uma execução interrompida movida para {failed.name}")
    for line in done:
        notify(f"aviso: {line}")
    return done


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
