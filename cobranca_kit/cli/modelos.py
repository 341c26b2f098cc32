"""``cobranca-kit modelos``: browse, compare, approve, archive, export and render
the templates of the library. Only parses options and calls ``cobranca_kit.library``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from cobranca_kit.cli.common import friendly_errors
from cobranca_kit.config import Config, load_config
from cobranca_kit.datafiles import load_yaml
from cobranca_kit.errors import LibraryError, RenderError
from cobranca_kit.fields import nest, sample_debtor
from cobranca_kit.formatting import contagem
from cobranca_kit.library import (
    ExportError,
    Library,
    Template,
    call_markdown,
    email_message,
    parse_ref,
    render,
    sms_export,
    whatsapp_export,
)

modelos_app = typer.Typer(
    help="Biblioteca de modelos: listar, mostrar, comparar, aprovar, arquivar, exportar e renderizar.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

BIBLIOTECA_HELP = "Pasta da biblioteca (padrão: [pastas] biblioteca do cobranca.toml)."
SAMPLE_EMAIL = "cliente@exemplo.com.br"


class Formato(StrEnum):
    texto = "texto"
    json = "json"


class Destino(StrEnum):
    whatsapp = "whatsapp"
    sms = "sms"
    email = "email"
    telefone = "telefone"


class FormatoParametros(StrEnum):
    NAMED = "NAMED"
    POSITIONAL = "POSITIONAL"


def _library(folder: Path | None, config: Config) -> Library:
    return Library(folder) if folder is not None else Library.from_config(config)


def _warn_problems(lib: Library) -> None:
    for path, reason in lib.problems:
        print(f"aviso: arquivo ignorado: {path}: {reason}", file=sys.stderr)


def _template(lib: Library, ref: str, *, default: str) -> Template:
    """``ID@vN`` -> that version; ``ID`` -> latest approved or latest (``default``)."""
    template_id, version = parse_ref(ref)
    if version is not None:
        return lib.get(template_id, version)
    return lib.get(template_id) if default == "aprovado" else lib.latest(template_id)


def _versioned(ref: str) -> tuple[str, int]:
    template_id, version = parse_ref(ref)
    if version is None:
        raise LibraryError(
            f"Informe a versão: {template_id}@vN (veja as versões com: cobranca-kit modelos listar)."
        )
    return template_id, version


def _version_number(text: str) -> int:
    digits = text.strip().lower().removeprefix("v")
    if not digits.isdigit() or int(digits) < 1:
        raise LibraryError(f"Versão inválida: '{text}' (use 2 ou v2).")
    return int(digits)


def _summary(t: Template) -> dict[str, Any]:
    return {
        "id": t.id,
        "version": t.version,
        "status": t.status,
        "objecao": t.meta.objecao,
        "tom": t.meta.tom,
        "canal": t.meta.canal,
        "estagio": t.meta.estagio,
        "perfil": t.meta.perfil,
        "titulo": t.meta.titulo,
    }


def _write_or_print(text: str, saida: Path | None) -> None:
    if saida is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    saida.parent.mkdir(parents=True, exist_ok=True)
    saida.write_text(text, encoding="utf-8")
    typer.echo(f"gravado: {saida}", err=True)


def _load_data(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RenderError(f"Não foi possível ler os dados em {path}: {exc}") from exc
    else:
        data = load_yaml(path)
    if not isinstance(data, dict):
        raise RenderError(f"{path}: os dados devem ser uma tabela de campos (ex.: cliente: {{nome: ...}}).")
    if any("." in str(k) for k in data):
        data = nest({str(k): v for k, v in data.items()})
    return data


@modelos_app.command("listar")
@friendly_errors
def listar(
    status: str = typer.Option(None, "--status", help="rascunho, aprovado ou arquivado."),
    objecao: str = typer.Option(None, "--objecao", help="Filtra pela objeção (id do catálogo)."),
    tom: str = typer.Option(None, "--tom", help="Filtra pelo tom."),
    canal: str = typer.Option(None, "--canal", help="Filtra pelo canal."),
    estagio: str = typer.Option(None, "--estagio", help="Filtra pelo estágio da régua."),
    perfil: str = typer.Option(None, "--perfil", help="Filtra pelo perfil do devedor."),
    formato: Formato = typer.Option(
        Formato.texto, "--formato", help="texto (tabela) ou json (um objeto por linha)."
    ),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Lista as versões dos modelos, com filtros."""
    lib = _library(biblioteca, load_config())
    templates = lib.list(status=status, objecao=objecao, tom=tom, canal=canal, estagio=estagio, perfil=perfil)
    _warn_problems(lib)
    if formato == Formato.json:
        for t in templates:
            typer.echo(json.dumps(_summary(t), ensure_ascii=False))
        return
    if not templates:
        typer.echo(f"Nenhum modelo encontrado em {lib.path}.")
        return
    for t in templates:
        typer.echo(f"{t.ref:<58} {t.status:<10} {t.meta.canal:<9} {t.meta.titulo}")


