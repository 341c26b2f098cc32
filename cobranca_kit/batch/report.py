"""What the batch notebook shows: its parameters turned into a run, and the run folder
turned into tables and charts.

``notebooks/02_conjunto_mensagens.ipynb`` only calls these functions, so the same
tables and charts can be produced (and tested) without a kernel. Data functions
return pandas objects; chart functions return a matplotlib ``Figure`` that is already
closed in pyplot, so a notebook shows it exactly once, where it is displayed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cobranca_kit.batch.pipeline import BatchSettings
from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import Config, load_config
from cobranca_kit.errors import BatchError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

# Columns of mensagens.parquet the report needs (the text columns can be large).
MESSAGE_REPORT_COLUMNS = ["devedor_id", "linha", "passo", "estagio", "canal", "agendado_para"]
# One message = one debtor row and régua step; the file has one row per message part.
MESSAGE_KEY = ["devedor_id", "linha", "passo"]
CSV_OPTIONS: dict[str, Any] = {"sep": ";", "encoding": "utf-8-sig", "dtype": str}


# -- parameters -> run ------------------------------------------------------------


@dataclass
class NotebookSetup:
    """The run the notebook's parameters ask for; ``demo_folder`` is set for a demonstration."""

    settings: BatchSettings
    config: Config
    demo_folder: Path | None = None


def _parse(name: str, raw: Any, kind: type, hint: str) -> Any:
    if isinstance(raw, kind):
        return raw
    try:
        return kind.fromisoformat(str(raw))  # type: ignore[attr-defined]
    except ValueError as exc:
        raise BatchError(f"parâmetro '{name}' inválido: {raw!r} (use {hint})") from exc


def settings_from_parameters(
    *,
    carteira: str = "",
    data: str | dt.date = "",
    hora: str | dt.time = "",
    regua: str = "",
    biblioteca: str = "",
    saida: str = "",
    registro_contatos: str = "",
    simulacao: bool = False,
    canais: Sequence[str] = (),
    colunas: Mapping[str, str] | None = None,
    processos: int = 1,
    config: str = "",
    execucao: str = "",
    pasta_execucao: str = "",
) -> NotebookSetup:
    """Settings from the values of the notebook's ``parameters`` cell (same names).

    Empty strings mean "use the default". Without ``carteira`` a throw-away demo
    workspace is created (fictitious portfolio, example creditor, approved offline
    templates) and the run is a simulation, so no real contact ledger is touched.
    ``pasta_execucao`` is the staging folder given by ``cobranca-kit executar``: the
    run is then written there and published by the caller.
    """
    demo_folder = None
    if not carteira:
        from cobranca_kit.batch.demo import demo_workspace

        demo_folder = demo_workspace()
        config, carteira, simulacao = (
            str(demo_folder / "cobranca.toml"),
            str(demo_folder / "carteira.csv"),
            True,
        )
    cfg = load_config(config or None)
    settings = BatchSettings(
        carteira=Path(carteira),
        data=_parse("data", data, dt.date, "AAAA-MM-DD") if data else None,
        hora=_parse("hora", hora, dt.time, "HH:MM") if hora else None,
        regua=Path(regua) if regua else None,
        biblioteca=Path(biblioteca) if biblioteca else None,
        saida=Path(saida) if saida else None,
        ledger=Path(registro_contatos) if registro_contatos else None,
        dry_run=bool(simulacao),
        canais=list(canais or []) or None,
        colunas=dict(colunas or {}),
        processos=int(processos),
        run_id=execucao or None,
        staging=Path(pasta_execucao) if pasta_execucao else None,
        publish=not pasta_execucao,
    )
    return NotebookSetup(settings, cfg, demo_folder)


# -- run folder -> data -----------------------------------------------------------


@dataclass
class RunData:
    """A run folder read back: the summary and the per-row files as DataFrames (text columns)."""

    folder: Path
    summary: dict[str, Any]
    #: one row per scheduled message (parts collapsed), columns ``MESSAGE_REPORT_COLUMNS``
    messages: pd.DataFrame
    rejected: pd.DataFrame
    deferred: pd.DataFrame
    ignored: pd.DataFrame


