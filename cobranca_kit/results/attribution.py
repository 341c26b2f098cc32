"""Attribution: which payments and events belong to which experiment arm.

A debtor's outcome counts for the arm of their first assignment (among completed
runs) when it falls within ``dias`` days of that assignment date (inclusive). A
debtor is *matured* once that window has closed by the report's reference date;
only matured debtors enter the statistics, so a recent assignment is never read as
"did not pay".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from cobranca_kit.results.store import FIRST_ASSIGNMENTS, connect, has_table

COLUMNS = [
    "experimento",
    "passo",
    "devedor_id",
    "variante",
    "modelo",
    "canal",
    "enviada",
    "data_atribuicao",
    "run_id",
]


def _order(experiment: str, debtor: str) -> str:
    """A fixed tie-break inside one assignment date (not the file order, which teams change)."""
    return hashlib.sha256(f"ordem:{experiment}:{debtor}".encode()).hexdigest()


def debtor_outcomes(ledger_path: str | Path, days: int, as_of: dt.date) -> pd.DataFrame:
    """One row per (experiment, debtor): arm, whether matured, paid, amount, opt-out, complaint."""
    with connect(ledger_path, create=False) as conn:  # read only: a dry run's Thompson weights write nothing
        if not (has_table(conn, "execucoes") and has_table(conn, "experimento_atribuicoes")):
            return pd.DataFrame(
                columns=[*COLUMNS, "madura", "pago", "valor_centavos", "descadastro", "reclamacao"]
            )
        assigned = pd.DataFrame(conn.execute(FIRST_ASSIGNMENTS).fetchall(), columns=COLUMNS)
        payments = pd.DataFrame(
            conn.execute("SELECT devedor_id, data_pagamento, valor_centavos FROM pagamentos").fetchall(),
            columns=["devedor_id", "data", "valor_centavos"],
        )
        events = pd.DataFrame(
            conn.execute("SELECT devedor_id, data, tipo FROM eventos").fetchall(),
            columns=["devedor_id", "data", "tipo"],
        )
    if assigned.empty:
        return assigned.assign(madura=[], pago=[], valor_centavos=[], descadastro=[], reclamacao=[])
    assigned["inicio"] = pd.to_datetime(assigned["data_atribuicao"])
    assigned["fim"] = assigned["inicio"] + pd.Timedelta(days=days)
    limit = pd.Timestamp(as_of)
    assigned["madura"] = assigned["fim"] <= limit
    assigned["ordem"] = [
        _order(e, d) for e, d in zip(assigned["experimento"], assigned["devedor_id"], strict=True)
    ]
    keys = ["experimento", "devedor_id"]

    def within(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(data=pd.to_datetime(frame["data"]))
        joined = assigned[[*keys, "inicio", "fim"]].merge(frame, on="devedor_id")
        ok = (
            (joined["data"] >= joined["inicio"])
            & (joined["data"] <= joined["fim"])
            & (joined["data"] <= limit)
        )
        return joined[ok]

    paid = within(payments).groupby(keys)["valor_centavos"].sum()
    assigned = assigned.merge(paid.rename("valor_centavos"), left_on=keys, right_index=True, how="left")
    assigned["valor_centavos"] = assigned["valor_centavos"].fillna(0).astype("int64")
    assigned["pago"] = assigned["valor_centavos"] > 0
    counted = within(events)
    for kind in ("descadastro", "reclamacao"):
        hit = counted[counted["tipo"] == kind].groupby(keys).size().rename(kind)
        assigned = assigned.merge(hit, left_on=keys, right_index=True, how="left")
        assigned[kind] = assigned[kind].fillna(0) > 0
    assigned["enviada"] = assigned["enviada"].astype(bool)
    return assigned.sort_values(["experimento", "data_atribuicao", "ordem"]).reset_index(drop=True)
