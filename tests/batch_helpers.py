"""Shared fixtures for the batch tests: a small régua, hand-written approved templates,
a workspace config and portfolios written in the formats ERPs export."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from cobranca_kit.config import Config, load_config
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import EmailScript, SmsScript, WhatsAppScript

RUN_DATE = dt.date(2026, 11, 24)  # a Tuesday, no national holiday

CONFIG_TOML = """
[empresa]
nome = "Conecta Fibra Telecom Ltda."
cnpj = "11.222.333/0001-81"
endereco = "Rua das Acácias, 250, Centro, Campinas/SP"
atendimento = "(19) 3232-4500 ou atendimento@conectafibra.com.br"

[envio]
max_contatos_dia = 1
max_contatos_7_dias = 3
"""

REGUA_YAML = """
versao: 1
sem_modelo: proximo_canal
espalhar_minutos: 0
passos:
  - id: vence_hoje
    dias: 0
    estagio: vencimento
    canais: [whatsapp, sms, email]
    tom: amigavel
  - id: atraso_d7
    dias: 7
    estagio: atraso_curto
    canais: [email, sms]
    tom: profissional
sobreposicoes:
  - quando: {objecao: nao_reconhece_divida}
    acao: suspender
    motivo: "cliente não reconhece a dívida"
"""

IDENT = "{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, {{ empresa.endereco }}"

SCRIPTS = {
    "whatsapp": WhatsAppScript(
        mensagens=[
            "Olá, {{ cliente.primeiro_nome }}! Aqui é da " + IDENT + ". Sua fatura de "
            "{{ divida.valor | moeda }} vence em {{ divida.vencimento | data }}. "
            "Pague pelo link oficial: {{ pagamento.link }}. Dúvidas: {{ empresa.atendimento }}.",
        ]
    ),
    "sms": SmsScript(
        texto=(
            IDENT + ": fatura de {{ divida.valor | moeda }}, venc. {{ divida.vencimento | data }}. "
            "Pague em {{ pagamento.link }}"
        )
    ),
    "email": EmailScript(
        assunto="Sua fatura de {{ divida.vencimento | data }}",
        corpo=(
            "Olá, {{ cliente.primeiro_nome }}.\n\nConsta em aberto a fatura de {{ divida.valor | moeda }}, "
            "com vencimento em {{ divida.vencimento | data }}. Você pode pagar pelo link oficial: "
            "{{ pagamento.link }}.\n\nSe já pagou, desconsidere esta mensagem."
        ),
        assinatura=IDENT + "\nAtendimento: {{ empresa.atendimento }}",
    ),
}


def make_workspace(
    tmp: Path, *, approve: bool = True, channels: tuple[str, ...] = ("whatsapp", "sms", "email")
) -> Config:
    (tmp / "cobranca.toml").write_text(CONFIG_TOML, encoding="utf-8")
    (tmp / "regua.yaml").write_text(REGUA_YAML, encoding="utf-8")
    library = Library(tmp / "biblioteca")
    for estagio, tom in (("vencimento", "amigavel"), ("atraso_curto", "profissional")):
        for canal in channels:
            meta = TemplateMeta(objecao="nenhuma", tom=tom, canal=canal, estagio=estagio, autor="teste")
            ref = library.save(SCRIPTS[canal], meta)
            if approve:
                library.approve(ref.id, ref.version, "teste")
    return load_config(tmp / "cobranca.toml")


def use_description_template(tmp: Path) -> None:
    """Replace the approved WhatsApp template of the due-date step by one that prints the
    free-text ``divida.descricao`` (which is checked once per distinct value)."""
    library = Library(tmp / "biblioteca")
    text = (
        "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, "
        "{{ empresa.endereco }}. Consta em aberto: {{ divida.descricao }}, {{ divida.valor | moeda }}. "
        "Pague pelo link oficial {{ pagamento.link }}."
    )
    ref = library.save(
        WhatsAppScript(mensagens=[text]),
        TemplateMeta(
            id="com-descricao", objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="vencimento"
        ),
    )
    for old in library.list(canal="whatsapp", estagio="vencimento", status="aprovado"):
        library.archive(old.id, old.version)
    library.approve(ref.id, ref.version, "teste")


HEADER = (
    "id;nome;cpf_cnpj;telefone;email;uf;valor;vencimento;link_pagamento;objecao;nao_contatar;ultimos_contatos;"
    "descricao"
)


def row(
    i: int,
    *,
    days: int = 0,
    uf: str = "SP",
    phone: str = "(11) 98765-4321",
    email: str = "",
    cpf: str = "529.982.247-25",
    valor: str = "1.234,56",
    objecao: str = "",
    optout: str = "",
    last: str = "",
    venc: str | None = None,
    descricao: str = "",
) -> str:
    due = venc if venc is not None else (RUN_DATE - dt.timedelta(days=days)).strftime("%d/%m/%Y")
    return (
        f"D{i};Fulana de Tal {i};{cpf};{phone};{email};{uf};{valor};{due};"
        f"https://pagar.exemplo.com.br/f/{i};{objecao};{optout};{last};{descricao}"
    )


def write_csv(path: Path, rows: list[str], *, sep: str = ";", encoding: str = "utf-8") -> Path:
    text = "\n".join([HEADER, *rows]) + "\n"
    if sep != ";":
        text = text.replace(";", sep)
    path.write_bytes(text.encode(encoding))
    return path


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()
