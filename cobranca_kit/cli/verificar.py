"""``cobranca-kit verificar``, ``regras`` and ``avaliar``: the compliance checker from the shell."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import typer

from cobranca_kit.cli.common import friendly_errors
from cobranca_kit.compliance import CATEGORY_LABELS, CheckContext, Report, check, load_rules
from cobranca_kit.compliance.engine import UnusableTextError
from cobranca_kit.compliance.evaluate import Evaluation, Tally, evaluate, read_corpus, trained_on
from cobranca_kit.compliance.report import SEVERITY_LABELS
from cobranca_kit.compliance.rules import ExampleCase, Rule
from cobranca_kit.formatting import contagem
from cobranca_kit.script import parse_script

CANAIS = ("whatsapp", "sms", "email", "telefone")
RELACOES = ("devedor", "terceiro", "desconhecido")
#: The held-out split, looked for beside a development corpus named ``desenvolvimento.jsonl``.
HELD_OUT_NAME = "reservado.jsonl"


def _send_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise UnusableTextError(
            f"--enviado-em inválido '{value}': use data e hora ISO, ex.: 2026-12-06T22:10"
        ) from None


def _read_input(arquivo: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if arquivo == "-" else Path(arquivo).read_bytes()
    except FileNotFoundError:
        raise UnusableTextError(f"arquivo não encontrado: {arquivo}") from None
    except IsADirectoryError:
        raise UnusableTextError(f"{arquivo} é uma pasta, não um arquivo de texto") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableTextError(
            f"{arquivo}: não é texto UTF-8 (byte inválido na posição {exc.start}); salve o arquivo como UTF-8"
        ) from None
    if "\x00" in text:
        raise UnusableTextError(f"{arquivo}: parece um arquivo binário (contém bytes nulos)")
    return text


def _target(text: str, arquivo: str) -> object:
    """A JSON script (``{"channel": ..., ...}``) becomes a Script; anything else is plain text."""
    if arquivo.endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(data, dict) and "channel" in data:
            try:
                return parse_script(data)
            except ValueError as exc:
                raise UnusableTextError(f"{arquivo}: roteiro inválido: {exc}") from None
    return text


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def format_report(report: Report, parts: dict[str, str]) -> str:
    """Lint-style lines: ``linha:coluna  ID  severidade  mensagem`` and the suggestion below."""
    lines = []
    multi = len(parts) > 1
    for f in report.findings:
        if f.part is not None and f.part in parts and (f.end > f.start or f.start > 0):
            line, col = _line_col(parts[f.part], f.start)
            where = f"{line}:{col}"
        else:
            where = "-:-"
        if multi:
            where = f"{f.part or 'roteiro'} {where}"
        excerpt = f" «{f.excerpt}»" if f.excerpt else ""
        lines.append(f"{where}  {f.rule_id}  {SEVERITY_LABELS[f.severity]}  {f.message}{excerpt}")
        lines.append(f"    sugestão: {f.suggestion} ({f.article})")
    blocks, warns = len(report.blocks), len(report.warnings)
    hints = len(report.findings) - blocks - warns
    status = "REPROVADO" if not report.passed else "aprovado"
    lines.append(
        f"{status}: {contagem(blocks, 'bloqueio')}, {contagem(warns, 'aviso')}, {contagem(hints, 'dica')}"
    )
    return "\n".join(lines)


def _example_text(example: str | ExampleCase) -> str:
    if isinstance(example, str):
        return example
    if example.text is not None:
        return example.text
    return " | ".join(f"{k}: {v}" for k, v in (example.parts or {}).items())


def format_rule(rule: Rule) -> str:
    """One rule under the fixed pt-BR headings (o que verifica, por que, exemplo, o que escrever)."""
    severity = SEVERITY_LABELS[rule.severity]
    extra = ", ".join(f"{c}: {SEVERITY_LABELS[s]}" for c, s in rule.severity_by_channel.items())
    lines = [
        f"{rule.id}  [{severity}{'; ' + extra if extra else ''}]  {rule.article}",
        f"  {rule.title} (canais: {', '.join(rule.channels)})",
        f"  O que verifica: {rule.message}",
        f"  Por que é um problema: {rule.why}",
        f"  Exemplo: {_example_text(rule.examples.violates[0])}",
        f"  O que escrever no lugar: {rule.suggestion} Ex.: {_example_text(rule.examples.passes[0])}",
    ]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("verificar")
    @friendly_errors
    def verificar(
        arquivo: str = typer.Argument(
            ..., help="Arquivo de texto (ou roteiro .json) a verificar; '-' lê da entrada."
        ),
        canal: str = typer.Option(None, "--canal", help="whatsapp, sms, email ou telefone."),
        formato: str = typer.Option("texto", "--formato", help="texto (estilo lint) ou json."),
        estagio: str = typer.Option(None, "--estagio", help="Estágio da régua (ex.: atraso_medio)."),
        relacao: str = typer.Option(
            None,
            "--relacao",
            help="Quem recebe: devedor (titular confirmado), terceiro ou desconhecido (número não confirmado).",
        ),
        enviado_em: str = typer.Option(
            None, "--enviado-em", help="Data e hora do envio (ISO, ex.: 2026-12-06T22:10), no horário da UF."
        ),
        uf: str = typer.Option(None, "--uf", help="UF do destinatário, para a janela de envio."),
        juiz: bool = typer.Option(
            False,
            "--juiz",
            help="Pede também a opinião do juiz LLM (só com OPENAI_BASE_URL ou OPENAI_API_KEY definidos).",
        ),
    ) -> None:
        """Verifica um texto ou roteiro: abusos do CDC 42 e 71, identificação (42-A), canal e boas práticas.

        Sai com código 1 se houver bloqueio, 0 caso contrário e 2 se a entrada for inutilizável.
        """
        if canal is not None and canal not in CANAIS:
            raise UnusableTextError(f"canal desconhecido '{canal}'; use um de: {', '.join(CANAIS)}")
        if formato not in ("texto", "json"):
            raise UnusableTextError(f"formato desconhecido '{formato}'; use texto ou json")
        if relacao is not None and relacao not in RELACOES:
            raise UnusableTextError(f"relação desconhecida '{relacao}'; use uma de: {', '.join(RELACOES)}")
        context = CheckContext(stage=estagio, relation=relacao, sent_at=_send_time(enviado_em), uf=uf)
        text = _read_input(arquivo)
        target = _target(text, arquivo)
        report = check(target, channel=canal, context=context)
        if formato == "json":
            typer.echo(report.to_json())
        else:
            parts = (
                dict(target.parts())
                if hasattr(target, "parts")
                else {next(iter(report.metrics["parts"])): text}
            )
            typer.echo(format_report(report, parts))
        passed = report.passed
        if juiz:
            from cobranca_kit.compliance.judge import judge

            verdict = judge(text)
            if verdict.abusiva:
                passed = False
                trecho = f" «{verdict.trecho}»" if verdict.trecho else ""
                typer.echo(f"juiz LLM: abusiva ({verdict.categoria}){trecho}: {verdict.motivo}")
            else:
                typer.echo(f"juiz LLM: conforme: {verdict.motivo}")
        raise typer.Exit(0 if passed else 1)

    @app.command("regras")
    @friendly_errors
    def regras(
        canal: str = typer.Option(None, "--canal", help="Mostra só as regras deste canal."),
        categoria: str = typer.Option(None, "--categoria", help="Mostra só esta categoria."),
    ) -> None:
        """Lista as regras com artigo, severidade, exemplo e o que escrever no lugar."""
        rules = list(load_rules())
        if canal:
            rules = [r for r in rules if canal in r.channels]
        if categoria:
            rules = [r for r in rules if r.category == categoria]
        for category, label in CATEGORY_LABELS.items():
            picked = [r for r in rules if r.category == category]
            if not picked:
                continue
            typer.echo(f"\n== {label.upper()} ({category})")
            for rule in picked:
                typer.echo("\n" + format_rule(rule))
        typer.echo(f"\n{contagem(len(rules), 'regra')}.")

    @app.command("avaliar")
    @friendly_errors
    def avaliar(
        arquivo: Path = typer.Argument(
            ..., help="Corpus rotulado em JSON Lines (texto, rotulo, categoria, registro...)."
        ),
        reservado: Path = typer.Option(
            None,
            "--reservado",
            help="Parte reservada (nenhuma regra escrita contra ela); padrão: reservado.jsonl ao lado.",
        ),
        so_regras: bool = typer.Option(False, "--so-regras", help="Mede só as regras, sem o classificador."),
        detalhes: bool = typer.Option(
            False,
            "--detalhes",
            help="Lista as mensagens não bloqueadas e os bloqueios falsos (só do ARQUIVO, nunca da parte reservada).",
        ),
    ) -> None:
        """Mede revocação (abusivas bloqueadas), bloqueios falsos e categoria, por categoria e registro.

        Com a parte de desenvolvimento, mede também a reservada quando o arquivo existir.
        """
        splits = [("desenvolvimento" if arquivo.name == "desenvolvimento.jsonl" else arquivo.name, arquivo)]
        held_out = reservado or arquivo.with_name(HELD_OUT_NAME)
        if held_out != arquivo and (reservado is not None or held_out.exists()):
            splits.append(("reservado", held_out))
        for name, path in splits:
            result = evaluate(read_corpus(path), model=not so_regras)
            cross = None if so_regras else trained_on(path)
            typer.echo(format_evaluation(name, result, cross))
            if detalhes and name == "reservado":
                # Reading held-out misses is how rules get written against them: aggregates only.
                typer.echo(
                    "(--detalhes não lista a parte reservada: nenhuma regra deve ser escrita a partir dela)"
                )
            elif detalhes:
                for sample in result.misses:
                    typer.echo(f"NÃO BLOQUEADA [{sample.categoria}]: {sample.texto}")
                for sample, found in result.false_alarms:
                    typer.echo(f"BLOQUEIO FALSO [{', '.join(found)}]: {sample.texto}")


def _row(name: str, t: Tally) -> str:
    recall = f"{t.recall:>9.1%}" if t.abusive else f"{'-':>9}"
    category = f"{t.category_accuracy:>9.1%}" if t.blocked else f"{'-':>9}"
    false_blocks = f"{t.false_block_rate:>9.1%}" if t.compliant else f"{'-':>9}"
    return f"{name:<18} {t.abusive:>8} {recall} {category} {t.compliant:>9} {false_blocks}"


def _share(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "-"


def format_cross_validation(cross: dict[str, Any]) -> list[str]:
    """pt-BR lines for the classifier's out-of-fold figures stored in the model."""
    folds = cross.get("dobras", "?")
    lines = [
        f"validação cruzada ({folds} dobras, regras + classificador fora do treino):",
        f"  total: revocação {_share(cross.get('revocacao'))}   bloqueios falsos "
        f"{_share(cross.get('bloqueios_falsos'))}   categoria {_share(cross.get('categoria'))}   "
        f"(só regras: revocação {_share(cross.get('revocacao_regras'))})",
    ]
    for register, figures in sorted((cross.get("por_registro") or {}).items()):
        lines.append(
            f"  {register}: revocação {_share(figures.get('revocacao'))}   bloqueios falsos "
            f"{_share(figures.get('bloqueios_falsos'))}   categoria {_share(figures.get('categoria'))}"
        )
    return lines


