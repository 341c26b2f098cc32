"""``cobranca-kit resultados importar`` and ``resultados relatorio``: outcomes of A/B experiments.

Only option parsing here; the work is in :mod:`cobranca_kit.results`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cobranca_kit.cli.common import friendly_errors, parse_date
from cobranca_kit.errors import BatchError

resultados = typer.Typer(
    help="Resultados dos experimentos A/B: importar pagamentos e eventos, ver o relatório.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _workspace(config: Path | None):
    from cobranca_kit.config import load_config

    return load_config(config)


@resultados.command("importar")
@friendly_errors
def importar(
    arquivos: list[Path] = typer.Argument(
        ..., help="Arquivos de pagamentos ou de eventos (CSV, XLSX, Parquet)."
    ),
    tipo: str = typer.Option(
        None, "--tipo", help="pagamentos ou eventos (padrão: pela coluna 'tipo' do arquivo)."
    ),
    data: str = typer.Option(None, "--data", help="Hoje, AAAA-MM-DD: datas depois dela são rejeitadas."),
    carteira: Path = typer.Option(
        None, "--carteira", help="Carteira com pix_copia_e_cola: identifica pagamentos que só trazem o txid."
    ),
    config: Path = typer.Option(None, "--config", help="Caminho do cobranca.toml (padrão: pasta atual)."),
) -> None:
    """Importa pagamentos (devedor_id, data_pagamento, valor; txid/endToEndId opcionais) e
    respostas, descadastros e reclamações (devedor_id, data, tipo). Reimportar não duplica."""
    from cobranca_kit.results.importing import import_outcomes, txids_from_portfolio

    cfg = _workspace(config)
    txids = txids_from_portfolio(carteira) if carteira is not None else None
    for path in arquivos:
        report = import_outcomes(path, cfg.path("ledger"), kind=tipo, today=parse_date(data), txids=txids)
        typer.echo(report.text())


@resultados.command("relatorio")
@friendly_errors
def relatorio(
    data: str = typer.Option(None, "--data", help="Data de referência, AAAA-MM-DD (padrão: hoje)."),
    dias: int = typer.Option(
        None,
        "--dias",
        min=1,
        help="Dias para atribuir um pagamento (padrão: [experimentos] dias_atribuicao).",
    ),
    formato: str = typer.Option("texto", "--formato", help="texto, json ou csv."),
    saida: Path = typer.Option(None, "--saida", help="Grava o relatório neste arquivo."),
    config: Path = typer.Option(None, "--config", help="Caminho do cobranca.toml (padrão: pasta atual)."),
) -> None:
    """Por experimento e variante: mensagens, pagos em N dias, valor recuperado, descadastros e
    reclamações, intervalos de 95%, diferença para o controle e o veredito."""
    from cobranca_kit.results.report import build_report, report_frame, report_json, report_text

    if formato not in ("texto", "json", "csv"):
        raise BatchError(f"formato desconhecido: '{formato}' (use texto, json ou csv)")
    cfg = _workspace(config)
    rules = (
        cfg.experimentos if dias is None else cfg.experimentos.model_copy(update={"dias_atribuicao": dias})
    )
    reports = build_report(cfg.path("ledger"), rules, parse_date(data), _regua(cfg))
    if formato == "csv":
        text = report_frame(reports).to_csv(sep=";", index=False)
    else:
        text = report_json(reports) if formato == "json" else report_text(reports)
    if saida is not None:
        saida.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"relatório gravado em {saida}")
    else:
        typer.echo(text)


def _regua(cfg):
    from cobranca_kit.batch.regua import load_regua

    path = cfg.path("regua")
    return load_regua(path) if path.is_file() else None


def register(app: typer.Typer) -> None:
    app.add_typer(resultados, name="resultados")
