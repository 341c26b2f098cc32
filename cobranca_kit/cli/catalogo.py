"""``cobranca-kit catalogo`` and ``cobranca-kit config``: show the vocabulary and the
effective configuration."""

from __future__ import annotations

import json

import typer

from cobranca_kit.catalog import KIND_LABELS, KINDS, get_catalog
from cobranca_kit.cli.common import friendly_errors
from cobranca_kit.config import load_config
from cobranca_kit.fields import get_fields


def register(app: typer.Typer) -> None:
    @app.command("catalogo")
    @friendly_errors
    def catalogo() -> None:
        """Lista objeções, tons, canais, estágios, perfis, meios de pagamento e variáveis."""
        cat = get_catalog()
        for kind in KINDS:
            typer.echo(f"\n{KIND_LABELS[kind].upper()} ({kind})")
            for entry in getattr(cat, kind):
                typer.echo(f"  {entry.id:<22} {entry.rotulo}")
        typer.echo("\nVARIÁVEIS (use nos modelos como {{ nome }})")
        for spec in get_fields().campos:
            typer.echo(f"  {spec.nome:<28} {spec.descricao}")

    @app.command("config")
    @friendly_errors
    def config(
        arquivo: str = typer.Option(
            None, "--arquivo", help="Caminho do cobranca.toml (padrão: pasta atual)."
        ),
    ) -> None:
        """Valida o cobranca.toml e mostra a configuração efetiva (nunca mostra chaves de API)."""
        cfg = load_config(arquivo)
        typer.echo(f"arquivo: {cfg.source or '(nenhum; valores padrão)'}")
        typer.echo(json.dumps(cfg.model_dump(mode="json"), ensure_ascii=False, indent=2))
        if cfg.empresa is None:
            typer.echo(
                "aviso: falta a seção [empresa] (nome, cnpj, endereco, atendimento). Sem ela o lote não "
                "roda, e toda mensagem precisa identificar o credor "
                "(CDC art. 42-A).",
                err=True,
            )
        for line in cfg.envio.window_warnings():
            typer.echo(f"aviso: {line}. O lote envia nesse horário.", err=True)