@modelos_app.command("mostrar")
@friendly_errors
def mostrar(
    ref: str = typer.Argument(..., metavar="ID[@VERSAO]", help="Modelo; sem versão, a mais recente."),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Mostra metadados, partes (texto Jinja) e o relatório de conformidade de uma versão."""
    lib = _library(biblioteca, load_config())
    t = _template(lib, ref, default="recente")
    meta = t.meta
    typer.echo(f"{t.ref}  [{t.status}]  {meta.titulo}")
    typer.echo(
        f"objeção: {meta.objecao} | tom: {meta.tom} | canal: {meta.canal} | estágio: {meta.estagio} | "
        f"perfil: {meta.perfil or '-'} | pagamentos: {', '.join(meta.pagamentos) or '-'}"
    )
    typer.echo(f"autor: {meta.autor or '-'} | criado em: {t.created_at.isoformat()}")
    if t.approved_by:
        typer.echo(f"aprovado por: {t.approved_by} em {t.approved_at.isoformat() if t.approved_at else '-'}")
    origem = meta.origem
    if origem.backend or origem.modelo:
        typer.echo(
            f"origem: {origem.backend or '-'} / {origem.modelo or '-'} "
            f"(prompt {origem.prompt_version or '-'}, semente {origem.seed if origem.seed is not None else '-'})"
        )
    if meta.notas:
        typer.echo(f"notas: {meta.notas}")
    for name, text in t.parts:
        typer.echo(f"\n--- {name}\n{text}")
    findings = (t.report or {}).get("findings", [])
    typer.echo(f"\nConformidade (ao salvar): {contagem(len(findings), 'apontamento')}")
    for f in findings:
        typer.echo(f"  [{f.get('severity')}] {f.get('rule_id')} ({f.get('part') or '-'}): {f.get('message')}")


@modelos_app.command("diff")
@friendly_errors
def diff(
    template_id: str = typer.Argument(..., metavar="ID", help="Id do modelo."),
    v1: str = typer.Argument(..., help="Versão antiga (ex.: 1 ou v1)."),
    v2: str = typer.Argument(..., help="Versão nova (ex.: 2 ou v2)."),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Compara o texto de duas versões (diff unificado das partes)."""
    lib = _library(biblioteca, load_config())
    out = lib.diff(template_id, _version_number(v1), _version_number(v2))
    typer.echo(out if out else "As duas versões têm o mesmo texto.", nl=not out.endswith("\n"))


@modelos_app.command("aprovar")
@friendly_errors
def aprovar(
    ref: str = typer.Argument(..., metavar="ID@VERSAO", help="Versão a aprovar (ex.: meu_modelo@v2)."),
    por: str = typer.Option(None, "--por", help="Quem aprova (padrão: [aprovacao] aprovador_padrao)."),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Aprova uma versão; recusa se o verificador encontrar bloqueios (sai com código 1)."""
    config = load_config()
    lib = _library(biblioteca, config)
    template_id, version = _versioned(ref)
    who = por or config.aprovacao.aprovador_padrao
    if not who:
        raise LibraryError(
            "Informe quem aprova com --por NOME (ou [aprovacao] aprovador_padrao no cobranca.toml)."
        )
    t = lib.approve(template_id, version, who)
    typer.echo(f"aprovado: {t.ref} por {t.approved_by}")


@modelos_app.command("arquivar")
@friendly_errors
def arquivar(
    ref: str = typer.Argument(..., metavar="ID@VERSAO", help="Versão a arquivar."),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Arquiva uma versão: ela fica no histórico, mas não é mais usada nos lotes."""
    lib = _library(biblioteca, load_config())
    template_id, version = _versioned(ref)
    t = lib.archive(template_id, version)
    typer.echo(f"arquivado: {t.ref}")


@modelos_app.command("exportar")
@friendly_errors
def exportar(
    ref: str = typer.Argument(..., metavar="ID[@VERSAO]", help="Modelo; sem versão, a última aprovada."),
    para: Destino = typer.Option(
        ..., "--para", help="whatsapp (JSON da Meta), sms, email (.eml) ou telefone."
    ),
    saida: Path = typer.Option(None, "--saida", help="Grava neste arquivo em vez de mostrar na tela."),
    formato_parametros: FormatoParametros = typer.Option(
        FormatoParametros.NAMED, "--parametros", help="WhatsApp: parâmetros NAMED ou POSITIONAL."
    ),
    base_link: str = typer.Option(
        None,
        "--base-link",
        help="WhatsApp: início fixo dos links de pagamento (ex.: https://pagar.suaempresa.com.br/).",
    ),
    destinatario: str = typer.Option(
        SAMPLE_EMAIL, "--destinatario", help="E-mail: endereço do destinatário da prévia."
    ),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Exporta um modelo para a plataforma de envio; sai com código 1 e a regra violada se não der."""
    config = load_config()
    lib = _library(biblioteca, config)
    t = _template(lib, ref, default="aprovado")
    if t.channel != para.value:
        raise ExportError(
            f"{t.ref} é um modelo de {t.channel} e não pode ser exportado para {para.value}.",
            ["canal_errado"],
        )
    if para == Destino.whatsapp:
        export = whatsapp_export(t, config, formato_parametros.value, base_link)
        for note in [f"entrega do Pix: {export.pix_delivery}", *export.notes]:
            typer.echo(f"nota: {note}", err=True)
        text = json.dumps(export.template, ensure_ascii=False, indent=2) + "\n"
    elif para == Destino.sms:
        text = json.dumps(sms_export(t), ensure_ascii=False, indent=2) + "\n"
    elif para == Destino.email:
        text = email_message(t, None, config, destinatario).as_string()
    else:
        text = call_markdown(t)
    _write_or_print(text, saida)


@modelos_app.command("renderizar")
@friendly_errors
def renderizar(
    ref: str = typer.Argument(..., metavar="ID[@VERSAO]", help="Modelo; sem versão, a mais recente."),
    dados: Path = typer.Option(
        None, "--dados", help="Arquivo JSON ou YAML com os dados de um devedor (padrão: devedor de exemplo)."
    ),
    biblioteca: Path = typer.Option(None, "--biblioteca", help=BIBLIOTECA_HELP),
) -> None:
    """Mostra o texto final de um modelo para um devedor (o de exemplo, se não houver --dados)."""
    config = load_config()
    lib = _library(biblioteca, config)
    t = _template(lib, ref, default="recente")
    data = _load_data(dados) if dados is not None else sample_debtor()
    if dados is None and config.empresa is not None:
        data["empresa"] = config.empresa.model_dump()
    rendered = render(t, data)
    for name, text in rendered.parts:
        typer.echo(f"--- {name}\n{text}\n")


def register(app: typer.Typer) -> None:
    app.add_typer(modelos_app, name="modelos")
