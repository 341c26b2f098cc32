"""Channel-like previews: WhatsApp bubbles, SMS, e-mail with subject, call steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobranca_kit.catalog import get_catalog
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import Template, TemplateMeta, render
from cobranca_kit.workbench.preview import preview_data, preview_html


def test_whatsapp_has_one_bubble_per_message() -> None:
    markup = preview_html("whatsapp", [("mensagem_1", "Oi Mariana"), ("mensagem_2", "0002012658")])
    assert markup.count('class="cobranca-bolha"') == 2
    assert markup.index("Oi Mariana") < markup.index("0002012658")


def test_sms_shows_encoding_and_segments() -> None:
    markup = preview_html("sms", [("texto", "Ola Mariana, sua fatura venceu.")])
    assert "GSM-7" in markup and "· 1 segmento<" in markup
    assert "31 caracteres" in markup


def test_email_shows_sender_subject_body_and_signature() -> None:
    parts = [
        ("assunto", "Fatura em aberto"),
        ("corpo", "Olá Mariana,\nsegue o link."),
        ("assinatura", "Equipe Fibra"),
    ]
    markup = preview_html("email", parts, sender="Fibra Exemplo")
    assert "<b>De:</b> Fibra Exemplo" in markup
    assert "<b>Assunto:</b> Fatura em aberto" in markup
    assert markup.index("segue o link") < markup.index("Equipe Fibra")


def test_call_script_lists_steps_in_order_with_labels() -> None:
    parts = [("passo_1_abertura", "Bom dia!"), ("passo_2_confirmacao_titular", "Falo com a Mariana?")]
    markup = preview_html("telefone", parts)
    assert markup.index("Abertura") < markup.index("Confirmação do titular") < markup.index("Falo com")
    assert markup.count("<li>") == 2


def test_debtor_text_is_escaped() -> None:
    markup = preview_html("whatsapp", [("mensagem_1", "<img src=x onerror=alert(1)>")])
    assert "<img src=x" not in markup and "&lt;img" in markup


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="canal desconhecido"):
        preview_html("pombo", [("texto", "oi")])


# -- the sample debtor follows the stage and today's date --------------------------

STAGE_TODAY = dt.date(2027, 3, 15)


@pytest.mark.parametrize("stage", get_catalog().ids("estagios"))
def test_sample_debtor_days_and_dates_fit_the_stage(stage: str) -> None:
    data = preview_data(stage, today=STAGE_TODAY)
    debt = data["divida"]
    days = (STAGE_TODAY - debt["vencimento"]).days
    spec = get_catalog().get("estagios", stage)
    if spec.dias_min is not None or spec.dias_max is not None:
        assert get_catalog().stage_for_days(days) == stage, (stage, days)
    assert debt["dias_atraso"] == max(days, 0)
    assert debt["valor_atualizado"] >= debt["valor"]
    if days > 0:
        assert debt["valor_atualizado"] > debt["valor"]
    pix_expiry = dt.datetime.strptime(data["pagamento"]["pix_expira_em"][:10], "%d/%m/%Y").date()
    assert pix_expiry > STAGE_TODAY
    assert data["acordo"]["validade"] > STAGE_TODAY


def test_medium_delay_preview_no_longer_says_twelve_days() -> None:
    text = render(
        Template(
            meta=TemplateMeta(objecao="nenhuma", tom="firme", canal="sms", estagio="atraso_medio"),
            version=1,
            created_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
            parts=[
                ("texto", "Atraso de {{ divida.dias_atraso }} dias desde {{ divida.vencimento | data }}.")
            ],
        ),
        preview_data("atraso_medio", today=STAGE_TODAY),
    ).parts[0][1]
    assert "12 dias" not in text
    assert text == "Atraso de 50 dias desde 24/01/2027."


def test_sample_debtor_without_stage_is_the_fixed_example() -> None:
    assert preview_data(None) == sample_debtor()
    assert sample_debtor()["divida"]["dias_atraso"] == 12


def test_preview_data_takes_the_configured_creditor() -> None:
    data = preview_data("vencimento", {"nome": "Credora X"}, today=STAGE_TODAY)
    assert data["empresa"] == {"nome": "Credora X"}
    assert data["divida"]["vencimento"] == STAGE_TODAY


def test_workbench_preview_uses_the_chosen_stage_and_today(tmp_path: Path) -> None:
    from test_workbench_app import make_config

    from cobranca_kit.workbench import Workbench

    wb = Workbench(config=make_config(tmp_path))
    wb.objection.value, wb.tone.value, wb.channel.value = "nenhuma", "firme", "whatsapp"
    wb.stage.value = "atraso_medio"
    wb.generate_button.click()
    card = wb.cards[0]
    card.preview_button.click()
    expected = preview_data("atraso_medio")
    assert f"há {expected['divida']['dias_atraso']} dias" in card.preview.value
    assert "há 12 dias" not in card.preview.value
    assert expected["pagamento"]["pix_expira_em"] in card.preview.value
