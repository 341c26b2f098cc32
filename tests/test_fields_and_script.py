from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from cobranca_kit.errors import PlaceholderError
from cobranca_kit.fields import check_placeholders, get_fields, sample_debtor, template_variables
from cobranca_kit.script import (
    CallScript,
    CallStep,
    EmailScript,
    WhatsAppScript,
    parse_script,
    script_from_parts,
)

REQUIRED_FIELDS = {
    "cliente.nome",
    "cliente.primeiro_nome",
    "divida.valor",
    "divida.vencimento",
    "divida.dias_atraso",
    "divida.descricao",
    "pagamento.link",
    "pagamento.pix_copia_e_cola",
    "pagamento.pix_expira_em",
    "pagamento.linha_digitavel",
    "empresa.nome",
    "empresa.cnpj",
    "empresa.endereco",
    "empresa.atendimento",
    "acordo.parcelas",
    "acordo.valor_parcela",
    "protocolo",
}


def test_schema_has_required_fields_with_descriptions() -> None:
    schema = get_fields()
    assert set(schema.names()) >= REQUIRED_FIELDS
    assert all(f.descricao for f in schema.campos)


def test_sample_debtor_is_nested_and_typed() -> None:
    debtor = sample_debtor()
    assert isinstance(debtor["divida"]["vencimento"], dt.date)
    assert isinstance(debtor["divida"]["valor"], float)
    assert debtor["cliente"]["primeiro_nome"]
    assert isinstance(debtor["protocolo"], str)


def test_template_variables_sees_dotted_names_and_filters() -> None:
    src = "Olá {{ cliente.primeiro_nome }}, {{ divida.valor | moeda }}{% if protocolo %} ({{ protocolo }}){% endif %}"
    assert template_variables(src) == {"cliente.primeiro_nome", "divida.valor", "protocolo"}
    assert template_variables("{% set x = 1 %}{{ x }}") == set()


def test_unknown_placeholder_suggests_close_match() -> None:
    with pytest.raises(PlaceholderError) as err:
        check_placeholders("Oi {{ cliente.nme }}")
    assert "cliente.nome" in str(err.value)


def test_template_syntax_error_is_reported() -> None:
    with pytest.raises(PlaceholderError, match="sintaxe"):
        check_placeholders("Oi {{ cliente.nome ")


def test_scripts_validate_placeholders() -> None:
    with pytest.raises(ValidationError, match=r"divida\.valor"):
        WhatsAppScript(mensagens=["Valor: {{ divida.valr }}"])


def test_parts_roundtrip_for_every_channel() -> None:
    scripts = [
        WhatsAppScript(mensagens=["Oi {{ cliente.primeiro_nome }}", "{{ pagamento.pix_copia_e_cola }}"]),
        EmailScript(assunto="Fatura", corpo="Olá {{ cliente.nome }}", assinatura="{{ empresa.nome }}"),
        CallScript(
            passos=[CallStep(etapa="abertura", fala="Bom dia!"), CallStep(etapa="encerramento", fala="Até!")]
        ),
        parse_script({"channel": "sms", "texto": "Oi {{ cliente.primeiro_nome }}"}),
    ]
    for script in scripts:
        rebuilt = script_from_parts(script.channel, script.parts())
        assert rebuilt == script
