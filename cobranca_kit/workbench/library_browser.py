"""The library browser (``04_biblioteca`` notebook): filter the stored templates,
compare versions, approve or archive one, and chart readability and findings.

Charts are drawn with matplotlib's object API (no pyplot state) into PNGs
embedded in an ``HTML`` widget, so they show in JupyterLab, Voilà and tests alike.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance import CATEGORY_LABELS, flesch_pt
from cobranca_kit.config import Config
from cobranca_kit.errors import CobrancaKitError
from cobranca_kit.formatting import contagem
from cobranca_kit.library import Library, parse_ref
from cobranca_kit.library.exports.files import EXPORT_FOLDER, write_export
from cobranca_kit.library.models import STATUSES, Template
from cobranca_kit.workbench.cards import CARD_CSS, part_label
from cobranca_kit.workbench.safe import error_html, friendly_message, info_html, safe_callback
from cobranca_kit.workbench.workspace import WorkspaceAccess

ALL = "(todos)"
# Dropdowns show no label for a None value, so "(todos)"/"(escolha...)" carry "".
NOTHING = ""
NO_TEMPLATE = "(escolha um modelo)"
STATUS_LABELS = {"rascunho": "Rascunho", "aprovado": "Aprovado", "arquivado": "Arquivado"}
LABEL_STYLE = {"description_width": "90px"}

# (filter key, catalog kind or None for status, description, CSS class)
_FILTERS = [
    ("objecao", "objecoes", "Objeção", "cobranca-filtro-objecao"),
    ("tom", "tons", "Tom", "cobranca-filtro-tom"),
    ("canal", "canais", "Canal", "cobranca-filtro-canal"),
    ("estagio", "estagios", "Estágio", "cobranca-filtro-estagio"),
    ("status", None, "Situação", "cobranca-filtro-status"),
]


def template_flesch(template: Template) -> float:
    """Readability stored with the save-time report (rendered text); computed when absent."""
    metrics = (template.report or {}).get("metrics", {})
    overall = metrics.get("overall", {}) if isinstance(metrics, dict) else {}
    if isinstance(overall, dict) and isinstance(overall.get("flesch"), int | float):
        return float(overall["flesch"])
    return flesch_pt("\n\n".join(text for _, text in template.parts))


def template_findings(template: Template) -> list[dict[str, Any]]:
    return [f for f in (template.report or {}).get("findings", []) if isinstance(f, dict)]


def _png(fig: Figure) -> str:
    # Fixed margins (room for the legend on the right) instead of bbox_inches="tight",
    # which draws the figure twice: the browser repaints charts on every filter change.
    fig.subplots_adjust(left=0.09, right=0.74, bottom=0.14, top=0.88)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="cobranca-grafico" src="data:image/png;base64,{data}"/>'


def readability_chart(templates: list[Template]) -> str:
    """Mean Flesch by tone (bars grouped by channel), as an ``<img>`` tag; '' without data."""
    if not templates:
        return ""
    catalog = get_catalog()
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for t in templates:
        scores[(t.meta.tom, t.meta.canal)].append(template_flesch(t))
    tones = [i for i in catalog.ids("tons") if any(k[0] == i for k in scores)]
    channels = [i for i in catalog.ids("canais") if any(k[1] == i for k in scores)]
    fig = Figure(figsize=(8.5, 3.4))
    ax = fig.subplots()
    width = 0.8 / len(channels)
    for j, channel in enumerate(channels):
        values = [sum(v) / len(v) if (v := scores.get((tone, channel))) else 0.0 for tone in tones]
        xs = [i + j * width for i in range(len(tones))]
        ax.bar(xs, values, width=width, label=catalog.label("canais", channel))
    ax.set_xticks([i + width * (len(channels) - 1) / 2 for i in range(len(tones))])
    ax.set_xticklabels([catalog.label("tons", t) for t in tones], fontsize=8)
    ax.set_ylabel("Flesch (maior = mais fácil)")
    ax.set_title("Legibilidade média por tom e canal")
    ax.axhline(50, color="#999", linestyle="--", linewidth=0.8)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _png(fig)


def findings_chart(versions: list[Template]) -> str:
    """Findings per category in each version of one template (stacked bars); '' without data."""
    if not versions:
        return ""
    counts = [Counter(f.get("category", "?") for f in template_findings(t)) for t in versions]
    categories = sorted({c for counter in counts for c in counter})
    fig = Figure(figsize=(8.5, 3.4))
    ax = fig.subplots()
    labels = [f"v{t.version}" for t in versions]
    bottom = [0] * len(versions)
    for category in categories:
        values = [counter.get(category, 0) for counter in counts]
        label = textwrap.fill(CATEGORY_LABELS.get(category, category), 26)  # long labels fit the margin
        ax.bar(labels, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("achados")
    ax.set_title(f"Achados por categoria: {versions[0].id}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if categories:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    else:
        ax.text(0.5, 0.5, "nenhum achado em nenhuma versão", ha="center", transform=ax.transAxes)
    return _png(fig)


def diff_html(diff: str) -> str:
    if not diff:
        return info_html("As duas versões têm o mesmo texto.")
    lines = []
    for line in diff.splitlines():
        color = "#166534" if line.startswith("+") else "#991b1b" if line.startswith("-") else "#333"
        lines.append(f'<span style="color:{color}">{html.escape(line)}</span>')
    return f'<pre class="cobranca-diff-texto" style="font-size:12px">{chr(10).join(lines)}</pre>'


def template_text_html(template: Template) -> str:
    """The stored text of one version, part by part, as the team lead reads it."""
    catalog = get_catalog()
    status = STATUS_LABELS.get(template.status, template.status)
    who = f" por {template.approved_by}" if template.approved_by else ""
    head = (
        f"<div><b>{html.escape(template.ref)}</b> · {html.escape(status + who)} · "
        f"{html.escape(catalog.label('canais', template.meta.canal))}"
        + (f" · {html.escape(template.meta.titulo)}" if template.meta.titulo else "")
        + "</div>"
    )
    parts = "".join(
        f"<div><b>{html.escape(part_label(name))}</b></div><div class='cobranca-texto'>{html.escape(text)}</div>"
        for name, text in template.parts
    )
    return f'<div class="cobranca-texto-versao">{head}{parts}</div>'


def table_html(templates: list[Template]) -> str:
    if not templates:
        return info_html("Nenhum modelo encontrado com esses filtros.")
    catalog = get_catalog()
    rows = []
    for t in templates:
        findings = template_findings(t)
        blocks = sum(1 for f in findings if f.get("severity") == "block")
        who = f" por {t.approved_by}" if t.approved_by else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c))}</td>"
                for c in [
                    t.ref,
                    t.meta.titulo or "-",
                    catalog.label("canais", t.meta.canal),
                    STATUS_LABELS.get(t.status, t.status) + who,
                    f"{template_flesch(t):.0f}",
                    f"{len(findings)} ({contagem(blocks, 'bloqueio')})",
                ]
            )
            + "</tr>"
        )
    head = "".join(
        f"<th style='text-align:left'>{h}</th>"
        for h in ["Modelo", "Título", "Canal", "Situação", "Flesch", "Achados"]
    )
    return (
        f'<table class="cobranca-tabela-modelos" style="border-collapse:collapse;font-size:13px">'
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


class LibraryBrowser(WorkspaceAccess, widgets.VBox):
    """Filterable view of the template library with diff, approve/archive and charts."""

    def __init__(
        self,
        config: Config | None = None,
        library: Library | None = None,
        on_open: Callable[[str], Any] | None = None,
    ) -> None:
        self._config = config
        self._library = library
        self.on_open = on_open  # opens ``id@vN`` in the workbench (set by the app)
        self._pending_archive: str | None = None  # ref awaiting confirmation
        self.last_archived: str | None = None  # ref the "Desfazer" button restores
        self._templates: list[Template] = []
        self._updating = False
        catalog = get_catalog()
        self.status = widgets.HTML()
        self.status.add_class("cobranca-status")
        guarded = safe_callback(self.status)

        self.filters: dict[str, widgets.Dropdown] = {}
        for key, kind, description, css in _FILTERS:
            options = (
                [(label, s) for s, label in STATUS_LABELS.items() if s in STATUSES]
                if kind is None
                else catalog.options(kind)
            )
            dropdown = widgets.Dropdown(
                options=[(ALL, NOTHING), *options],
                value=NOTHING,
                description=description,
                style=LABEL_STYLE,
                layout={"width": "330px"},
            )
            dropdown.add_class(css)
            dropdown.observe(guarded(lambda _c: self.refresh()), names="value")
            self.filters[key] = dropdown
        self.table = widgets.HTML()
        self.table.add_class("cobranca-tabela")

        self.template = widgets.Dropdown(description="Modelo", style=LABEL_STYLE, layout={"width": "760px"})
        self.template.add_class("cobranca-modelo")
        self.version = widgets.Dropdown(description="Versão", style=LABEL_STYLE, layout={"width": "640px"})
        self.version.add_class("cobranca-versao")
        self.compare_with = widgets.Dropdown(
            description="Comparar com", style={"description_width": "100px"}, layout={"width": "640px"}
        )
        self.compare_with.add_class("cobranca-comparar-com")
        self.template.observe(guarded(lambda _c: self._template_picked()), names="value")
        self.version.observe(guarded(lambda _c: self._version_changed()), names="value")
        self.text = widgets.HTML()
        self.text.add_class("cobranca-texto-modelo")
        self.approver = widgets.Text(description="Seu nome", style=LABEL_STYLE, layout={"width": "330px"})
        self.approver.add_class("cobranca-aprovador")
        self.diff_button = self._button("Comparar versões", "cobranca-diff", "exchange")
        self.approve_button = self._button("Aprovar versão", "cobranca-aprovar", "thumbs-up", "success")
        self.archive_button = self._button("Arquivar versão", "cobranca-arquivar", "archive", "warning")
        self.refresh_button = self._button("Atualizar", "cobranca-atualizar", "refresh")
        self.restore_button = self._button("Restaurar versão", "cobranca-restaurar", "undo")
        self.open_button = self._button("Abrir na bancada", "cobranca-abrir-bancada", "folder-open")
        self.export_button = self._button("Exportar versão", "cobranca-exportar", "download")
        # Archiving asks first; once done, "Desfazer" restores the version.
        self.confirm_text = widgets.HTML()
        self.confirm_archive = self._button(
            "Sim, arquivar", "cobranca-confirmar-arquivar", "archive", "danger"
        )
        self.cancel_archive = self._button("Cancelar", "cobranca-cancelar-arquivar", "times")
        self.confirm_box = widgets.HBox(
            [self.confirm_text, self.confirm_archive, self.cancel_archive], layout={"display": "none"}
        )
        self.confirm_box.add_class("cobranca-confirmacao-arquivar")
        self.undo_button = self._button("Desfazer", "cobranca-desfazer", "undo")
        self.undo_button.layout.display = "none"
        # Bulk approval of the draft versions ticked here.
        self.checks = widgets.VBox()
        self.checks.add_class("cobranca-marcar")
        self.approve_checked_button = self._button(
            "Aprovar marcadas", "cobranca-aprovar-marcadas", "check-square", "success"
        )
        self.diff = widgets.HTML()
        self.diff.add_class("cobranca-diff")
        self.charts = widgets.HTML()
        self.charts.add_class("cobranca-graficos")
        self.diff_button.on_click(guarded(lambda _b: self.show_diff()))
        self.approve_button.on_click(guarded(lambda _b: self.approve()))
        self.archive_button.on_click(guarded(lambda _b: self.ask_archive()))
        self.confirm_archive.on_click(guarded(lambda _b: self.archive()))
        self.cancel_archive.on_click(guarded(lambda _b: self._cancel_archive()))
        self.undo_button.on_click(guarded(lambda _b: self.undo_archive()))
        self.restore_button.on_click(guarded(lambda _b: self.restore()))
        self.open_button.on_click(guarded(lambda _b: self.open_in_workbench()))
        self.export_button.on_click(guarded(lambda _b: self.export()))
        self.approve_checked_button.on_click(guarded(lambda _b: self.approve_checked()))
        self.refresh_button.on_click(guarded(lambda _b: self.refresh()))

        filters = list(self.filters.values())
        super().__init__(
            [
                widgets.HTML(CARD_CSS),
                widgets.HBox(filters[:3]),
                widgets.HBox([*filters[3:], self.refresh_button]),
                self.table,
                widgets.HTML("<b>Marque rascunhos para aprovar de uma vez:</b>"),
                self.checks,
                self.approve_checked_button,
                self.template,
                self.version,
                widgets.HBox([self.compare_with, self.diff_button]),
                widgets.HBox([self.approver, self.approve_button, self.archive_button, self.restore_button]),
                widgets.HBox([self.open_button, self.export_button]),
                self.confirm_box,
                widgets.HBox([self.status, self.undo_button]),
                self.text,
                self.diff,
                self.charts,
            ]
        )
        self.add_class("cobranca-biblioteca")
        try:
            self.approver.value = self.config.aprovacao.aprovador_padrao or ""
            self.refresh()
        except Exception as exc:  # show why, keep the widget on screen
            self.status.value = error_html(friendly_message(exc))

    @staticmethod
    def _button(description: str, css: str, icon: str, style: str = "") -> widgets.Button:
        button = widgets.Button(
            description=description,
            icon=icon,
            button_style=style,
            layout={"width": "auto", "min_width": "160px"},
        )
        button.add_class(css)
        return button

    def selected(self) -> list[Template]:
        """Templates (every version) matching the filters."""
        return self.library.list(**{k: d.value or None for k, d in self.filters.items()})

    def refresh(self) -> None:
        """Re-read the library and repaint the table, the choices and the charts."""
        templates = self.selected()
        self._templates = templates
        self.table.value = table_html(templates)
        self._fill_checks(templates)
        titles: dict[str, str] = {}
        for t in templates:  # the newest title of each template
            titles[t.id] = t.meta.titulo
        ids = sorted(titles)
        current = self.template.value
        first_fill = not self.template.options
        self._updating = True  # setting options fires the observer: repaint once, below
        try:
            self.template.options = [
                (NO_TEMPLATE, NOTHING),
                *((f"{i} · {titles[i]}" if titles[i] else i, i) for i in ids),
            ]
            if current in ids:
                self.template.value = current
            else:
                # Never switch silently to another template: the choice is the user's.
                self.template.value = ids[0] if first_fill and ids else NOTHING
        finally:
            self._updating = False
        self._template_changed()
        if current and current not in ids:
            self.status.value = info_html(
                f"O modelo {current} não aparece com esses filtros; nenhum modelo está selecionado."
            )
        problems = self.library.problems
        if problems:
            listed = "; ".join(f"{path}: {reason}" for path, reason in problems)
            self.status.value = error_html(f"Arquivos da biblioteca com problema (ignorados): {listed}")

    def _template_picked(self) -> None:
        """The user chose another template: earlier messages were about the old choice."""
        if not self._updating:
            self.status.value = ""
            self._template_changed()

    def _template_changed(self) -> None:
        if self._updating:
            return
        ident = self.template.value
        versions = self.library.versions(ident) if ident else []
        options = [(f"{t.ref} · {STATUS_LABELS.get(t.status, t.status)}", t.version) for t in versions]
        self._updating = True
        try:
            self.version.options = options
            self.compare_with.options = options
            if versions:
                self.version.value = versions[-1].version
                self.compare_with.value = versions[-2].version if len(versions) > 1 else versions[-1].version
        finally:
            self._updating = False
        self._version_changed()
        self._draw_charts(versions)

    def _version_changed(self) -> None:
        if self._updating:
            return
        self._cancel_archive()
        template = self.selected_version()
        self.text.value = template_text_html(template) if template else ""
        self.restore_button.layout.display = "" if template and template.status == "arquivado" else "none"

    def selected_version(self) -> Template | None:
        """The version chosen in "Modelo" and "Versão" (None when nothing is chosen)."""
        if not self.template.value or not self.version.value:
            return None
        return self.library.version(self.template.value, self.version.value)

    def _fill_checks(self, templates: list[Template]) -> None:
        drafts = [t for t in templates if t.status == "rascunho"]
        boxes = []
        for t in drafts:
            box = widgets.Checkbox(
                value=False,
                description=f"{t.ref}" + (f" · {t.meta.titulo}" if t.meta.titulo else ""),
                indent=False,
                layout={"width": "auto"},
            )
            box.add_class("cobranca-marca")
            box.ref = t.ref  # type: ignore[attr-defined]
            boxes.append(box)
        if not boxes:
            boxes = [widgets.HTML('<span style="color:#374151">(nenhum rascunho com esses filtros)</span>')]
        self.checks.children = tuple(boxes)
        self.approve_checked_button.disabled = not drafts

    def _draw_charts(self, versions: list[Template]) -> None:
        readability = readability_chart([t for t in self._templates if t.status != "arquivado"])
        findings = findings_chart(versions)
        if not readability and not findings:
            self.charts.value = info_html("Sem modelos para os gráficos ainda: salve modelos na bancada.")
            return
        self.charts.value = f"<div>{readability}</div><div>{findings}</div>"

    def show_diff(self) -> str:
        if not self.template.value:
            self.status.value = error_html("Escolha um modelo para comparar versões.")
            return ""
        diff = self.library.diff(self.template.value, self.compare_with.value, self.version.value)
        self.diff.value = diff_html(diff)
        self.status.value = ""
        return diff

    def approve(self) -> Template | None:
        if not self.template.value:
            self.status.value = error_html("Escolha um modelo para aprovar.")
            return None
        who = self.approver.value.strip()
        if not who:
            self.status.value = error_html("Informe quem aprova no campo 'Seu nome'.")
            return None
        template = self.library.approve(self.template.value, self.version.value, by=who)
        self.refresh()
        self.status.value = info_html(f"{template.ref} aprovado por {who}.")
        return template

    def ask_archive(self) -> None:
        """First step of archiving: name the exact version and ask for confirmation."""
        template = self.selected_version()
        if template is None:
            self.status.value = error_html("Escolha um modelo e uma versão para arquivar.")
            return
        if template.status == "arquivado":
            self.status.value = info_html(f"{template.ref} já está arquivado.")
            return
        self._pending_archive = template.ref
        used = " É a versão aprovada usada nos lotes." if template.status == "aprovado" else ""
        self.confirm_text.value = error_html(
            f"Arquivar {template.ref}? Ela fica guardada, mas deixa de ser usada nos lotes.{used}"
        )
        self.confirm_box.layout.display = "flex"

    def _cancel_archive(self) -> None:
        self._pending_archive = None
        self.confirm_box.layout.display = "none"

    def archive(self) -> Template | None:
        """Archive the version named in the confirmation (not whatever is selected now)."""
        ref = self._pending_archive
        self._cancel_archive()
        if ref is None:
            self.status.value = error_html("Clique em 'Arquivar versão' e confirme.")
            return None
        template_id, version = parse_ref(ref)
        template = self.library.archive(template_id, version or 1)
        self.last_archived = template.ref
        self.refresh()
        self.status.value = info_html(
            f"{template.ref} arquivado: fica guardado, mas não é mais usado nos lotes. "
            "Clique em 'Desfazer' para restaurar."
        )
        self.undo_button.layout.display = ""
        return template

    def undo_archive(self) -> Template | None:
        """Restore the version archived last (the "Desfazer" button)."""
        if self.last_archived is None:
            return None
        template_id, version = parse_ref(self.last_archived)
        self.last_archived = None
        self.undo_button.layout.display = "none"
        return self._restore(template_id, version or 1)

    def restore(self) -> Template | None:
        """Bring the selected archived version back into use."""
        template = self.selected_version()
        if template is None:
            self.status.value = error_html("Escolha um modelo e uma versão para restaurar.")
            return None
        if template.status != "arquivado":
            self.status.value = info_html(f"{template.ref} não está arquivado.")
            return template
        return self._restore(template.id, template.version)

    def _restore(self, template_id: str, version: int) -> Template:
        template = self.library.restore(template_id, version)
        self.refresh()
        status = STATUS_LABELS.get(template.status, template.status).lower()
        note = "" if template.status == "aprovado" else " Ela precisa ser aprovada de novo para ir aos lotes."
        self.status.value = info_html(f"{template.ref} restaurado ({status}).{note}")
        return template

    def open_in_workbench(self) -> Any:
        template = self.selected_version()
        if template is None:
            self.status.value = error_html("Escolha um modelo e uma versão para abrir.")
            return None
        if self.on_open is None:
            self.status.value = info_html(
                f"Na bancada, escolha {template.ref} em 'Modelo salvo' e clique em 'Abrir na bancada'."
            )
            return None
        return self.on_open(template.ref)

    def export(self) -> Path | None:
        """Write the selected version's export file (per channel) to ``exportacoes/``."""
        template = self.selected_version()
        if template is None:
            self.status.value = error_html("Escolha um modelo e uma versão para exportar.")
            return None
        path, export = write_export(template, self.config.base_dir / EXPORT_FOLDER, self.config)
        notes = " ".join(export.notes)
        draft = "" if template.status == "aprovado" else " Atenção: esta versão ainda não foi aprovada."
        self.status.value = info_html(f"{template.ref} exportado para {path}.{draft} {notes}".strip())
        return path

    def approve_checked(self) -> list[str]:
        """Approve every ticked draft; each refusal is listed with its reason, the rest go on."""
        refs = [box.ref for box in self.checks.children if getattr(box, "ref", None) and box.value]
        if not refs:
            self.status.value = error_html("Marque ao menos uma versão para aprovar.")
            return []
        who = self.approver.value.strip()
        if not who:
            self.status.value = error_html("Informe quem aprova no campo 'Seu nome'.")
            return []
        approved, refused = [], []
        for ref in refs:
            template_id, version = parse_ref(ref)
            try:
                self.library.approve(template_id, version or 1, by=who)
                approved.append(ref)
            except CobrancaKitError as exc:
                refused.append(f"{ref}: {str(exc).splitlines()[0]}")
        self.refresh()
        message = f"{contagem(len(approved), 'versão aprovada', 'versões aprovadas')} por {who}."
        if refused:
            self.status.value = error_html(message + " Não aprovadas: " + " ".join(refused))
        else:
            self.status.value = info_html(message)
        return approved
