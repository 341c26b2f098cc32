"""``cobranca-kit rascunhar``: draft with the configured backend, check and revise,
print the script(s) with their verdicts (or JSON)."""

from __future__ import annotations

import json
import sys

import typer
from pydantic import ValidationError

from cobranca_kit.cli.common import friendly_errors
from cobranca_kit.config import load_config
from cobranca_kit.datafiles import describe_validation_error
from cobranca_kit.drafting import CheckedDraft, DraftRequest, draft_variants, get_drafter
from cobranca_kit.formatting import contagem

SEVERITY = {"block": "BLOQUEIO", "warn": "aviso", "hint": "dica"}


def _verdict(draft: CheckedDraft) -> str:
    if draft.error and draft.script is None:
        return "ERRO"
    if draft.passed:
        return "APROVADO"
    return "REPROVADO"


def _print_text(results: list[CheckedDraft]) -> None:
    first = results[0]
    typer.echo(f"backend: {first.backend} · modelo: {first.model} · versão do prompt: {first.prompt_version}")
    for draft in results:
        rounds = len(draft.rounds)
        typer.echo(
            f"\n=== Variante {draft.variant + 1} (semente {draft.seed}): {_verdict(draft)} "
            f"após {contagem(rounds, 'rodada')} · tokens: {draft.usage.get('total_tokens', 0)}"
        )
        if draft.mode:
            typer.echo(f"saída estruturada usada: {draft.mode}")
        for note in draft.notes:
            typer.echo(f"aviso: {note}")
        if draft.error:
            typer.echo(f"erro: {draft.error}")
        if draft.script is not None:
            for name, text in draft.script.parts():
                typer.echo(f"\n[{name}]\n{text}")
        if draft.report is not None and draft.report.findings:
            typer.echo("\nAchados:")
            for f in draft.report.findings:
                where = f" ({f.part})" if f.part else ""
                excerpt = f' "{f.excerpt}"' if f.excerpt else ""
                typer.echo(
                    f"  - [{SEVERITY.get(f.severity, f.severity)}] {f.rule_id}{where}:{excerpt} {f.message}"
                )
                if f.suggestion:
                    typer.echo(f"      sugestão: {f.suggestion}")


def register(app: typer.Typer) -> None:
    @app.command("rascunhar")
    @friendly_errors
    def rascunhar(
        objecao: str = typer.Option(
            ..., "--objecao", help="Objeção do cliente (veja 'cobranca-kit catalogo')."
        ),
        tom: str = typer.Option(..., "--tom", help="Tom da mensagem."),
        canal: str = typer.Option(..., "--canal", help="Canal: whatsapp, sms, email ou telefone."),
        estagio: str = typer.Option(..., "--estagio", help="Estágio da régua."),
        perfil: str = typer.Option("desconhecido", "--perfil", help="Perfil do cliente."),
        pagamento: str = typer.Option(
            "pix,link", "--pagamento", help="Meios de pagamento, separados por vírgula."
        ),
        variantes: int = typer.Option(1, "--variantes", help="Quantas versões gerar (1 a 10)."),
        semente: int = typer.Option(None, "--semente", help="Semente da primeira variante (reprodutível)."),
        instrucoes: str = typer.Option(
            "", "--instrucoes", help="Instruções adicionais (sem dados pessoais)."
        ),
        rodadas: int = typer.Option(
            None, "--rodadas", help="Máximo de rodadas de revisão (padrão do cobranca.toml)."
        ),
        formato: str = typer.Option("texto", "--formato", help="Saída: texto ou json."),
        sem_cache: bool = typer.Option(False, "--sem-cache", help="Ignora o cache de respostas."),
        arquivo: str = typer.Option(
            None, "--arquivo", help="Caminho do cobranca.toml (padrão: pasta atual)."
        ),
    ) -> None:
        """Rascunha um roteiro de cobrança, verifica (CDC) e revisa até passar.

        Saída 0 quando todas as variantes passam, 1 quando alguma ainda tem bloqueio
        (ou a resposta do modelo foi inválida), 2 para argumentos inválidos ou servidor inacessível.
        """
        if formato not in ("texto", "json"):
            print(f"erro: formato desconhecido: '{formato}'. Use texto ou json.", file=sys.stderr)
            raise typer.Exit(2)
        try:
            request = DraftRequest(
                objecao=objecao,
                tom=tom,
                canal=canal,
                estagio=estagio,
                perfil=perfil,
                pagamentos=pagamento,
                variantes=variantes,
                seed=semente,
                instrucoes=instrucoes,
            )
        except ValidationError as exc:
            for line in describe_validation_error(exc):
                print(f"erro: {line}", file=sys.stderr)
            raise typer.Exit(2) from None
        config = load_config(arquivo)
        drafter = get_drafter(config, cache=False if sem_cache else None)
        results = draft_variants(request, drafter, config=config, max_rounds=rodadas)
        if formato == "json":
            payload = {
                "backend": drafter.name,
                "model": drafter.model,
                "passed": all(r.passed for r in results),
                "variantes": [r.to_dict() for r in results],
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            _print_text(results)
        unreachable = [r for r in results if r.error_kind == "endpoint"]
        if unreachable:
            print(f"erro: {unreachable[0].error}", file=sys.stderr)
            raise typer.Exit(2)
        if not all(r.passed for r in results):
            raise typer.Exit(1)
