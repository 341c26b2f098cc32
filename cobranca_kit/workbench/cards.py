"""The draft card: one variant of a draft, editable part by part, with its
compliance badge, findings highlighted on the exact spans, metrics, revision
history, a channel preview and the actions (verify, preview, save, approve).

The card only holds widgets and turns reports into HTML; the workbench wires its
buttons to the package functions.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import ipywidgets as widgets

from cobranca_kit.compliance import flesch_pt, sms_info
from cobranca_kit.formatting import contagem
from cobranca_kit.script import script_from_parts

SEVERITY_ORDER = {"hint": 0, "warn": 1, "block": 2}
SEVERITY_LABELS = {"block": "Bloqueio", "warn": "Aviso", "hint": "Dica"}
SEVERITY_COLORS = {"block": "#fca5a5", "warn": "#fde68a", "hint": "#bfdbfe"}

CARD_CSS = """
<style>
.cobranca-texto { white-space: pre-wrap; word-break: break-word; font-family: system-ui, sans-serif;
  font-size: 13px; padding: 6px 8px; border-left: 3px solid #ddd; background: #fafafa; margin: 2px 0 6px; }
.cobranca-achado { border-radius: 3px; padding: 0 1px; cursor: help; }
.cobranca-achado-block { background: #fca5a5; border-bottom: 2px solid #b91c1c; }
.cobranca-achado-warn { background: #fde68a; border-bottom: 2px solid #b45309; }
.cobranca-achado-hint { background: #bfdbfe; border-bottom: 2px dotted #1d4ed8; }
.cobranca-selo { display: inline-block; padding: 3px 10px; border-radius: 12px; font-weight: 600; }
.cobranca-selo-ok { background: #dcfce7; color: #166534; }
.cobranca-selo-aviso { background: #fef9c3; color: #854d0e; }
.cobranca-selo-bloqueio { background: #fee2e2; color: #991b1b; }
.cobranca-selo-alterado { background: #e5e7eb; color: #374151; }
.cobranca-lista-achados details { margin: 2px 0; }
.cobranca-lista-achados summary { cursor: pointer; }
.cobranca-erro { color: #991b1b; background: #fee2e2; padding: 6px 10px; border-radius: 4px; }
.cobranca-info { color: #1e3a8a; background: #e0ecff; padding: 6px 10px; border-radius: 4px; }
.cobranca-card { border: 1px solid #d4d4d8; border-radius: 6px; padding: 8px; margin: 8px 0; }
:is(.cobranca-bancada, .cobranca-biblioteca, .cobranca-lote) .jupyter-button.mod-primary {
  background-color: #1d4ed8; color: #ffffff; }
:is(.cobranca-bancada, .cobranca-biblioteca, .cobranca-lote) .jupyter-button.mod-success {
  background-color: #15803d; color: #ffffff; }
:is(.cobranca-bancada, .cobranca-biblioteca, .cobranca-lote) .jupyter-button.mod-warning {
  background-color: #b45309; color: #ffffff; }
:is(.cobranca-bancada, .cobranca-biblioteca, .cobranca-lote) .jupyter-button.mod-danger {
  background-color: #b91c1c; color: #ffffff; }
:is(.cobranca-bancada, .cobranca-biblioteca, .cobranca-lote) .jupyter-button:focus-visible {
  outline: 3px solid #b45309; outline-offset: 1px; }
.cobranca-pagamentos select option:checked {
  background: #1d4ed8 linear-gradient(0deg, #1d4ed8 0%, #1d4ed8 100%); color: #ffffff; }
.cobranca-pagamentos select:focus option:checked {
  background: #1d4ed8 linear-gradient(0deg, #1d4ed8 0%, #1d4ed8 100%); color: #ffffff; }
.cobranca-lista-achados summary:focus-visible { outline: 2px solid #1d4ed8; }
</style>
"""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or key access, so reports, findings and their dict forms both work."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def findings_of(report: Any) -> list[Any]:
    return list(_get(report, "findings", []) or [])


def blocks_of(report: Any) -> list[Any]:
    return [f for f in findings_of(report) if _get(f, "severity") == "block"]


def describe_finding(finding: Any) -> str:
    """One-line pt-BR explanation: severity, message, article and suggested rewrite."""
    sev = SEVERITY_LABELS.get(_get(finding, "severity"), str(_get(finding, "severity")))
    text = f"{sev}: {_get(finding, 'message', '')}"
    if _get(finding, "article"):
        text += f" ({_get(finding, 'article')})"
    if _get(finding, "suggestion"):
        text += f" Sugestão: {_get(finding, 'suggestion')}"
    return text


def _span(finding: Any, text: str) -> tuple[int, int] | None:
    start, end = _get(finding, "start"), _get(finding, "end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return start, end
    return None


def highlight_html(text: str, findings: Iterable[Any]) -> str:
    """``text`` with every finding's exact span marked, coloured by severity.

    Overlapping findings are split into segments; each segment gets the colour of
    its most severe finding and a tooltip listing all of them.
    """
    spans = [(s, f) for f in findings if (s := _span(f, text))]
    if not spans:
        return f'<div class="cobranca-texto">{html.escape(text)}</div>'
    bounds = sorted({0, len(text), *(s for (s, _), _ in spans), *(e for (_, e), _ in spans)})
    out = []
    for a, b in pairwise(bounds):
        chunk = html.escape(text[a:b])
        cover = [f for (s, e), f in spans if s <= a and b <= e]
        if not cover:
            out.append(chunk)
            continue
        worst = max(cover, key=lambda f: SEVERITY_ORDER.get(_get(f, "severity"), 0))
        sev = _get(worst, "severity")
        title = html.escape("\n".join(describe_finding(f) for f in cover), quote=True)
        rules = html.escape(" ".join(str(_get(f, "rule_id", "")) for f in cover), quote=True)
        out.append(
            f'<mark class="cobranca-achado cobranca-achado-{sev}" data-regra="{rules}" '
            f'title="{title}">{chunk}</mark>'
        )
    return f'<div class="cobranca-texto">{"".join(out)}</div>'


def findings_list_html(findings: Sequence[Any], part_labels: dict[str, str] | None = None) -> str:
    """Expandable list of findings: click a line for the explanation and suggestion."""
    if not findings:
        return ""
    part_labels = part_labels or {}
    ordered = sorted(findings, key=lambda f: -SEVERITY_ORDER.get(_get(f, "severity"), 0))
    items = []
    for f in ordered:
        sev = _get(f, "severity")
        part = _get(f, "part")
        where = f" em {part_labels.get(part, part)}" if part else ""
        excerpt = _get(f, "excerpt")
        quote = f" «{html.escape(str(excerpt))}»" if excerpt else ""
        body = [f"<div>{html.escape(str(_get(f, 'message', '')))}</div>"]
        if _get(f, "article"):
            body.append(f"<div><b>Base legal:</b> {html.escape(str(_get(f, 'article')))}</div>")
        if _get(f, "suggestion"):
            body.append(f"<div><b>Sugestão:</b> {html.escape(str(_get(f, 'suggestion')))}</div>")
        body.append(f"<div style='color:#666'>regra {html.escape(str(_get(f, 'rule_id', '')))}</div>")
        items.append(
            f'<details class="cobranca-achado-item cobranca-achado-item-{sev}"><summary>'
            f'<span class="cobranca-achado cobranca-achado-{sev}">{SEVERITY_LABELS.get(sev, sev)}</span>'
            f"{html.escape(where)}{quote}</summary>{''.join(body)}</details>"
        )
    return f'<div class="cobranca-lista-achados"><b>Achados ({len(findings)})</b>{"".join(items)}</div>'


def badge_html(report: Any | None, *, stale: bool = False) -> str:
    """The compliance verdict as a coloured label."""
    if stale:
        return (
            '<span class="cobranca-selo cobranca-selo-alterado">✎ Texto alterado: clique em Verificar</span>'
        )
    if report is None:
        return '<span class="cobranca-selo cobranca-selo-alterado">Sem verificação</span>'
    findings = findings_of(report)
    blocks = blocks_of(report)
    if blocks:
        return (
            f'<span class="cobranca-selo cobranca-selo-bloqueio">✖ Bloqueado: '
            f"{contagem(len(blocks), 'problema grave', 'problemas graves')}</span>"
        )
    if findings:
        return f'<span class="cobranca-selo cobranca-selo-aviso">⚠ Conforme, com {contagem(len(findings), "aviso")}</span>'
    return '<span class="cobranca-selo cobranca-selo-ok">✔ Conforme</span>'


def flesch_band(score: float) -> str:
    """Reading-ease band for Portuguese (Martins et al. adaptation of Flesch)."""
    if score >= 75:
        return "muito fácil"
    if score >= 50:
        return "fácil"
    if score >= 25:
        return "difícil"
    return "muito difícil"


def metrics_html(text: str, note: str = "", *, sms: bool = True) -> str:
    """Readability and size of ``text``; with ``sms``, its SMS encoding and segments too."""
    score = float(flesch_pt(text))
    line = f"Legibilidade (Flesch): <b>{score:.0f}</b> ({flesch_band(score)}) · <b>{len(text)}</b> caracteres"
    if sms:
        info = sms_info(text)
        line += (
            f" · SMS: {html.escape(str(_get(info, 'encoding', '?')))}, "
            f"<b>{_get(info, 'segments', '?')}</b> segmento" + ("" if _get(info, "segments", 0) == 1 else "s")
        )
        non_gsm = _get(info, "non_gsm", ())
        if non_gsm:
            line += f" (forçam UCS-2: {html.escape(' '.join(non_gsm))})"
    if note:
        line += f' <span style="color:#666">({html.escape(note)})</span>'
    return f'<div class="cobranca-metricas-linha">{line}</div>'


def history_html(rounds: Any) -> str:
    """The revision history of the draft-check-revise loop (empty when one round sufficed)."""
    rounds = list(rounds or [])
    if len(rounds) <= 1:
        return ""
    items = []
    for i, rnd in enumerate(rounds, 1):
        number = _get(rnd, "round", i)
        findings = findings_of(rnd)
        blocks = blocks_of(rnd)
        if _get(rnd, "error"):
            summary = f"falhou: {html.escape(str(_get(rnd, 'error')))}"
        elif findings:
            summary = f"{contagem(len(blocks), 'bloqueio')}, {contagem(len(findings) - len(blocks), 'aviso ou dica', 'avisos ou dicas')}"
        else:
            summary = "sem achados"
        if _get(rnd, "passed"):
            summary += " · passou na verificação"
        elif i < len(rounds) and not _get(rnd, "error"):
            summary += " · enviado para revisão"
        detail = "".join(f"<li>{html.escape(describe_finding(f))}</li>" for f in findings)
        items.append(f"<details><summary>Rodada {number}: {summary}</summary><ul>{detail}</ul></details>")
    return f'<div class="cobranca-historico-lista"><b>Histórico de revisão</b>{"".join(items)}</div>'


def part_label(name: str) -> str:
    """``mensagem_2`` -> ``Mensagem 2``; ``passo_3_situacao`` -> ``Passo 3 (situacao)``."""
    pieces = name.split("_")
    if pieces[0] in ("mensagem", "passo") and len(pieces) > 1:
        label = f"{pieces[0].capitalize()} {pieces[1]}"
        if len(pieces) > 2:
            label += f" ({' '.join(pieces[2:])})"
        return label
    return name.capitalize()


def _button(description: str, css: str, icon: str, style: str = "") -> widgets.Button:
    button = widgets.Button(
        description=description,
        icon=icon,
        button_style=style,
        layout=widgets.Layout(width="auto", min_width="170px"),
    )
    button.add_class(css)
    return button


class DraftCard(widgets.VBox):
    """One draft variant: editable parts, verdict, findings, metrics, history and actions."""

    def __init__(
        self,
        *,
        index: int,
        channel: str,
        parts: Sequence[tuple[str, str]],
        report: Any,
        rounds: Any = None,
        source: str = "",
        warning: str = "",
        title: str = "",
    ) -> None:
        self.index = index
        self.channel = channel
        self.report = report
        self.ref: Any = None  # TemplateRef once saved
        self.request: Any = None  # the DraftRequest it answers
        self.draft: Any = None  # the CheckedDraft it came from
        self.saved_parts: list[tuple[str, str]] | None = None
        self.title = title or f"Variante {index + 1}"
        self.base_meta: Any = None  # TemplateMeta of an opened library version
        self.original_parts = [(name, text) for name, text in parts]  # as drafted or opened
        self.preview_open = False  # repaint the preview after each verification
        self.part_names = [name for name, _ in parts]

        self.header = widgets.HTML(
            f"{CARD_CSS}<b>{html.escape(self.title)}</b>"
            + (f' <span style="color:#666">· {html.escape(source)}</span>' if source else "")
        )
        self.badge = widgets.HTML()
        self.badge.add_class("cobranca-badge")
        self.textareas: dict[str, widgets.Textarea] = {}
        self.highlights: dict[str, widgets.HTML] = {}
        rows: list[widgets.Widget] = []
        for name, text in parts:
            area = widgets.Textarea(value=text, layout=widgets.Layout(width="98%", height=self._height(text)))
            area.add_class("cobranca-parte")
            area.add_class(f"cobranca-parte-{name}")
            area.observe(self._on_edit, names="value")
            mark = widgets.HTML()
            mark.add_class("cobranca-destaque")
            self.textareas[name] = area
            self.highlights[name] = mark
            rows += [widgets.HTML(f"<b>{html.escape(part_label(name))}</b>"), area, mark]
        self.findings_html = widgets.HTML()
        self.findings_html.add_class("cobranca-achados")
        self.metrics = widgets.HTML()
        self.metrics.add_class("cobranca-metricas")
        self.history = widgets.HTML(history_html(rounds))
        self.history.add_class("cobranca-historico")
        self.verify_button = _button("Verificar", "cobranca-verificar", "check")
        self.preview_button = _button("Pré-visualizar", "cobranca-previsualizar", "eye")
        self.save_button = _button("Salvar como modelo", "cobranca-salvar", "save", "primary")
        self.approve_button = _button("Aprovar", "cobranca-aprovar", "thumbs-up", "success")
        self.ref_html = widgets.HTML()
        self.ref_html.add_class("cobranca-ref")
        self.status = widgets.HTML(
            f'<div class="cobranca-erro">⚠ {html.escape(warning)}</div>' if warning else ""
        )
        self.status.add_class("cobranca-status")
        self.preview = widgets.HTML()
        self.preview.add_class("cobranca-preview")
        actions = widgets.HBox(
            [self.verify_button, self.preview_button, self.save_button, self.approve_button, self.ref_html]
        )
        super().__init__(
            [
                self.header,
                self.badge,
                *rows,
                self.findings_html,
                self.metrics,
                self.history,
                actions,
                self.status,
                self.preview,
            ]
        )
        self.add_class("cobranca-card")
        self._stale = False
        self.show_report(report)

    @staticmethod
    def _height(text: str) -> str:
        lines = sum(1 + len(line) // 90 for line in text.splitlines() or [""])
        return f"{min(max(lines, 2), 14) * 20 + 12}px"

    def parts(self) -> list[tuple[str, str]]:
        """The current (possibly edited) text of every part, in order."""
        return [(name, self.textareas[name].value) for name in self.part_names]

    def script(self) -> Any:
        """The edited text as a script; raises a validation error on a bad placeholder."""
        return script_from_parts(self.channel, self.parts())

    @property
    def stale(self) -> bool:
        """True when the text changed since the last verification."""
        return self._stale

    def has_unsaved_edits(self) -> bool:
        """True when the text differs from what was drafted (or opened) and from what was saved."""
        parts = self.parts()
        return parts != self.original_parts and parts != self.saved_parts

    def _on_edit(self, _change: dict[str, Any]) -> None:
        """The text changed: take down everything that described the old text.

        Highlights, findings, metrics and preview belong to the verified text; left on
        screen they would show a removed threat under a green label. The badge asks
        for a new verification, which paints them again (preview included).
        """
        if self._stale:
            return
        self._stale = True
        self.badge.value = badge_html(self.report, stale=True)
        for mark in self.highlights.values():
            mark.value = ""
        self.findings_html.value = ""
        self.metrics.value = ""
        self.preview.value = ""
        self.status.value = ""
        if self.ref is not None:
            self.ref_html.value = (
                f'<span class="cobranca-ref-id">Texto alterado depois de <code>{html.escape(str(self.ref))}'
                "</code>: salve uma nova versão</span>"
            )

    def show_report(self, report: Any, metrics_text: str | None = None, metrics_note: str = "") -> None:
        """Paint a verification: badge, highlights per part, findings list and metrics."""
        self.report = report
        self._stale = False
        self.badge.value = badge_html(report)
        findings = findings_of(report)
        parts = dict(self.parts())
        for name, mark in self.highlights.items():
            mine = [f for f in findings if _get(f, "part") == name and _span(f, parts[name])]
            mark.value = highlight_html(parts[name], mine) if mine else ""
        labels = {name: part_label(name) for name in self.part_names}
        self.findings_html.value = findings_list_html(findings, labels)
        text = metrics_text if metrics_text is not None else "\n\n".join(parts.values())
        self.metrics.value = metrics_html(text, metrics_note, sms=self.channel == "sms")
