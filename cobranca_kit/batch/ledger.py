"""The contact ledger: a SQLite file in the workspace recording every contact a run plans.

Frequency caps must hold across runs and channels, so each run reads the
contacts of earlier *completed* runs and adds its own. A run is registered as
``em_andamento`` and only counts for later runs once marked ``concluida``; a
failed or interrupted run therefore leaves no contact behind that would block a
rerun. A dry run opens the file read-only (or not at all) and writes nothing.
One run at a time per ledger, and the clean-up of runs a crash interrupted
(``execucoes.pasta`` says where each run is published): :mod:`cobranca_kit.batch.runlock`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from cobranca_kit.errors import BatchError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS execucoes (
    run_id TEXT PRIMARY KEY,
    data_execucao TEXT NOT NULL,
    iniciada_em TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('em_andamento', 'concluida', 'falhou')),
    concluida_em TEXT
);
CREATE TABLE IF NOT EXISTS contatos (
    run_id TEXT NOT NULL REFERENCES execucoes(run_id),
    devedor_id TEXT NOT NULL,
    divida TEXT NOT NULL,
    passo TEXT NOT NULL,
    canal TEXT NOT NULL,
    agendado_em TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contatos_devedor ON contatos (devedor_id);
"""


@dataclass(frozen=True, slots=True)
class Contact:
    """One planned contact (``scheduled_at`` is timezone-aware)."""

    debtor_id: str
    debt: str
    step: str
    channel: str
    scheduled_at: dt.datetime


@dataclass(frozen=True, slots=True)
class History:
    """What the ledger knows about one debtor before this run plans it."""

    contacts: tuple[dt.datetime, ...] = ()
    done_steps: frozenset[tuple[str, str]] = frozenset()  # (debt, step) already planned
    step_runs: tuple[tuple[str, str, str], ...] = ()  # (debt, step, run_id)

    def run_for(self, debt: str, step: str) -> str | None:
        for d, s, run in self.step_runs:
            if d == debt and s == step:
                return run
        return None


class Ledger:
    """Contact ledger bound to one run.

    Use as a context manager; ``dry_run=True`` never creates nor writes the file.
    ``run_id`` is registered on entry (``em_andamento``); call :meth:`complete`
    when the run's outputs are in place, or :meth:`fail` to discard its contacts.
    """

    def __init__(
        self,
        path: str | Path,
        run_id: str,
        run_date: dt.date,
        *,
        dry_run: bool = False,
        folder: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.folder = folder  # where the run is published (reconciling an interrupted run looks there)
        self.run_id = run_id
        self.run_date = run_date
        self.dry_run = dry_run
        self._conn: sqlite3.Connection | None = None
        self._lock = FileLock(str(self.path) + ".lock")
        self.recorded = 0

    # -- lifecycle
    def __enter__(self) -> Ledger:
        self.open()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None and not self.dry_run and self._conn is not None:
            self.fail()
        self.close()

    def open(self) -> None:
        if self.dry_run:
            if self.path.is_file():
                self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=30)
        except Timeout as exc:
            raise BatchError(
                f"o registro de contatos {self.path} está em uso por outra execução; tente de novo mais tarde"
            ) from exc
        try:
            self._conn = sqlite3.connect(self.path)
            self._conn.executescript(_SCHEMA)
            _add_folder_column(self._conn)
            row = self._conn.execute(
                "SELECT status FROM execucoes WHERE run_id = ?", (self.run_id,)
            ).fetchone()
            if row and row[0] == "concluida":
                raise BatchError(f"a execução {self.run_id} já foi concluída; use outro identificador")
            self._conn.execute("DELETE FROM contatos WHERE run_id = ?", (self.run_id,))
            self._conn.execute(
                "INSERT OR REPLACE INTO execucoes (run_id, data_execucao, iniciada_em, status, pasta) "
                "VALUES (?, ?, ?, 'em_andamento', ?)",
                (self.run_id, self.run_date.isoformat(), _now(), str(self.folder) if self.folder else None),
            )
            self._conn.commit()
        except sqlite3.DatabaseError as exc:
            self._release()
            raise ledger_error(self.path, exc) from exc
        except BaseException:
            self._release()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._release()

    def _release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    # -- reading
    def history(self, debtor_ids: Iterable[str]) -> dict[str, History]:
        """Contacts of earlier completed runs for these debtors (this run's own are not included)."""
        ids = list(dict.fromkeys(debtor_ids))
        if self._conn is None or not ids:
            return {}
        found: dict[str, tuple[list[dt.datetime], set[tuple[str, str]], list[tuple[str, str, str]]]] = {}
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            part = ids[start : start + 900]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                "SELECT c.devedor_id, c.divida, c.passo, c.agendado_em, c.run_id FROM contatos c "
                "JOIN execucoes e ON e.run_id = c.run_id "
                f"WHERE c.devedor_id IN ({marks}) AND e.status = 'concluida'",
                part,
            )
            for debtor, debt, step, when, run in rows:
                entry = found.setdefault(debtor, ([], set(), []))
                entry[0].append(dt.datetime.fromisoformat(when))
                entry[1].add((debt, step))
                entry[2].append((debt, step, run))
        return {k: History(tuple(sorted(v[0])), frozenset(v[1]), tuple(v[2])) for k, v in found.items()}

    def runs(self) -> list[tuple[str, str, str]]:
        """(run_id, run date, status) of every run, oldest first."""
        if self._conn is None:
            return []
        return list(
            self._conn.execute("SELECT run_id, data_execucao, status FROM execucoes ORDER BY iniciada_em")
        )

    def count(self, run_id: str | None = None) -> int:
        if self._conn is None:
            return 0
        if run_id is None:
            return self._conn.execute("SELECT COUNT(*) FROM contatos").fetchone()[0]
        return self._conn.execute("SELECT COUNT(*) FROM contatos WHERE run_id = ?", (run_id,)).fetchone()[0]

    # -- writing
    def record(self, contacts: Sequence[Contact]) -> None:
        """Add this run's planned contacts (no-op in a dry run)."""
        if self.dry_run or not contacts:
            return
        assert self._conn is not None, "ledger not open"
        self._conn.executemany(
            "INSERT INTO contatos (run_id, devedor_id, divida, passo, canal, agendado_em) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (self.run_id, c.debtor_id, c.debt, c.step, c.channel, c.scheduled_at.isoformat())
                for c in contacts
            ],
        )
        self._conn.commit()
        self.recorded += len(contacts)

    def complete(self) -> None:
        """Make this run's contacts count for later runs."""
        self._set_status("concluida")

    def fail(self) -> None:
        """Discard this run's contacts (the run produced no usable output)."""
        if self.dry_run or self._conn is None:
            return
        self._conn.execute("DELETE FROM contatos WHERE run_id = ?", (self.run_id,))
        self._set_status("falhou")

    def _set_status(self, status: str) -> None:
        if self.dry_run or self._conn is None:
            return
        self._conn.execute(
            "UPDATE execucoes SET status = ?, concluida_em = ? WHERE run_id = ?",
            (status, _now(), self.run_id),
        )
        self._conn.commit()


