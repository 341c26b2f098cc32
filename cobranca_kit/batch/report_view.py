"""The batch report as a team lead reads it: pt-BR labels instead of ids, a
summary to read before sending, tables in full (no truncated reason), charts with
alternative text and one fixed colour per channel.

Every function returns an HTML string (or a DataFrame with labelled headings), so
``notebooks/02_conjunto_mensagens.ipynb`` only displays them and the tests read the
same markup without a kernel. :mod:`cobranca_kit.batch.report` keeps the raw
tables (ids) these build on.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cobranca_kit.batch.portfolio import FIELD_LABELS
from cobranca_kit.catalog import get_catalog
from cobranca_kit.errors import CobrancaKitError
from cobranca_kit.formatting import contagem, data

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from cobranca_kit.batch.report import RunData
    from cobranca_kit.config import Config

#: One colour per channel, the same in every chart (colour-blind-safe Okabe-Ito palette).
CHANNEL_COLORS = {"whatsapp": "#009E73", "sms": "#E69F00", "email": "#0072B2", "telefone": "#CC79A7"}

#: Debtor outcomes of ``resumo.json`` (``por_status``).
STATUS_LABELS = {
    "agendada": "Mensagem agendada",
    "adiada": "Adiada (limite de contatos)",
    "ignorada": "Ignorada hoje (com motivo)",
    "ja_planejada": "Já planejada em execução anterior",
    "rejeitada": "Linha rejeitada (dados inválidos)",
    "sem_etapa_hoje": "Sem passo da régua hoje",
}
#: Categories of ``rejeitados.csv`` and ``ignorados.csv``.
CATEGORY_LABELS = {
    "invalida": "Dado inválido",
    "prescrita": "Dívida prescrita",
    "suspensa": "Cobrança suspensa",
    "sem_canal": "Sem canal de contato",
    "sem_mensagem": "Sem modelo aprovado ou mensagem válida",
    "terceiro": "Contato é terceiro (nunca recebe cobrança)",
    "contato_nao_confirmado": "Contato não confirmado como o devedor",
    "fora_da_janela": "Envio planejado fora da janela de horário",
    "ja_planejada": "Já planejada",
}
#: Headings of the run files' columns.
COLUMN_LABELS = {
    "linha": "Linha",
    "devedor_id": "Devedor",
    "campo": "Campo",
    "categoria": "Categoria",
    "motivo": "Motivo",
    "passo": "Passo",
    "estagio": "Estágio",
    "canal": "Canal",
    "proximo_contato_em": "Próximo contato",
}
#: Rejected rows shown in the page; all of them are always in ``rejeitados.csv``.
MAX_REJECTED_SHOWN = 1000

REPORT_CSS = """<style>
.cobranca-relatorio { font-family: system-ui, sans-serif; max-width: 960px; }
.cobranca-resumo { border: 2px solid #0072B2; border-radius: 8px; padding: 12px 16px; background: #f4f9fd; }
.cobranca-resumo h2 { margin-top: 0; }
.cobranca-numeros { display: flex; flex-wrap: wrap; gap: 12px; padding: 0; list-style: none !important; }
.cobranca-numeros li { list-style: none !important; }
.cobranca-numeros li { background: #fff; border: 1px solid #ccd; border-radius: 6px; padding: 6px 10px; }
.cobranca-numeros b { font-size: 1.4em; display: block; }
.cobranca-alerta { color: #8a1c00; font-weight: 600; }
.cobranca-ok { color: #1b5e20; }
.cobranca-tabela { border-collapse: collapse; margin: 6px 0; }
.cobranca-tabela th, .cobranca-tabela td { border: 1px solid #ccc; padding: 3px 8px; text-align: left !important;
  vertical-align: top; white-space: normal; }
.cobranca-tabela th { background: #eef; }
.cobranca-canal { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
  margin-right: 4px; vertical-align: middle; }
</style>"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def label(kind: str, ident: str) -> str:
    """Catalog label of an id (``estagios``, ``canais``, ``tons``...), the id itself when unknown."""
    try:
        return get_catalog().label(kind, ident)
    except CobrancaKitError:
        return ident


def channel_label(channel: str) -> str:
    return label("canais", channel)


def channel_swatch(channel: str) -> str:
    colour = CHANNEL_COLORS.get(channel, "#999999")
    return f'<span class="cobranca-canal" style="background:{colour}" aria-hidden="true"></span>'


# -- generic pieces ---------------------------------------------------------------------


def figure_html(fig: Figure, alt: str, caption: str | None = None) -> str:
    """A matplotlib figure as an ``<img>`` with alternative text (PNG embedded)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    figcaption = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="cobranca-grafico"><img src="data:image/png;base64,{encoded}" alt="{_esc(alt)}">'
        f"{figcaption}</figure>"
    )


def table_html(frame: pd.DataFrame, caption: str = "", index: bool = False) -> str:
    """A whole DataFrame as an HTML table: every row, every character of every cell."""
    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in ([frame.index.name or ""] if index else []))
    head += "".join(f'<th scope="col">{_esc(c)}</th>' for c in frame.columns)
    rows = []
    for key, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = f'<th scope="row">{_esc(key)}</th>' if index else ""
        cells += "".join(f"<td>{_esc(v)}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    return f'<table class="cobranca-tabela">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def labelled_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A run file with pt-BR headings and labels for stages, channels, categories and fields."""
    out = frame.copy()
    if "estagio" in out:
        out["estagio"] = out["estagio"].map(lambda s: label("estagios", s))
    if "canal" in out:
        out["canal"] = out["canal"].map(channel_label)
    if "categoria" in out:
        out["categoria"] = out["categoria"].map(lambda c: CATEGORY_LABELS.get(c, c))
    if "campo" in out:
        out["campo"] = out["campo"].map(lambda f: FIELD_LABELS.get(f, f))
    return out.rename(columns=COLUMN_LABELS)


# -- the page -----------------------------------------------------------------------------


def report_title(summary: Mapping[str, Any]) -> str:
    """``Conjunto de mensagens de 24/11/2026 · Credor`` (the page title and heading)."""
    title = f"Conjunto de mensagens de {data(summary['data_execucao'])}"
    creditor = summary.get("credor")
    return f"{title} · {creditor}" if creditor else title


def header_html(summary: Mapping[str, Any]) -> str:
    when = str(summary.get("hora_execucao", ""))[:16].replace("T", " às ")
    return (
        REPORT_CSS + f'<div class="cobranca-relatorio"><h1>{_esc(report_title(summary))}</h1>'
        f"<p>Execução <code>{_esc(summary.get('execucao', ''))}</code>, preparada em {_esc(when)}.</p></div>"
    )


def presend_summary_html(run: RunData, missing: pd.DataFrame | None = None) -> str:
    """What a lead must know before sending, in a few lines: how many messages by channel,
    what was set aside and why, and whether any régua step lacks an approved template."""
    summary = run.summary
    status = summary["contagens"]["por_status"]
    rows = summary["linhas"]
    by_channel = run.messages["canal"].value_counts() if len(run.messages) else {}
    numbers = [
        (status.get("agendada", 0), "mensagem agendada", "mensagens agendadas"),
        (rows["rejeitadas"], "linha rejeitada", "linhas rejeitadas"),
        (status.get("adiada", 0), "contato adiado", "contatos adiados"),
        (status.get("ignorada", 0), "devedor ignorado hoje", "devedores ignorados hoje"),
    ]
    items = "".join(f"<li><b>{n}</b>{_esc(one if n == 1 else many)}</li>" for n, one, many in numbers)
    channels = ", ".join(
        f"{channel_swatch(c)}{_esc(channel_label(c))}: {int(by_channel[c])}"
        for c in CHANNEL_COLORS
        if c in by_channel
    )
    alerts = []
    if summary.get("simulacao"):
        alerts.append("Simulação: o registro de contatos não foi gravado; nada foi marcado como enviado.")
    if rows["rejeitadas"]:
        alerts.append(
            f"{contagem(rows['rejeitadas'], 'linha rejeitada')} da carteira: corrija na origem "
            "(motivos abaixo e em rejeitados.csv)."
        )
    if status.get("ja_planejada"):
        alerts.append(
            f"{contagem(status['ja_planejada'], 'devedor')} já com mensagem planejada hoje por execução "
            "anterior: não entram de novo."
        )
    if missing is not None and len(missing):
        alerts.append(
            f"{contagem(len(missing), 'combinação', 'combinações')} de passo e canal da régua sem modelo aprovado."
        )
    alert_html = "".join(f'<li class="cobranca-alerta">{_esc(a)}</li>' for a in alerts)
    if not alerts:
        alert_html = '<li class="cobranca-ok">Nada pendente: pode seguir com o envio.</li>'
    balance = f"Linhas lidas: {rows['lidas']} = aceitas {rows['aceitas']} + rejeitadas {rows['rejeitadas']}."
    return (
        '<section class="cobranca-relatorio cobranca-resumo" aria-label="Resumo antes do envio">'
        "<h2>Resumo antes do envio</h2>"
        f'<ul class="cobranca-numeros">{items}</ul>'
        f"<p>Por canal: {channels or 'nenhuma mensagem'}.</p>"
        f"<ul>{alert_html}</ul><p>{_esc(balance)}</p></section>"
    )


def status_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Debtors per outcome with pt-BR labels, in the order of the pipeline."""
    import pandas as pd

    counts = summary["contagens"]["por_status"]
    rows = [(STATUS_LABELS.get(s, s), n) for s, n in counts.items()]
    return pd.DataFrame(rows, columns=["Situação", "Devedores"])


def messages_per_template(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Messages per approved template version (most used first), with its channel, stage and approver."""
    import pandas as pd

    per_ref = summary["contagens"].get("por_modelo", {})
    used = {u["ref"]: u for u in summary.get("modelos_usados") or []}
    rows = []
    for ref, count in sorted(per_ref.items(), key=lambda kv: (-kv[1], kv[0])):
        info = used.get(ref, {})
        ident = info.get("id", ref.partition("@")[0])
        stage = next((s for s in get_catalog().ids("estagios") if ident.endswith(f"-{s}")), "")
        rows.append(
            {
                "Modelo": ident,
                "Versão": info.get("versao", ref.partition("@v")[2]),
                "Canal": channel_label(info.get("canal", "")),
                "Estágio": label("estagios", stage) if stage else "",
                "Aprovado por": info.get("aprovado_por") or "",
                "Mensagens": count,
            }
        )
    return pd.DataFrame(rows, columns=["Modelo", "Versão", "Canal", "Estágio", "Aprovado por", "Mensagens"])


def rejected_html(run: RunData, limit: int = MAX_REJECTED_SHOWN) -> str:
    """Every rejected row with its whole reason (up to ``limit``), and the link to the CSV."""
    total = len(run.rejected)
    link = (
        '<p><a href="rejeitados.csv" download>Baixar rejeitados.csv</a> '
        "(todas as linhas rejeitadas, com linha, campo e motivo; abre no Excel).</p>"
    )
    if not total:
        return "<p>Nenhuma linha rejeitada.</p>"
    shown = run.rejected.head(limit)
    note = (
        f"<p>{contagem(total, 'linha rejeitada')}.</p>"
        if total <= limit
        else f"<p>Mostrando as primeiras {limit} de {total} linhas rejeitadas; todas estão no arquivo.</p>"
    )
    return note + link + table_html(labelled_rows(shown), caption="Linhas rejeitadas e o motivo")


def missing_templates(summary: Mapping[str, Any], config: Config) -> pd.DataFrame:
    """Régua steps and channels without an approved template in the library the run used
    (the planner's own lookup), with the reason in pt-BR."""
    import pandas as pd

    from cobranca_kit.batch.plan import TemplateResolver
    from cobranca_kit.batch.regua import day_label, load_regua
    from cobranca_kit.library import Library

    regua = load_regua(summary["regua"]["arquivo"])
    resolver = TemplateResolver(Library(Path(summary["biblioteca"])), config)
    rows = []
    for step in regua.passos:
        resolved = regua.resolve(step, None, None)
        if resolved.suspended:
            continue
        for channel in resolved.canais:
            choice = resolver.choose(resolved, channel, None)
            reason = choice if isinstance(choice, str) else getattr(choice, "blocked", "")
            if reason:
                rows.append(
                    {
                        "Passo": f"{step.id} ({day_label(step.dias)})",
                        "Estágio": label("estagios", step.estagio),
                        "Canal": channel_label(channel),
                        "Tom": label("tons", resolved.tom),
                        "Motivo": reason,
                    }
                )
    return pd.DataFrame(rows, columns=["Passo", "Estágio", "Canal", "Tom", "Motivo"])


def missing_templates_html(missing: pd.DataFrame) -> str:
    if missing.empty:
        return '<p class="cobranca-ok">Todos os passos da régua têm modelo aprovado em cada canal.</p>'
    return (
        f'<p class="cobranca-alerta">{contagem(len(missing), "combinação", "combinações")} de passo e canal '
        "sem modelo aprovado: o passo usa o próximo canal ou é ignorado, conforme a régua. "
        "Aprove um modelo na bancada para cada uma.</p>"
        + table_html(missing, caption="Passos da régua sem modelo aprovado")
    )


# -- charts with alternative text ------------------------------------------------------------


def stage_channel_figure_html(table: pd.DataFrame) -> str:
    """The stage x channel chart with labels, fixed channel colours and a text alternative."""
    from cobranca_kit.batch.report import stage_channel_chart

    shown = table.rename(index=lambda s: label("estagios", s))
    fig = stage_channel_chart(table.rename(index=lambda s: textwrap.fill(label("estagios", s), 18)))
    parts = []
    for stage, row in shown.iterrows():
        counts = ", ".join(f"{channel_label(str(c))} {int(n)}" for c, n in row.items() if n)
        parts.append(f"{stage}: {counts}")
    alt = "Gráfico de barras empilhadas das mensagens por estágio e canal. " + "; ".join(parts) + "."
    return figure_html(fig, alt)


def send_time_figure_html(messages: pd.DataFrame) -> str:
    from cobranca_kit.batch.report import send_hours, send_time_histogram

    hours = send_hours(messages).value_counts().sort_index()
    described = ", ".join(f"{h}h: {n}" for h, n in hours.items())
    alt = f"Histograma das mensagens por hora local de envio. {described}."
    return figure_html(send_time_histogram(messages), alt)


def rejections_figure_html(reasons: pd.Series) -> str:
    import pandas as pd

    from cobranca_kit.batch.report import rejections_chart

    names = [
        f"{CATEGORY_LABELS.get(key[0], key[0])}: {FIELD_LABELS.get(key[1], key[1])}"
        if isinstance(key, tuple)
        else str(key)
        for key in reasons.index
    ]
    labelled = pd.Series(reasons.to_numpy(), index=pd.Index(names, name="motivo"), name=reasons.name)
    described = "; ".join(f"{k}: {int(n)}" for k, n in labelled.sort_values(ascending=False).items())
    alt = f"Gráfico de barras das linhas rejeitadas por motivo. {described}."
    return figure_html(rejections_chart(labelled), alt)


__all__ = [
    "CATEGORY_LABELS",
    "CHANNEL_COLORS",
    "STATUS_LABELS",
    "figure_html",
    "header_html",
    "labelled_rows",
    "messages_per_template",
    "missing_templates",
    "missing_templates_html",
    "presend_summary_html",
    "rejected_html",
    "rejections_figure_html",
    "report_title",
    "send_time_figure_html",
    "stage_channel_figure_html",
    "status_table",
    "table_html",
]
