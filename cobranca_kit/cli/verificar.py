"""``cobranca-kit verificar``, ``regras`` and ``avaliar``: the compliance checker from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from cobranca_kit.cli.common import friendly_errors
from cobranca_kit.compliance import CATEGORY_LABELS, CheckContext, Report, check, load_rules
from cobranca_kit.compliance.engine import UnusableTextError
from cobranca_kit.compliance.evaluate import evaluate, read_corpus
from cobranca_kit.compliance.report import SEVERITY_LABELS
from cobranca_kit.compliance.rules import ExampleCase, Rule
from cobranca_kit.formatting import contagem
from cobranca_kit.script import parse_script

CANAIS = ("whatsapp", "sms", "email", "telefone")


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
    ) -> None:
        """Verifica um texto ou roteiro: abusos do CDC 42 e 71, identificação (42-A), canal e boas práticas.

        Sai com código 1 se houver bloqueio, 0 caso contrário e 2 se a entrada for inutilizável.
        """
        if canal is not None and canal not in CANAIS:
            raise UnusableTextError(f"canal desconhecido '{canal}'; use um de: {', '.join(CANAIS)}")
        if formato not in ("texto", "json"):
            raise UnusableTextError(f"formato desconhecido '{formato}'; use texto ou json")
        text = _read_input(arquivo)
        target = _target(text, arquivo)
        report = check(target, channel=canal, context=CheckContext(stage=estagio))
        if formato == "json":
            typer.echo(report.to_json())
        else:
            parts = (
                dict(target.parts())
                if hasattr(target, "parts")
                else {next(iter(report.metrics["parts"])): text}
            )
            typer.echo(format_report(report, parts))
        raise typer.Exit(0 if report.passed else 1)

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
        arquivo: Path = typer.Argument(..., help="Corpus rotulado em JSON Lines (texto, rotulo, categoria)."),
        detalhes: bool = typer.Option(
            False, "--detalhes", help="Lista as mensagens não detectadas e os falsos alarmes."
        ),
    ) -> None:
        """Mede a revocação nas mensagens abusivas e a taxa de falsos positivos nas conformes."""
        result = evaluate(read_corpus(arquivo))
        typer.echo(
            f"abusivas: {result.abusive}  detectadas: {result.detected}  revocação: {result.recall:.1%}"
        )
        typer.echo(
            f"conformes: {result.compliant}  falsos alarmes: {result.false_positives}  "
            f"taxa de falsos positivos: {result.false_positive_rate:.1%}"
        )
        typer.echo("\ncategoria                 total  detectadas  revocação  mesma categoria")
        for category, bucket in sorted(result.per_category.items()):
            typer.echo(
                f"{category:<24} {bucket.total:>6} {bucket.detected:>11} {bucket.recall:>10.0%} {bucket.same_category:>16}"
            )
        if detalhes:
            for sample in result.misses:
                typer.echo(f"NÃO DETECTADA [{sample.categoria}]: {sample.texto}")
            for sample, found in result.false_alarms:
                typer.echo(f"FALSO ALARME [{', '.join(found)}]: {sample.texto}")