def mark_run(path: str | Path, run_id: str, status: str) -> None:
    """Set a run's status from outside the run (the papermill wrapper finalising it)."""
    path = Path(path)
    if not path.is_file():
        return
    try:
        with FileLock(str(path) + ".lock", timeout=30), closing(sqlite3.connect(path)) as conn:
            if status == "falhou":
                conn.execute("DELETE FROM contatos WHERE run_id = ?", (run_id,))
            conn.execute(
                "UPDATE execucoes SET status = ?, concluida_em = ? WHERE run_id = ?", (status, _now(), run_id)
            )
            conn.commit()
    except sqlite3.DatabaseError as exc:
        raise ledger_error(path, exc) from exc


def check_ledger(path: str | Path) -> None:
    """Raise a pt-BR :class:`BatchError` when the ledger file exists but cannot be read
    (``executar`` checks it before starting the notebook)."""
    path = Path(path)
    if not path.is_file():
        return
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ledger_error(path, exc) from exc


def ledger_error(path: Path, exc: sqlite3.Error) -> BatchError:
    """The pt-BR error for a ledger SQLite refused to open, read or write."""
    name = getattr(exc, "sqlite_errorname", "")
    if (
        name.startswith("SQLITE_READONLY")
        or name.startswith("SQLITE_CANTOPEN")
        or name.startswith("SQLITE_PERM")
    ):
        problem = "não pode ser gravado (pasta somente leitura ou sem permissão)"
    elif name.startswith("SQLITE_FULL"):
        problem = "não pode ser gravado: disco cheio"
    else:
        problem = (
            "está corrompido ou não é um registro de contatos (SQLite); restaure a cópia de segurança "
            "ou mova o arquivo para outro lugar (os limites de contato recomeçam do zero sem ele)"
        )
    return BatchError(f"registro de contatos {path} {problem} [{name or exc}]")


def _add_folder_column(conn: sqlite3.Connection) -> None:
    """``execucoes.pasta`` (the run's published folder), added to ledgers made before it existed."""
    if "pasta" not in {row[1] for row in conn.execute("PRAGMA table_info(execucoes)")}:
        conn.execute("ALTER TABLE execucoes ADD COLUMN pasta TEXT")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
