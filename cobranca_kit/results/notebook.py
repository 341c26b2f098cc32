"""What ``notebooks/05_resultados.ipynb`` calls: a workspace to read and a chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cobranca_kit.config import Config, load_config
from cobranca_kit.results.report import ExperimentReport


def example_workspace(rows: int = 300) -> tuple[Config, dt.date]:
    """A throw-away copy of the example (experiment in the régua), one batch run and its
    simulated outcomes imported; returns the config and the (projected) reference date."""
    from cobranca_kit.batch.demo import demo_workspace
    from cobranca_kit.batch.pipeline import BatchSettings, run_batch
    from cobranca_kit.batch.regua import load_regua
    from cobranca_kit.results.demo import demo_results

    folder = demo_workspace(rows=rows)
    config = load_config(folder / "cobranca.toml")
    result = run_batch(BatchSettings(carteira=folder / "carteira.csv"), config)
    demo_results(config, result.summary, load_regua(folder / "regua.yaml"))
    as_of = dt.date.fromisoformat(result.summary["data_execucao"])
    return config, as_of + dt.timedelta(days=config.experimentos.dias_atribuicao)


def workspace(folder: str | Path | None) -> tuple[Config, dt.date]:
    """The workspace at ``folder`` (today as reference), or the simulated example when None."""
    if folder is None:
        return example_workspace()
    return load_config(Path(folder) / "cobranca.toml"), dt.date.today()


def plot_payment_rates(reports: list[ExperimentReport]) -> Any:
    """Paid share per arm with its 95% interval, one panel per experiment."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, max(1, len(reports)), figsize=(5 * max(1, len(reports)), 3.2), squeeze=False)
    for ax, rep in zip(axes[0], reports, strict=False):
        names = [a.variante for a in rep.bracos]
        rates = [(a.taxa_pagamento or 0) * 100 for a in rep.bracos]
        low = [
            r - (a.ic95_pagamento[0] * 100 if a.ic95_pagamento else r)
            for r, a in zip(rates, rep.bracos, strict=True)
        ]
        high = [
            (a.ic95_pagamento[1] * 100 if a.ic95_pagamento else r) - r
            for r, a in zip(rates, rep.bracos, strict=True)
        ]
        ax.bar(names, rates, yerr=[low, high], capsize=4, color="#4c72b0")
        ax.set_title(f"{rep.experimento}: pagos em até {rep.dias_atribuicao} dias")
        ax.set_ylabel("% dos devedores maduros")
    fig.tight_layout()
    return fig
