"""The results part of ``make run``: simulated outcomes of the run's experiments, imported
and reported, so a new user sees a filled report (the effects are planted, and said so)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cobranca_kit.config import Config
from cobranca_kit.results.importing import import_outcomes
from cobranca_kit.results.report import build_report, report_text
from cobranca_kit.results.simulate import Rates, ledger_assignments, write_outcome_files

DEMO_FOLDER = "resultados_simulados"


def demo_results(config: Config, summary: dict[str, Any], regua: Any = None) -> str | None:
    """Simulate, import and report the experiments of ``summary`` (None when it has none).

    The second variant of each experiment gets a planted +5 p.p. of payments; the
    reference date is the run date plus the attribution window (a projection).
    """
    active = [e for e in summary.get("experimentos", []) if e.get("ativo")]
    if not active or summary.get("simulacao"):
        return None
    ledger = config.path("ledger")
    assigned = ledger_assignments(ledger)
    if not assigned:
        return None
    days = config.experimentos.dias_atribuicao
    effects: dict[str, Rates] = {}
    planted = []
    for entry in active:
        variants = [name for name in entry["pesos"] if name != "controle"]
        if len(variants) > 1:
            effects[variants[1]] = Rates(0.05, 0.0, 0.0)
            planted.append(f"{entry['id']}: {variants[1]} +5 p.p. de pagamentos")
    folder = config.base_dir / DEMO_FOLDER
    files = write_outcome_files(
        assigned, folder / "pagamentos.csv", folder / "eventos.csv", effects=effects, days=days, bad_rows=1
    )
    as_of = dt.date.fromisoformat(summary["data_execucao"]) + dt.timedelta(days=days)
    lines = [
        f"resultados SIMULADOS (efeito plantado: {'; '.join(planted) or 'nenhum'}), referência projetada {as_of}"
    ]
    for path in (files.payments, files.events):
        lines.append(import_outcomes(path, ledger, today=as_of).text())
    lines.append(report_text(build_report(ledger, config.experimentos, as_of, regua)))
    return "\n".join(lines)
