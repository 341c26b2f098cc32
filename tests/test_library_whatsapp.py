"""WhatsApp Cloud API export: mapping, Meta's rejection rules, send payload, Pix delivery."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cobranca_kit.config import Config, Empresa
from cobranca_kit.errors import RenderError
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import (
    ExportError,
    Template,
    TemplateMeta,
    meta_template_name,
    whatsapp_export,
    whatsapp_pix_followup,
    whatsapp_problems,
    whatsapp_send_payload,
    whatsapp_template,
)

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "library" / "scripts.yaml").read_text("utf-8"))
GREETING = (
    "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }}, com um lembrete sobre a sua fatura."
)


def template(
    *messages: str, channel: str = "whatsapp", template_id: str | None = None, **meta: Any
) -> Template:
    m = TemplateMeta(
        objecao="nenhuma", tom="amigavel", canal=channel, estagio="atraso_curto", id=template_id, **meta
    )
    return Template(
        meta=m,
        version=2,
        created_at=dt.datetime(2026, 11, 22),
        parts=[(f"mensagem_{i}", text) for i, text in enumerate(messages, 1)],
    )


def sample_template() -> Template:
    return template(*SCRIPTS["whatsapp"].values())


def rules_of(exc: pytest.ExceptionInfo[ExportError]) -> list[str]:
    return exc.value.rules


def body_of(payload: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in payload["components"] if c["type"] == "BODY")


def test_named_export_maps_script_to_meta_template() -> None:
    config = Config(
        empresa=Empresa(
            nome="Loja Exemplo de Teste Ltda.",
            cnpj="11.222.333/0001-81",
            endereco="Avenida Central, 1000, Centro, Curitiba/PR",
            atendimento="(41) 3000-0000",
        )
    )
    export = whatsapp_export(sample_template(), config)
    payload = export.template
    assert payload["name"] == "nenhuma_amigavel_whatsapp_atraso_curto_v2"
    assert (payload["language"], payload["category"], payload["parameter_format"]) == (
        "pt_BR",
        "UTILITY",
        "NAMED",
    )
    body = body_of(payload)
    # Creditor fields are fixed text from [empresa], not parameters.
    assert body["text"].startswith(
        "Olá, {{cliente_primeiro_nome}}! Aqui é da Loja Exemplo de Teste Ltda. (CNPJ 11.222.333/0001-81, "
        "endereço Avenida Central, 1000, Centro, Curitiba/PR), com um lembrete rápido."
    )
    assert "no valor de {{divida_valor}}, venceu em {{divida_vencimento}}." in body["text"]
    assert "\n\nA fatura de" in body["text"]  # messages joined by a blank line
    assert "pix" not in body["text"].lower().replace("pelo pix que", "")  # the code itself is not in the body
    examples = {e["param_name"]: e["example"] for e in body["example"]["body_text_named_params"]}
    assert examples["divida_valor"] == "R$ 389,90"
    assert examples["cliente_primeiro_nome"] == "Mariana"
    assert not [name for name in examples if name.startswith("empresa")]
    assert list(examples) == [
        "cliente_primeiro_nome",
        "divida_descricao",
        "divida_valor",
        "divida_vencimento",
        "pagamento_link",
    ]
    footer = next(c for c in payload["components"] if c["type"] == "FOOTER")
    assert footer["text"] == "Loja Exemplo de Teste Ltda. · CNPJ 11.222.333/0001-81"
    buttons = next(c for c in payload["components"] if c["type"] == "BUTTONS")["buttons"]
    assert buttons[0] == {
        "type": "URL",
        "text": "Pagar agora",
        "url": "https://pagar.exemplo.com.br/{{1}}",
        "example": ["https://pagar.exemplo.com.br/f/8KQ2ZC"],
    }
    assert buttons[1] == {"type": "QUICK_REPLY", "text": "Falar com atendente"}
    assert export.pix_delivery == "mensagem_de_sessao"
    assert whatsapp_problems(payload) == []
    assert not any("credor de exemplo" in n for n in export.notes)


def test_positional_export_numbers_in_order() -> None:
    payload = whatsapp_template(sample_template(), parameter_format="POSITIONAL")
    body = body_of(payload)
    numbers = [int(n) for n in re.findall(r"\{\{(\d+)\}\}", body["text"])]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(body["example"]["body_text"][0]) == len(numbers)
    assert whatsapp_problems(payload) == []


def test_without_empresa_the_sample_creditor_is_used_and_said() -> None:
    export = whatsapp_export(sample_template(), None)
    assert any("credor de exemplo" in n for n in export.notes)
    footer = next(c for c in export.template["components"] if c["type"] == "FOOTER")
    assert footer["text"] == "Conecta Fibra Telecom Ltda. · CNPJ 11.222.333/0001-81"
    assert "Aqui é da Conecta Fibra Telecom Ltda. (CNPJ" in body_of(export.template)["text"]


def test_long_creditor_name_is_shortened_in_footer() -> None:
    empresa = Empresa(
        nome="Companhia Brasileira de Distribuição de Energia e Telecomunicações do Interior S.A.",
        cnpj="11.222.333/0001-81",
        endereco="Avenida Central, 1000",
        atendimento="(41) 3000-0000",
    )
    payload = whatsapp_template(sample_template(), Config(empresa=empresa))
    footer = next(c for c in payload["components"] if c["type"] == "FOOTER")["text"]
    assert len(footer) <= 60 and footer.endswith("CNPJ 11.222.333/0001-81")


def test_static_short_first_message_becomes_header() -> None:
    t = template("Lembrete de pagamento", *list(SCRIPTS["whatsapp"].values())[1:])
    payload = whatsapp_template(t)
    assert payload["components"][0] == {"type": "HEADER", "format": "TEXT", "text": "Lembrete de pagamento"}
    assert body_of(payload)["text"].startswith("A fatura de")


def test_same_variable_with_two_filters_gets_two_names() -> None:
    t = template(
        GREETING,
        "Venceu em {{ divida.vencimento | data }}, ou seja, em {{ divida.vencimento | data_extenso }}, "
        "e você pode pagar quando quiser por aqui mesmo, sem pressa nenhuma.",
    )
    examples = body_of(whatsapp_template(t))["example"]["body_text_named_params"]
    names = {e["param_name"]: e["example"] for e in examples}
    assert names["divida_vencimento"] == "10/11/2026"
    assert names["divida_vencimento_data_extenso"] == "10 de novembro de 2026"


# -- Meta's rejection rules: one passing and one failing template each ----------------


def test_rule_body_must_not_start_with_variable() -> None:
    with pytest.raises(ExportError) as info:
        whatsapp_template(
            template("{{ cliente.primeiro_nome }}, aqui é da empresa com um lembrete da sua fatura.")
        )
    assert "corpo_comeca_com_variavel" in rules_of(info)
    assert "corpo_comeca_com_variavel" in str(info.value)
    whatsapp_template(
        template("Olá {{ cliente.primeiro_nome }}, aqui é da empresa com um lembrete da sua fatura.")
    )


def test_rule_body_must_not_end_with_variable() -> None:
    with pytest.raises(ExportError) as info:
        whatsapp_template(
            template("Olá, tudo bem? Sua fatura está disponível para pagamento em {{ pagamento.link }}.")
        )
    assert "corpo_termina_com_variavel" in rules_of(info)
    whatsapp_template(
        template("Olá, tudo bem? Sua fatura está disponível em {{ pagamento.link }} para pagamento hoje.")
    )


def test_rule_no_adjacent_variables() -> None:
    with pytest.raises(ExportError) as info:
        whatsapp_template(
            template(
                "Olá {{ cliente.primeiro_nome }} {{ cliente.nome }}, sua fatura já está disponível para você."
            )
        )
    assert "variaveis_adjacentes" in rules_of(info)
    whatsapp_template(
        template(
            "Olá {{ cliente.primeiro_nome }} ou {{ cliente.nome }}, sua fatura já está disponível para você."
        )
    )


def test_rule_enough_words_per_variable() -> None:
    # 3 variables need at least 10 words around them.
    with pytest.raises(ExportError) as info:
        whatsapp_template(
            template(
                "Oi {{ cliente.primeiro_nome }}: {{ divida.valor | moeda }} até {{ divida.vencimento | data }} ok"
            )
        )
    assert "poucas_palavras_por_variavel" in rules_of(info)
    whatsapp_template(
        template(
            "Oi {{ cliente.primeiro_nome }}, o valor de {{ divida.valor | moeda }} pode ser pago "
            "até {{ divida.vencimento | data }} sem problema algum."
        )
    )


def test_rule_body_length() -> None:
    long_text = "Olá {{ cliente.primeiro_nome }}, " + "texto de exemplo " * 70 + "fim."
    with pytest.raises(ExportError) as info:
        whatsapp_template(template(long_text))
    assert "corpo_longo" in rules_of(info)
    whatsapp_template(template("Olá {{ cliente.primeiro_nome }}, " + "texto de exemplo " * 50 + "fim."))


def test_rule_template_name() -> None:
    assert meta_template_name(template(GREETING, template_id="1-lembrete")) == "modelo_1_lembrete_v2"
    payload = whatsapp_template(template(GREETING))
    assert whatsapp_problems(payload) == []
    assert [r for r, _ in whatsapp_problems({**payload, "name": "Lembrete-Pix"})] == ["nome_invalido"]


def _payload(body: str, fmt: str = "POSITIONAL", n: int | None = None, **extra: Any) -> dict[str, Any]:
    count = n if n is not None else len(set(re.findall(r"\{\{(\w+)\}\}", body)))
    comp: dict[str, Any] = {"type": "BODY", "text": body}
    if count:
        comp["example"] = (
            {"body_text": [["x"] * count]}
            if fmt == "POSITIONAL"
            else {"body_text_named_params": [{"param_name": f"p{i}", "example": "x"} for i in range(count)]}
        )
    components = [*extra.pop("before", []), comp, *extra.pop("after", [])]
    return {
        "name": "teste",
        "language": "pt_BR",
        "category": "UTILITY",
        "parameter_format": fmt,
        "components": components,
    }


def test_rule_positional_numbers_sequential() -> None:
    ok = "Olá {{1}}, sua fatura de {{2}} vence em breve e pode ser paga hoje mesmo sem custo extra algum."
    gap = "Olá {{1}}, sua fatura de {{3}} vence em breve e pode ser paga hoje mesmo sem custo extra algum."
    swapped = (
        "Olá {{2}}, sua fatura de {{1}} vence em breve e pode ser paga hoje mesmo sem custo extra algum."
    )
    assert whatsapp_problems(_payload(ok)) == []
    assert [r for r, _ in whatsapp_problems(_payload(gap))] == ["numeracao_nao_sequencial"]
    assert [r for r, _ in whatsapp_problems(_payload(swapped))] == ["numeracao_nao_sequencial"]
    mixed = "Olá {{nome}}, sua fatura de {{1}} vence em breve e pode ser paga hoje mesmo sem custo extra."
    assert "formato_parametro" in [r for r, _ in whatsapp_problems(_payload(mixed))]


def test_rule_header_and_footer_lengths() -> None:
    body = "Olá, sua fatura vence em breve e pode ser paga hoje mesmo sem custo extra."
    ok = _payload(
        body,
        before=[{"type": "HEADER", "format": "TEXT", "text": "Lembrete"}],
        after=[{"type": "FOOTER", "text": "Empresa · CNPJ 11.222.333/0001-81"}],
    )
    assert whatsapp_problems(ok) == []
    bad = _payload(
        body,
        before=[{"type": "HEADER", "format": "TEXT", "text": "L" * 61}],
        after=[{"type": "FOOTER", "text": "E" * 61}],
    )
    assert sorted(r for r, _ in whatsapp_problems(bad)) == ["cabecalho_longo", "rodape_longo"]
    with_var = _payload(body, after=[{"type": "FOOTER", "text": "Empresa {{1}} ok"}])
    assert [r for r, _ in whatsapp_problems(with_var)] == ["variavel_no_rodape"]


def test_rule_examples_must_match_variables() -> None:
    body = "Olá {{1}}, sua fatura de {{2}} vence em breve e pode ser paga hoje mesmo sem custo extra algum."
    assert [r for r, _ in whatsapp_problems(_payload(body, n=1))] == ["exemplos"]


def test_rule_pix_cannot_travel_in_template() -> None:
    mixed = template(GREETING, "Segue o código Pix para pagar: {{ pagamento.pix_copia_e_cola }} e obrigado.")
    with pytest.raises(ExportError) as info:
        whatsapp_template(mixed)
    assert rules_of(info) == ["pix_no_modelo"]
    assert "COPY_CODE" in str(info.value)
    body = "Olá, sua fatura vence em breve e pode ser paga hoje mesmo sem custo extra."
    copy_code = _payload(
        body, after=[{"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "x"}]}]
    )
    assert [r for r, _ in whatsapp_problems(copy_code)] == ["pix_no_modelo"]
    alone = template(GREETING, "{{ pagamento.pix_copia_e_cola }}")
    export = whatsapp_export(alone)
    assert export.pix_delivery == "mensagem_de_sessao"
    assert "pix" not in body_of(export.template)["text"].lower()


def test_pix_by_link_when_no_pix_message() -> None:
    export = whatsapp_export(template(GREETING, template_id="so_link"))
    assert export.pix_delivery == "link_de_pagamento"
    export = whatsapp_export(template(GREETING, template_id="sem_pix", pagamentos=["boleto"]))
    assert export.pix_delivery == "nao_se_aplica"
    assert [b["type"] for b in export.template["components"][-1]["buttons"]] == ["QUICK_REPLY"]


def test_jinja_blocks_cannot_be_exported() -> None:
    t = template(
        "Olá {% if cliente.primeiro_nome %}{{ cliente.primeiro_nome }}{% endif %}, tudo bem com você hoje?"
    )
    with pytest.raises(ExportError) as info:
        whatsapp_template(t)
    assert rules_of(info) == ["bloco_jinja"]


def test_expression_with_two_variables_cannot_be_a_parameter() -> None:
    t = template(
        "Olá {{ cliente.primeiro_nome ~ cliente.nome }}, sua fatura está disponível para pagamento hoje."
    )
    with pytest.raises(ExportError) as info:
        whatsapp_template(t)
    assert rules_of(info) == ["expressao_complexa"]


def test_other_channels_are_refused() -> None:
    sms = Template(
        meta=TemplateMeta(objecao="nenhuma", tom="amigavel", canal="sms", estagio="atraso_curto"),
        version=1,
        created_at=dt.datetime(2026, 11, 22),
        parts=list(SCRIPTS["sms"].items()),
    )
    with pytest.raises(ExportError) as info:
        whatsapp_template(sms)
    assert rules_of(info) == ["canal_errado"]
    assert info.value.exit_code == 1


# -- send payload ----------------------------------------------------------------------


def test_send_payload_for_one_debtor() -> None:
    data = sample_debtor()
    data["cliente"]["primeiro_nome"] = "João\nda Silva"  # Meta refuses new lines in parameters
    data["pagamento"]["link"] = "https://pagar.exemplo.com.br/f/ZZ99"
    payload = whatsapp_send_payload(sample_template(), data, "(11) 98765-4321")
    assert payload["to"] == "5511987654321"
    assert payload["type"] == "template" and payload["messaging_product"] == "whatsapp"
    tpl = payload["template"]
    assert tpl["name"] == "nenhuma_amigavel_whatsapp_atraso_curto_v2"
    assert tpl["language"] == {"code": "pt_BR"}
    body, button = tpl["components"]
    params = {p["parameter_name"]: p["text"] for p in body["parameters"]}
    assert params["cliente_primeiro_nome"] == "João da Silva"
    assert params["divida_valor"] == "R$ 389,90"
    names = [
        e["param_name"]
        for e in body_of(whatsapp_template(sample_template()))["example"]["body_text_named_params"]
    ]
    assert [p["parameter_name"] for p in body["parameters"]] == names
    assert button == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "f/ZZ99"}],
    }


def test_send_payload_positional() -> None:
    payload = whatsapp_send_payload(sample_template(), sample_debtor(), "+55 11 98765-4321", "POSITIONAL")
    params = payload["template"]["components"][0]["parameters"]
    assert all("parameter_name" not in p for p in params)
    assert params[0]["text"] == "Mariana"


def test_send_payload_errors_name_row() -> None:
    data = sample_debtor()
    del data["divida"]["valor"]
    with pytest.raises(RenderError, match=r"linha 12.*divida.valor"):
        whatsapp_send_payload(sample_template(), data, "11987654321", row=12)
    data = sample_debtor()
    data["pagamento"]["link"] = "https://outro.site/pagar/1"
    with pytest.raises(RenderError, match="não começa com a base"):
        whatsapp_send_payload(sample_template(), data, "11987654321", row=3)
    with pytest.raises(RenderError, match="telefone inválido"):
        whatsapp_send_payload(sample_template(), sample_debtor(), "123", row=3)


def test_custom_link_base() -> None:
    payload = whatsapp_template(sample_template(), link_base="https://pagar.exemplo.com.br/f/")
    button = payload["components"][-1]["buttons"][0]
    assert button["url"] == "https://pagar.exemplo.com.br/f/{{1}}"
    send = whatsapp_send_payload(
        sample_template(), sample_debtor(), "11987654321", link_base="https://pagar.exemplo.com.br/f/"
    )
    assert send["template"]["components"][-1]["parameters"][0]["text"] == "8KQ2ZC"


def test_pix_followup_message() -> None:
    data = sample_debtor()
    assert whatsapp_pix_followup(sample_template(), data) == data["pagamento"]["pix_copia_e_cola"]
    assert whatsapp_pix_followup(template(GREETING), data) is None


def test_creditor_name_ending_in_a_period_is_not_doubled() -> None:
    """ "Ltda." before the template's own period: the debtor reads one period, in the exported
    template and in what the preview says is sent; a value Meta puts in is left as it is."""
    from cobranca_kit.library import whatsapp_delivery

    tpl = template(
        "Oi, {{ cliente.primeiro_nome }}, quem escreve é a equipe da {{ empresa.nome }}. "
        "A fatura de {{ divida.descricao }}. venceu e pode ser paga pelo link oficial, tudo certo?",
        "{{ pagamento.pix_copia_e_cola }}",
    )
    body = body_of(whatsapp_template(tpl, None))["text"]
    assert "Telecom Ltda. A fatura" in body and ".." not in body
    data = sample_debtor()
    data["divida"]["descricao"] = "plano Fibra Ltda."
    sent = whatsapp_delivery(tpl, data).body
    assert "equipe da Conecta Fibra Telecom Ltda. A fatura" in sent
    assert "plano Fibra Ltda.. venceu" in sent  # Meta substitutes parameters verbatim
