"""The team lead's app (``make app``, Voilà): the workbench, the library and the last
batch run's report in three tabs of one page.

The tabs share one workspace (config and library): "Abrir na bancada" in the
library opens a version in the workbench, and what the workbench saves shows in
the library the next time its tab is opened.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from cobranca_kit.config import Config
from cobranca_kit.library import Library
from cobranca_kit.workbench.app import Workbench
from cobranca_kit.workbench.library_browser import LibraryBrowser
from cobranca_kit.workbench.safe import error_html, friendly_message, info_html, safe_callback
from cobranca_kit.workbench.workspace import WorkspaceAccess

TAB_TITLES = ("Bancada", "Biblioteca", "Último lote")
SUMMARY_FILE = "resumo.json"


def latest_run(runs: Path) -> Path | None:
    """The newest run folder (by its ``resumo.json``) under ``runs``, or None."""
    if not runs.is_dir():
        return None
    summaries = [p for p in runs.glob(f"*/{SUMMARY_FILE}") if p.is_file()]
    if not summaries:
        return None
    return max(summaries, key=lambda p: (p.stat().st_mtime_ns, p.parent.name)).parent


def run_report_html(folder: Path) -> str:
    """The last run as the report notebook shows it, in short: the pre-send summary, debtors
    per outcome and messages per template, with pt-BR labels (``batch/report_view.py``)."""
    from cobranca_kit.batch.report import load_run
    from cobranca_kit.batch.report_view import (
        REPORT_CSS,
        messages_per_template,
        presend_summary_html,
        report_title,
        status_table,
        table_html,
    )
    from cobranca_kit.formatting import contagem

    run = load_run(folder)
    try:
        title = report_title(run.summary)
    except (KeyError, ValueError):
        title = "Último lote"
    parts = [
        REPORT_CSS,
        f"<h3>{html.escape(title)}</h3>",
        f"<div><b>Pasta da execução:</b> <code>{html.escape(folder.name)}</code> "
        f"<span style='color:#374151'>({html.escape(str(folder))})</span></div>",
        presend_summary_html(run),
        table_html(status_table(run.summary), "Devedores por situação"),
    ]
    per_template = messages_per_template(run.summary)
    if not per_template.empty:
        parts.append(table_html(per_template, "Mensagens por modelo"))
    if len(run.rejected):
        parts.append(
            f"<div>{html.escape(contagem(len(run.rejected), 'linha rejeitada'))}: motivos em "
            "<code>rejeitados.csv</code>, na pasta da execução.</div>"
        )
    return f'<div class="cobranca-relatorio-lote">{"".join(parts)}</div>'


class RunReportView(WorkspaceAccess, widgets.VBox):
    """The last batch run of the workspace (``[pastas] execucoes``), refreshed on demand."""

    def __init__(self, config: Config | None = None) -> None:
        self._config = config
        self.report = widgets.HTML()
        self.report.add_class("cobranca-ultimo-lote")
        self.refresh_button = widgets.Button(
            description="Atualizar", icon="refresh", layout={"width": "auto", "min_width": "140px"}
        )
        self.refresh_button.add_class("cobranca-atualizar-lote")
        self.refresh_button.on_click(safe_callback(self.report)(lambda _b: self.refresh()))
        super().__init__([self.refresh_button, self.report])
        self.add_class("cobranca-lote")

    def refresh(self) -> str:
        try:
            folder = latest_run(self.config.path("execucoes"))
            if folder is None:
                self.report.value = info_html(
                    "Nenhum lote executado ainda nesta pasta de trabalho. "
                    "Rode o lote do dia (cobranca-kit lote) e clique em Atualizar."
                )
            else:
                self.report.value = run_report_html(folder)
        except Exception as exc:  # a broken run folder must not hide the other tabs
            self.report.value = error_html(friendly_message(exc))
        return self.report.value


class CobrancaApp(WorkspaceAccess, widgets.VBox):
    """Workbench, library browser and last run report as tabs of one page."""

    def __init__(
        self, config: Config | None = None, library: Library | None = None, drafter: Any = None
    ) -> None:
        self._config = config
        self._library = library
        self.status = widgets.HTML()
        self.status.add_class("cobranca-status")
        try:  # one workspace for the three tabs
            config, library = self.config, self.library
        except Exception as exc:  # each tab shows the problem too, and stays usable
            self.status.value = error_html(friendly_message(exc))
            config, library = self._config, self._library
        self.workbench = Workbench(config=config, library=library, drafter=drafter)
        self.browser = LibraryBrowser(config=config, library=library, on_open=self.open_in_workbench)
        self.run_report = RunReportView(config=config)
        self.tabs = widgets.Tab(children=[self.workbench, self.browser, self.run_report])
        for index, title in enumerate(TAB_TITLES):
            self.tabs.set_title(index, title)
        self.tabs.add_class("cobranca-abas")
        self.tabs.observe(safe_callback(self.status)(lambda _c: self._tab_changed()), names="selected_index")
        super().__init__([self.status, self.tabs])
        self.add_class("cobranca-app")

    def _tab_changed(self) -> None:
        index = self.tabs.selected_index
        if index == 0:
            self.workbench.refresh_saved()
        elif index == 1:
            self.browser.refresh()
        elif index == 2:
            self.run_report.refresh()

    def open_in_workbench(self, ref: str) -> Any:
        """Open ``ref`` (``id@vN``) in the workbench tab and show that tab."""
        card = self.workbench.open_template(ref)
        self.tabs.selected_index = 0
        return card
