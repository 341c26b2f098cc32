"""Thompson sampling: a run's allocation weights from earlier outcomes (``alocacao: thompson``).

Each variant's probability of being the best payer under Beta(1 + pagos, 1 + não
pagos) posteriors of its matured debtors, estimated with a seeded Monte Carlo
(seed = experiment id and run date, so a rerun gets the same weights). Every
variant keeps at least ``FLOOR`` of the variants' share, and the holdout keeps its
fixed share, so the comparison with the control never starves. The weights are
recorded per run (``resumo.json`` and the ledger); assignment stays the same hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from cobranca_kit.batch.experiments import HOLDOUT, Experiment, fixed_weights

FLOOR = 0.05
DRAWS = 20_000


def thompson_weights(
    experiment: Experiment, ledger_path: Path, run_date: dt.date | None, days: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """(arm -> weight, per-variant basis {maduros, pagos}); the fixed weights without data."""
    from cobranca_kit.results.attribution import debtor_outcomes

    weights = fixed_weights(experiment)
    run_date = run_date or dt.date.today()
    if not ledger_path.is_file():
        return weights, {}
    data = debtor_outcomes(ledger_path, days, run_date)
    data = data[(data["experimento"] == experiment.id) & data["madura"]] if len(data) else data
    names = [v.label for v in experiment.variantes]
    basis = (
        {n: {"maduros": int((data["variante"] == n).sum()), "pagos": 0} for n in names} if len(data) else {}
    )
    if not basis or not any(b["maduros"] for b in basis.values()):
        return weights, basis
    for n in names:
        basis[n]["pagos"] = int(data.loc[data["variante"] == n, "pago"].sum())
    seed = int.from_bytes(hashlib.sha256(f"{experiment.id}:{run_date}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    samples = np.column_stack(
        [rng.beta(1 + basis[n]["pagos"], 1 + basis[n]["maduros"] - basis[n]["pagos"], DRAWS) for n in names]
    )
    best = np.bincount(samples.argmax(axis=1), minlength=len(names)) / DRAWS
    floor = min(FLOOR, 0.5 / len(names))
    share = floor + (1 - floor * len(names)) * best  # at least the floor each, still summing to 1
    variants_total = 1 - experiment.controle
    out = {HOLDOUT: experiment.controle} if experiment.controle > 0 else {}
    out.update({n: float(variants_total * s) for n, s in zip(names, share, strict=True)})
    return out, basis
