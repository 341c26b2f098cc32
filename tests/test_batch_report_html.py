"""The batch report as exported to HTML (what a team lead opens): language, title and
date, a pre-send summary, messages per template, every rejected row in full with the
CSV to download, régua steps without a template, catalog labels, charts with
alternative text and one colour per channel."""

from __future__ import annotations

import csv
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv

from cobranca_kit.batch import report, report_view
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.run import run_notebook
from cobranca_kit.catalog import get_catalog

ROWS = [
    row(1),  # D0 -> WhatsApp
    row(2, uf="AM"),
    row(3, days=7, email="ana@exemplo.com.br"),  # D+7: e-mail has no template -> SMS
    row(4, cpf="111"),  # rejected: document
    row(5, optout="talvez amanhã depois do almoço"),  # rejected, with a long reason
    row(6, phone="123"),  # rejected: phone
]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("relatorio_html")
    cfg = make_workspace(tmp, channels=("whatsapp", "sms"))  # no e-mail template
    portfolio = write_csv(tmp / "carteira.csv", ROWS)
    run = run_notebook(BatchSettings(carteira=portfolio, data=RUN_DATE, dry_run=True), cfg, progress=False)
    assert run.html is not None
    return run.folder, run.html.read_text(encoding="utf-8")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_page_is_pt_br_with_title_and_date(exported: tuple[Path, str]) -> None:
    _, page = exported
    assert '<html lang="pt-BR">' in page
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and f"{RUN_DATE:%d/%m/%Y}" in title.group(1) and "Conjunto de mensagens" in title.group(1)
    assert f"<h1>Conjunto de mensagens de {RUN_DATE:%d/%m/%Y}" in page
    assert "cobranca-kit executar --carteira" not in page  # the notebook's how-to stays out of the report


def test_presend_summary_comes_first_with_the_key_figures(exported: tuple[Path, str]) -> None:
    _, page = exported
    start = page.index("Resumo antes do envio")
    assert start < page.index("Mensagens por modelo") < page.index("Linhas rejeitadas")
    summary = page[start : page.index("</section>", start)]
    text = _text(summary)
    assert "3 linhas rejeitadas" in re.sub(r"\s+", " ", text)
    assert "Simulação" in text
    assert "sem modelo aprovado" in text


def test_messages_per_template_table(exported: tuple[Path, str]) -> None:
    folder, page = exported
    with (folder / "mensagens.csv").open(encoding="utf-8-sig", newline="") as fh:
        refs = {(r["modelo_id"], r["devedor_id"], r["passo"]) for r in csv.DictReader(fh, delimiter=";")}
    per_template: dict[str, int] = {}
    for template, _, _ in refs:
        per_template[template] = per_template.get(template, 0) + 1
    caption = page.index("Mensagens por versão de modelo aprovada")
    table = page[caption : page.index("</table>", caption)]
    for template, count in per_template.items():
        assert re.search(rf"<td>{re.escape(template)}</td>.*?<td>{count}</td></tr>", table, re.S), template
    assert "<td>WhatsApp</td>" in table  # label, not the id


def test_every_rejected_row_in_full_with_the_csv_link(exported: tuple[Path, str]) -> None:
    folder, page = exported
    link = re.search(r'<a [^>]*href="rejeitados.csv"[^>]*>', page)
    assert link and "download" in link.group(0)
    with (folder / "rejeitados.csv").open(encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh, delimiter=";"))
    assert len(rejected) == 3
    text = _text(page)
    for rejection in rejected:
        assert rejection["motivo"] in text, rejection["motivo"]  # whole reason, no "..."
    assert any(len(r["motivo"]) > 80 for r in rejected)


def test_missing_templates_per_regua_step(exported: tuple[Path, str]) -> None:
    _, page = exported
    start = page.index("Passos da régua sem modelo aprovado</caption>")
    table = _text(page[start : page.index("</table>", start)])
    assert "vence_hoje" in table and "atraso_d7" in table
    assert "E-mail" in table and "WhatsApp" not in table


def test_labels_instead_of_ids(exported: tuple[Path, str]) -> None:
    _, page = exported
    text = _text(page)
    cat = get_catalog()
    assert cat.label("estagios", "vencimento") in text
    assert "Dado inválido" in text and "Mensagem agendada" in text
    for raw in (
        "<td>invalida</td>",
        "<td>atraso_curto</td>",
        '<th scope="row">vencimento</th>',
        "<td>whatsapp</td>",
    ):
        assert raw not in page


def test_charts_have_alt_text(exported: tuple[Path, str]) -> None:
    _, page = exported
    parser = _Images()
    parser.feed(page)
    charts = [i for i in parser.images if str(i.get("src", "")).startswith("data:image/png")]
    assert len(charts) >= 3
    for chart in charts:
        assert chart.get("alt") and len(str(chart["alt"])) > 30, chart.get("alt")
    alts = " ".join(str(c["alt"]) for c in charts)
    assert "WhatsApp" in alts and "Dado inválido" in alts


def test_channel_colours_are_fixed(tmp_path: Path) -> None:
    """The same channel keeps its colour whatever channels the run has, in the order they come."""
    cfg = make_workspace(tmp_path)
    portfolio = write_csv(tmp_path / "carteira.csv", ROWS[:3])
    run = report.load_run(
        run_batch(BatchSettings(carteira=portfolio, data=RUN_DATE, dry_run=True), cfg).folder
    )
    table = report.messages_by_stage_channel(run.messages)
    for columns in (list(table.columns), list(reversed(table.columns))):
        fig = report.stage_channel_chart(table[columns])
        ax = fig.axes[0]
        legend = {
            t.get_text(): h.get_facecolor()
            for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
        }
        for channel in columns:
            colour = report_view.CHANNEL_COLORS[channel]
            import matplotlib.colors as mcolors

            assert mcolors.to_hex(legend[report_view.channel_label(channel)]) == colour.lower()
