"""Channel-like previews: WhatsApp bubbles, SMS, e-mail with subject, call steps."""

from __future__ import annotations

import pytest

from cobranca_kit.workbench.preview import preview_html


def test_whatsapp_has_one_bubble_per_message() -> None:
    markup = preview_html("whatsapp", [("mensagem_1", "Oi Mariana"), ("mensagem_2", "0002012658")])
    assert markup.count('class="cobranca-bolha"') == 2
    assert markup.index("Oi Mariana") < markup.index("0002012658")


def test_sms_shows_encoding_and_segments() -> None:
    markup = preview_html("sms", [("texto", "Ola Mariana, sua fatura venceu.")])
    assert "GSM-7" in markup and "1 segmento(s)" in markup
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
