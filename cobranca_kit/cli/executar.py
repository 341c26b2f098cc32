"""``cobranca-kit executar``, ``amostra`` and ``demo``: the scheduled batch run from the shell.

Only option parsing here; the work is in :mod:`cobranca_kit.batch`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from cobranca_kit.cli.common import friendly_errors, parse_date
from cobranca_kit.errors import BatchError


def _time(value: str | None) -> dt.time | None:
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise BatchError(f"hora inválida: '{value}' (use HH:MM)") from exc


def _run_and_report(settings: object, cfg: object, *, notebook: bool, then: object = None) -> None:
    """Run the batch (through papermill unless ``notebook`` is false), print the summary,
    what ``then(summary)`` returns, and, last, the run folder."""
    from cobranca_kit.batch.pipeline import run_batch
    from cobranca_kit.batch.run import run_notebook

    result = run_notebook(settings, cfg) if notebook else run_batch(settings, cfg, progress=True)
    _print_summary(result.summary)
    extra = then(result.summary) if callable(then) else None
    if extra:
        typer.echo(extra)
    typer.echo(str(result.folder))


def _print_summary(summary: dict) -> None:
    lines = summary["linhas"]
    status = summary["contagens"]["por_status"]
    typer.echo(
        f"linhas lidas {lines['lidas']} = aceitas {lines['aceitas']} + rejeitadas {lines['rejeitadas']}"
        + ("  (simulação: registro de contatos não gravado)" if summary.get("simulacao") else "")
    )
    typer.echo("situação: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    by_channel = summary["contagens"]["por_canal"]
    if by_channel:
        typer.echo("mensagens por canal: " + ", ".join(f"{k} {v}" for k, v in sorted(by_channel.items())))
    typer.echo(f"modelos usados: {len(summary['modelos_usados'])}; duração {summary['duracao_s']['total']} s")
    for entry in summary.get("experimentos", []):
        state = (
            "pesos " + ", ".join(f"{k} {v:.0%}" for k, v in entry["pesos"].items())
            if entry["ativo"]
            else "desligado"
        )
        typer.echo(f"experimento {entry['id']} (passo {entry['passo']}): {state}")
    _warn_decisions(summary.get("decisoes") or {})


def _warn_decisions(decisions: dict) -> None:
    """On stderr: what the run decided on its own (also in decisoes.csv and resumo.json)."""
    for problem in decisions.get("biblioteca_com_problemas", []):
        typer.echo(
            f"aviso: arquivo da biblioteca ignorado: {problem['arquivo']}: {problem['motivo']}", err=True
        )
    for reason, n in decisions.get("por_motivo", {}).items():
        typer.echo(f"aviso: {n} devedor(es) foram para outro canal ({reason})", err=True)
    if decisions.get("outro_canal"):
        typer.echo(
            f"aviso: {decisions['outro_canal']} devedor(es) em outro canal que o primeiro da régua; "
            f"detalhes em {decisions.get('arquivo', 'decisoes.csv')}",
            err=True,
        )


def _demo_results(cfg: object, summary: dict) -> str | None:
    from cobranca_kit.batch.regua import load_regua
    from cobranca_kit.results.demo import demo_results

    regua_path = cfg.path("regua")  # type: ignore[attr-defined]
    return demo_results(cfg, summary, load_regua(regua_path) if regua_path.is_file() else None)  # type: ignore[arg-type]


def _extra_parameters(args: list[str]) -> list[tuple[str, str]]:
    """``-p chave valor`` pairs from the arguments typer left unparsed."""
    pairs, i = [], 0
    while i < len(args):
        if args[i] not in ("-p", "--parametro"):
            raise BatchError(f"argumento inesperado: '{args[i]}' (parâmetros extras: -p CHAVE VALOR)")
        if len(args) - i < 3:
            raise BatchError("-p precisa de CHAVE e VALOR (ex.: -p colunas.documento CPF_CNPJ)")
        pairs.append((args[i + 1], args[i + 2]))
        i += 3
    return pairs


def register(app: typer.Typer) -> None:
    @app.command("executar", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    @friendly_errors
    def executar(
        ctx: typer.Context,
        carteira: Path = typer.Option(
            ..., "--carteira", help="Carteira de dívidas: CSV (; ou ,), XLSX ou Parquet."
        ),
        data: str = typer.Option(None, "--data", help="Data da execução, AAAA-MM-DD (padrão: hoje)."),
        hora: str = typer.Option(None, "--hora", help="Hora da execução, HH:MM (padrão: agora)."),
        dry_run: bool = typer.Option(
            False, "--dry-run", "--simulacao", help="Planeja sem gravar o registro de contatos."
        ),
        processos: int = typer.Option(
            1,
            "--processos",
            min=1,
            max=64,
            help="Processos no total (o principal também planeja); carteiras pequenas usam menos.",
        ),
        sem_caderno: bool = typer.Option(
            False, "--sem-caderno", help="Roda sem o caderno (sem papermill, sem HTML): mais rápido."
        ),
        config: Path = typer.Option(None, "--config", help="Caminho do cobranca.toml (padrão: pasta atual)."),
        espera: float = typer.Option(
            120,
            "--espera",
            min=0,
            help="Minutos de espera por outra execução em andamento no mesmo registro de contatos.",
        ),
    ) -> None:
        """Gera o conjunto de mensagens do dia a partir da carteira (executa o caderno com papermill).

        Parâmetros extras do caderno: -p CHAVE VALOR (repetível), por exemplo
        -p colunas.documento CPF_CNPJ  ou  -p canais whatsapp,email.
        """
        from cobranca_kit.batch.pipeline import BatchSettings
        from cobranca_kit.batch.run import parse_parameter
        from cobranca_kit.config import load_config

        cfg = load_config(config)
        for line in cfg.envio.window_warnings():
            typer.echo(f"aviso: {line}.", err=True)
        settings = BatchSettings(
            carteira=carteira,
            data=parse_date(data),
            hora=_time(hora),
            dry_run=dry_run,
            processos=processos,
            espera_s=espera * 60,
        )
        for key, value in _extra_parameters(ctx.args):
            parse_parameter(settings, key, value)
        _run_and_report(settings, cfg, notebook=not sem_caderno)

    @app.command("amostra")
    @friendly_errors
    def amostra(
        linhas: int = typer.Option(1000, "--linhas", min=1, help="Número de linhas."),
        saida: Path = typer.Option(Path("carteira.csv"), "--saida", help="Arquivo: .csv, .xlsx ou .parquet."),
        data: str = typer.Option(None, "--data", help="Data de referência dos vencimentos (padrão: hoje)."),
        semente: int = typer.Option(42, "--semente", help="Semente: a mesma semente gera a mesma carteira."),
        pagamentos: Path = typer.Option(
            None,
            "--pagamentos",
            help="Em vez da carteira: pagamentos simulados dos devedores dos experimentos (registro de contatos).",
        ),
        eventos: Path = typer.Option(
            Path("eventos.csv"), "--eventos", help="Com --pagamentos: arquivo de descadastros e reclamações."
        ),
        efeito: list[str] = typer.Option(
            [], "--efeito", help="Com --pagamentos: VARIANTE=PP a mais de pagamentos (ex.: V2=+3). Repetível."
        ),
        dano: list[str] = typer.Option(
            [], "--dano", help="Com --pagamentos: VARIANTE=PP a mais de descadastros (ex.: V3=+2). Repetível."
        ),
        config: Path = typer.Option(
            None, "--config", help="Com --pagamentos: o cobranca.toml (padrão: pasta atual)."
        ),
    ) -> None:
        """Gera uma carteira fictícia realista (faker pt_BR), com algumas linhas propositalmente ruins;
        com --pagamentos, gera resultados simulados (com efeito plantado) dos experimentos já executados."""
        if pagamentos is not None:
            from cobranca_kit.config import load_config
            from cobranca_kit.results.simulate import ledger_assignments, parse_effects, write_outcome_files

            cfg = load_config(config)
            assigned = ledger_assignments(cfg.path("ledger"))
            if not assigned:
                raise BatchError(
                    "nenhum devedor atribuído a experimento no registro de contatos: rode o lote antes"
                )
            files = write_outcome_files(
                assigned,
                pagamentos,
                eventos,
                effects=parse_effects(efeito, dano),
                days=cfg.experimentos.dias_atribuicao,
                seed=semente,
            )
            typer.echo(
                f"{files.paid} pagamentos simulados: {files.payments}; {files.events_written} eventos: {files.events}"
            )
            return
        from cobranca_kit.batch.sample import write_sample

        path = write_sample(saida, linhas, run_date=parse_date(data), seed=semente)
        typer.echo(f"carteira fictícia com {linhas} linhas: {path}")

    @app.command("demo")
    @friendly_errors
    def demo(
        linhas: int = typer.Option(
            400, "--linhas", min=1, help="Linhas da carteira fictícia, se for criada."
        ),
        sem_caderno: bool = typer.Option(False, "--sem-caderno", help="Roda sem o caderno (sem papermill)."),
    ) -> None:
        """Demonstração na pasta atual: cria carteira e modelos se faltarem e executa o lote."""
        from cobranca_kit.batch.demo import prepare_workspace
        from cobranca_kit.batch.pipeline import BatchSettings
        from cobranca_kit.config import load_config

        cfg = load_config()
        if cfg.source is None:
            raise BatchError("rode o demo numa pasta com cobranca.toml (por exemplo: cd exemplo)")
        prepared = prepare_workspace(cfg, rows=linhas)
        if prepared.made_portfolio:
            typer.echo(f"carteira fictícia criada: {prepared.portfolio}")
        if prepared.seed is not None:
            typer.echo(f"modelos de exemplo aprovados na biblioteca: {len(prepared.seed.approved)}")
            for combo, reason in prepared.seed.failed:
                typer.echo(
                    f"  sem modelo para {combo.objecao}/{combo.tom}/{combo.canal}/{combo.estagio}: {reason}"
                )
        if prepared.variants is not None and prepared.variants.approved:
            typer.echo(
                f"variantes de experimento aprovadas na biblioteca: {', '.join(prepared.variants.approved)}"
            )
        settings = BatchSettings(carteira=prepared.portfolio)
        _run_and_report(
            settings, cfg, notebook=not sem_caderno, then=lambda summary: _demo_results(cfg, summary)
        )