def format_evaluation(name: str, result: Evaluation, cross: dict[str, Any] | None = None) -> str:
    """pt-BR table: total, per category and per register (recall, category, false blocks).

    ``cross``: the classifier was trained on this split; its figures here are in-sample,
    said so, and the cross-validated ones stored in the model come first.
    """
    head = f"{'':<18} {'abusivas':>8} {'revocação':>9} {'categoria':>9} {'conformes':>9} {'bloq.falsos':>9}"
    t = result.total
    lines = [f"== {name}: {t.abusive} abusivas, {t.compliant} conformes"]
    if cross is not None:
        lines += format_cross_validation(cross)
        lines += ["", "medido no próprio treino do classificador (otimista, não use como estimativa):"]
    where = "" if cross is None else ", no próprio treino"
    lines += [
        f"revocação (bloqueadas{where}): {t.recall:.1%}   com avisos: {t.recall_flagged:.1%}",
        f"bloqueios falsos: {t.false_block_rate:.1%}   avisos falsos: {t.false_flag_rate:.1%}",
        f"categoria certa (entre as bloqueadas): {t.category_accuracy:.1%}",
        "",
        head,
        _row("total", t),
    ]
    lines += [_row(c, result.per_category[c]) for c in sorted(result.per_category)]
    lines += [_row(r, result.per_register[r]) for r in sorted(result.per_register)]
    return "\n".join(lines) + "\n"
