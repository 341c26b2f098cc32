"""Experiment assignments and outcomes, in the contact ledger's SQLite file.

The batch records who was assigned to which arm (``experimento_atribuicoes``);
``resultados importar`` adds payments (``pagamentos``) and replies, opt-outs and
complaints (``eventos``). Every imported row has a natural key (the Pix
endToEndId, else the txid, else the row's content and its occurrence in the
file), inserted with ``INSERT OR IGNORE``: importing a file twice changes nothing.

Assignments count only for runs the ledger marks ``concluida`` (a failed run's
rows stay but are never read). This module needs nothing but ``sqlite3``, so the
batch can record assignments without importing the results package.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cobranca_kit.errors import BatchError

SCHEMA = """
CREATE TABLE IF NOT EXISTS experimento_atribuicoes (
    run_id TEXT NOT NULL,
    experimento TEXT NOT NULL,
    passo TEXT NOT NULL,
    devedor_id TEXT NOT NULL,
    divida TEXT NOT NULL,
    variante TEXT NOT NULL,
    modelo TEXT NOT NULL,
    canal TEXT NOT NULL,
    enviada INTEGER NOT NULL,
    data_atribuicao TEXT NOT NULL,
    PRIMARY KEY (experimento, devedor_id, run_id)
);
CREATE TABLE IF NOT EXISTS experimento_pesos (
    run_id TEXT NOT NULL,
    experimento TEXT NOT NULL,
    variante TEXT NOT NULL,
    peso REAL NOT NULL,
    alocacao TEXT NOT NULL,
    PRIMARY KEY (run_id, experimento, variante)
);
CREATE TABLE IF NOT EXISTS pagamentos (
    chave TEXT PRIMARY KEY,
    devedor_id TEXT NOT NULL,
    data_pagamento TEXT NOT NULL,
    valor_centavos INTEGER NOT NULL,
    txid TEXT,
    end_to_end_id TEXT,
    arquivo TEXT NOT NULL,
    importado_em TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pagamentos_devedor ON pagamentos (devedor_id);
CREATE TABLE IF NOT EXISTS eventos (
    chave TEXT PRIMARY KEY,
    devedor_id TEXT NOT NULL,
    data TEXT NOT NULL,
    tipo TEXT NOT NULL CHECK (tipo IN ('resposta', 'descadastro', 'reclamacao')),
    canal TEXT,
    detalhe TEXT,
    arquivo TEXT NOT NULL,
    importado_em TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS eventos_devedor ON eventos (devedor_id);
"""


@dataclass(frozen=True, slots=True)
class Assignment:
    """One debtor placed in one arm by one run (``sent`` False for a holdout without message)."""

    experiment: str
    step: str
    debtor_id: str
    debt: str
    variant: str
    template: str
    channel: str
    sent: bool


@contextmanager
def connect(path: str | Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection to the ledger file with this module's tables (``create=False``: read only)."""
    path = Path(path)
    if not create and not path.is_file():
        raise BatchError(f"registro de contatos não encontrado: {path} (rode o lote antes)")
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30)
        else:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BatchError(f"registro de contatos ilegível: {path} ({exc})") from exc
    with closing(conn):
        try:
            if create:
                conn.executescript(SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise BatchError(f"registro de contatos ilegível: {path} ({exc})") from exc


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


class AssignmentRecorder:
    """Records a run's assignments as the batch writes them (one connection per run)."""

    def __init__(self, path: str | Path, run_id: str, run_date: dt.date) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.run_date = run_date.isoformat()
        self._conn: sqlite3.Connection | None = None
        self._cm: object = None
        self.recorded = 0

    def __enter__(self) -> AssignmentRecorder:
        self._cm = connect(self.path)
        self._conn = self._cm.__enter__()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)  # type: ignore[attr-defined]
        self._conn = None

    def weights(self, experiment: str, weights: dict[str, float], allocation: str) -> None:
        assert self._conn is not None
        self._conn.executemany(
            "INSERT OR REPLACE INTO experimento_pesos VALUES (?, ?, ?, ?, ?)",
            [(self.run_id, experiment, name, w, allocation) for name, w in weights.items()],
        )
        self._conn.commit()

    def record(self, assignments: Iterable[Assignment]) -> None:
        assert self._conn is not None
        rows = [
            (
                self.run_id,
                a.experiment,
                a.step,
                a.debtor_id,
                a.debt,
                a.variant,
                a.template,
                a.channel,
                int(a.sent),
                self.run_date,
            )
            for a in assignments
        ]
        if not rows:
            return
        cur = self._conn.executemany(
            "INSERT OR IGNORE INTO experimento_atribuicoes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        self._conn.commit()
        self.recorded += max(cur.rowcount, 0)


# A debtor's first assignment per experiment among completed runs (a debtor deferred
# by a cap or caught up by the tolerance days meets the step in a later run too).
FIRST_ASSIGNMENTS = """
SELECT a.experimento, a.passo, a.devedor_id, a.variante, a.modelo, a.canal, a.enviada,
       a.data_atribuicao, a.run_id
FROM experimento_atribuicoes a
JOIN execucoes e ON e.run_id = a.run_id AND e.status = 'concluida'
WHERE NOT EXISTS (
    SELECT 1 FROM experimento_atribuicoes b
    JOIN execucoes f ON f.run_id = b.run_id AND f.status = 'concluida'
    WHERE b.experimento = a.experimento AND b.devedor_id = a.devedor_id
      AND (b.data_atribuicao < a.data_atribuicao
           OR (b.data_atribuicao = a.data_atribuicao AND b.run_id < a.run_id))
)
"""