def _required(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise BatchError(f"{name} não encontrado na pasta da execução {folder}; a execução terminou?")
    return path


def load_run(folder: str | Path) -> RunData:
    """Read ``resumo.json``, ``mensagens.parquet`` and the rejected/deferred/ignored CSVs of a run."""
    import pandas as pd

    folder = Path(folder)
    summary_path = _required(folder, "resumo.json")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BatchError(f"resumo.json ilegível em {folder}: {exc}") from exc
    parts = pd.read_parquet(_required(folder, "mensagens.parquet"), columns=MESSAGE_REPORT_COLUMNS)
    messages = parts.drop_duplicates(MESSAGE_KEY).reset_index(drop=True)
    return RunData(
        folder=folder,
        summary=summary,
        messages=messages,
        rejected=pd.read_csv(_required(folder, "rejeitados.csv"), **CSV_OPTIONS),
        deferred=pd.read_csv(_required(folder, "adiados.csv"), **CSV_OPTIONS),
        ignored=pd.read_csv(_required(folder, "ignorados.csv"), **CSV_OPTIONS),
    )


# -- messages per stage and channel -----------------------------------------------


def _closed(fig: Figure) -> Figure:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    plt.close(fig)  # pyplot forgets it: shown once, where the notebook displays it
    return fig


def messages_by_stage_channel(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages per stage (rows, in régua order of the catalog) and channel (columns)."""
    import pandas as pd

    table = pd.crosstab(messages["estagio"], messages["canal"])
    order = [s for s in get_catalog().ids("estagios") if s in table.index]
    unknown = sorted(set(table.index) - set(order))  # never drop a stage the catalog lacks
    return table.loc[order + unknown]


def stage_channel_chart(table: pd.DataFrame) -> Figure:
    """Stacked bars of :func:`messages_by_stage_channel`."""
    import matplotlib.pyplot as plt

    from cobranca_kit.batch.report_view import CHANNEL_COLORS, channel_label

    fig, ax = plt.subplots(figsize=(8, 4))
    colors = [CHANNEL_COLORS.get(str(c), "#999999") for c in table.columns]  # same colour per channel
    table.plot.bar(stacked=True, rot=0, ax=ax, color=colors)
    ax.legend([channel_label(str(c)) for c in table.columns], title="canal")
    ax.set_xlabel("estágio")
    ax.set_ylabel("mensagens")
    ax.set_title("Mensagens por estágio e canal")
    return _closed(fig)


# -- send times -------------------------------------------------------------------


def send_hours(messages: pd.DataFrame) -> pd.Series:
    """Hour of each message in the debtor's local time (the offset in ``agendado_para`` is dropped)."""
    import pandas as pd

    return pd.to_datetime(messages["agendado_para"].str.slice(0, 16)).dt.hour


def send_time_histogram(messages: pd.DataFrame) -> Figure:
    """Histogram of :func:`send_hours`, one bar per hour of the day."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    send_hours(messages).plot.hist(bins=range(0, 25), rwidth=0.9, ax=ax)
    ax.set_xlabel("hora local do estado do devedor")
    ax.set_ylabel("mensagens")
    ax.set_title("Distribuição dos horários de envio")
    return _closed(fig)


# -- rejections -------------------------------------------------------------------


def rejections_by_reason(rejected: pd.DataFrame) -> pd.Series:
    """Rejected rows per (categoria, campo), fewest first (the chart's bottom-up order)."""
    return rejected.groupby(["categoria", "campo"]).size().sort_values()


def rejections_chart(reasons: pd.Series) -> Figure:
    """Horizontal bars of :func:`rejections_by_reason`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.4 * len(reasons) + 1))
    reasons.plot.barh(ax=ax)
    ax.set_xlabel("linhas")
    ax.set_ylabel("categoria, campo")
    ax.set_title("Rejeições por motivo")
    return _closed(fig)


# -- deferred and ignored ---------------------------------------------------------


def deferred_and_ignored(run: RunData) -> tuple[str, pd.DataFrame]:
    """A pt-BR line with both counts, and the ignored debtors per category (``devedores``)."""
    line = (
        f"Adiados por limite de contatos: {len(run.deferred)}; "
        f"ignorados hoje (com motivo): {len(run.ignored)}"
    )
    return line, run.ignored.groupby("categoria").size().rename("devedores").to_frame()


__all__ = [
    "NotebookSetup",
    "RunData",
    "deferred_and_ignored",
    "load_run",
    "messages_by_stage_channel",
    "rejections_by_reason",
    "rejections_chart",
    "send_hours",
    "send_time_histogram",
    "settings_from_parameters",
    "stage_channel_chart",
]
