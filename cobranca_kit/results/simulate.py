"""Simulated outcomes with planted effects, for tests, the demo and ``amostra``.

Two levels: :func:`simulate_counts` draws an experiment's arm counts with numpy
(thousands of experiments per second, for the acceptance simulations), and
:func:`write_outcome_files` writes payment and event files for the debtors an
actual run assigned, as an ERP or the contact-centre tool would export them, so
the real import and report can be shown end to end. Everything is seeded.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cobranca_kit.results.stats import ArmCounts


@dataclass(frozen=True, slots=True)
class Rates:
    """Probabilities within the attribution window (a planted effect adds to the base)."""

    paid: float = 0.20
    optout: float = 0.02
    complaint: float = 0.005

    def plus(self, effect: Rates) -> Rates:
        return Rates(self.paid + effect.paid, self.optout + effect.optout, self.complaint + effect.complaint)


NO_EFFECT = Rates(0.0, 0.0, 0.0)


def simulate_counts(
    rng: np.random.Generator, n: int, effects: dict[str, Rates], base: Rates = Rates()
) -> tuple[ArmCounts, dict[str, ArmCounts]]:
    """The control arm and one arm per planted effect, ``n`` matured debtors each."""

    def arm(rates: Rates) -> ArmCounts:
        return ArmCounts(
            n,
            int(rng.binomial(n, rates.paid)),
            int(rng.binomial(n, rates.optout)),
            int(rng.binomial(n, rates.complaint)),
        )

    control = arm(base)
    return control, {name: arm(base.plus(effect)) for name, effect in effects.items()}


def _debtor_rng(seed: int, experiment: str, debtor: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{experiment}:{debtor}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _money(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d}"


@dataclass
class SimulatedFiles:
    payments: Path
    events: Path
    paid: int
    events_written: int


def write_outcome_files(
    assignments: list[tuple[str, str, str, dt.date]],
    payments_path: Path,
    events_path: Path,
    *,
    effects: dict[str, Rates] | None = None,
    base: Rates = Rates(),
    days: int = 7,
    seed: int = 7,
    bad_rows: int = 0,
) -> SimulatedFiles:
    """Payments (``;``, ``dd/mm/aaaa``, ``1.234,56``, with a Pix endToEndId) and events for
    ``assignments`` (experiment, debtor id, arm, assignment date); the arm's planted
    effect (in absolute probability) is added to ``base``. ``bad_rows`` broken rows are
    appended to each file, so the import has something to set aside."""
    effects = effects or {}
    payments_path.parent.mkdir(parents=True, exist_ok=True)
    events_path.parent.mkdir(parents=True, exist_ok=True)
    paid = written = 0
    with (
        payments_path.open("w", encoding="utf-8", newline="") as pay_fh,
        events_path.open("w", encoding="utf-8", newline="") as ev_fh,
    ):
        pay = csv.writer(pay_fh, delimiter=";")
        ev = csv.writer(ev_fh, delimiter=";")
        pay.writerow(["devedor_id", "end_to_end_id", "data_pagamento", "valor"])
        ev.writerow(["devedor_id", "data", "tipo", "canal"])
        for experiment, debtor, arm, day in assignments:
            rates = base.plus(effects.get(arm, NO_EFFECT))
            rng = _debtor_rng(seed, experiment, debtor)
            draws = rng.random(3)
            if draws[0] < rates.paid:
                when = day + dt.timedelta(days=int(rng.integers(0, days + 1)))
                cents = int(rng.integers(3_990, 250_000))
                e2e = f"E{rng.integers(10**7, 10**8)}{when:%Y%m%d}{rng.integers(10**10, 10**11)}"
                pay.writerow([debtor, e2e, f"{when:%d/%m/%Y}", _money(cents)])
                paid += 1
            for kind, p, k in (("descadastro", rates.optout, 1), ("reclamacao", rates.complaint, 2)):
                if draws[k] < p:
                    when = day + dt.timedelta(days=int(rng.integers(0, days + 1)))
                    ev.writerow([debtor, f"{when:%d/%m/%Y}", kind, "whatsapp"])
                    written += 1
        for i in range(bad_rows):
            pay.writerow([f"X{i}", "", "31/02/2026", "12,34,56"])
            ev.writerow(["", "01/01/2026", "elogio", ""])
    return SimulatedFiles(payments_path, events_path, paid, written)


def ledger_assignments(ledger_path: Path) -> list[tuple[str, str, str, dt.date]]:
    """(experiment, debtor id, arm, assignment date) of every first assignment in the ledger."""
    from cobranca_kit.results.store import FIRST_ASSIGNMENTS, connect, has_table

    with connect(ledger_path, create=False) as conn:
        if not (has_table(conn, "execucoes") and has_table(conn, "experimento_atribuicoes")):
            return []
        rows = conn.execute(FIRST_ASSIGNMENTS).fetchall()
    return sorted((r[0], r[2], r[3], dt.date.fromisoformat(r[7])) for r in rows)


def parse_effects(paid: list[str], harm: list[str]) -> dict[str, Rates]:
    """``["V2=+3"]`` (p.p. more payments) and ``["V3=+2"]`` (p.p. more opt-outs) -> planted effects."""
    from cobranca_kit.errors import BatchError

    effects: dict[str, Rates] = {}
    for items, kind in ((paid, "paid"), (harm, "optout")):
        for item in items:
            name, sep, value = item.partition("=")
            try:
                points = float(value.replace(",", ".")) / 100
            except ValueError:
                points = None
            if not sep or not name.strip() or points is None:
                raise BatchError(f"efeito inválido: '{item}' (use VARIANTE=PP, por exemplo V2=+3)")
            current = effects.get(name.strip(), NO_EFFECT)
            effects[name.strip()] = Rates(
                current.paid + (points if kind == "paid" else 0.0),
                current.optout + (points if kind == "optout" else 0.0),
                current.complaint,
            )
    return effects
