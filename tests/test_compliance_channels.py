"""SMS encoding and segments, readability (Flesch for Portuguese), caps and the Pix code."""

from __future__ import annotations

import pytest
import textstat

from cobranca_kit.compliance import SmsInfo, check, flesch_pt, sms_info
from cobranca_kit.compliance.channels import gsm_fold
from cobranca_kit.compliance.practices import caps_runs, pix_stands_alone
from cobranca_kit.compliance.readability import sentence_count, syllables, words
from cobranca_kit.script import SmsScript, WhatsAppScript


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, SmsInfo("GSM-7", 1, 160)),
        ("a" * 161, SmsInfo("GSM-7", 2, 161)),
        ("a" * 306, SmsInfo("GSM-7", 2, 306)),
        ("a" * 307, SmsInfo("GSM-7", 3, 307)),
        ("{" * 80, SmsInfo("GSM-7", 1, 160)),  # escape characters count double
        ("€" * 81, SmsInfo("GSM-7", 2, 162)),
        ("ã" + "a" * 69, SmsInfo("UCS-2", 1, 70, ("ã",))),
        ("ç" + "a" * 70, SmsInfo("UCS-2", 2, 71, ("ç",))),
        ("õ" + "a" * 134, SmsInfo("UCS-2", 3, 135, ("õ",))),
        ("😀", SmsInfo("UCS-2", 1, 2, ("😀",))),
        ("", SmsInfo("GSM-7", 0, 0)),
    ],
)
def test_sms_info(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected


@pytest.mark.parametrize("char", list("ãçõáêíúâô"))
def test_one_portuguese_accent_forces_ucs2(char: str) -> None:
    assert sms_info(f"Pague a fatura {char}").encoding == "UCS-2"


def test_gsm_fold_suggests_a_gsm7_text() -> None:
    folded = gsm_fold("Atenção: você não pagou “a fatura” 😀 É hoje")
    assert folded == 'Atencao: voce nao pagou "a fatura"  É hoje'  # É is in the GSM-7 table
    assert sms_info(folded).encoding == "GSM-7"


def test_sms_finding_offers_accent_free_version_and_segments_metric() -> None:
    report = check(SmsScript(texto="Conecta Ltda: sua fatura de R$ 10,00 vence amanhã."))
    finding = next(f for f in report.findings if f.rule_id == "CANAL-SMS-ACENTOS")
    assert finding.excerpt == "ã"
    assert "vence amanha." in finding.message
    assert report.metrics["parts"]["texto"]["sms"] == {
        "encoding": "UCS-2",
        "segments": 1,
        "characters": 50,
        "estimated": False,
    }


def test_sms_template_length_is_estimated_with_sample_data() -> None:
    report = check(SmsScript(texto="{{ empresa.nome }}: {{ divida.valor | moeda }}"))
    sms = report.metrics["parts"]["texto"]["sms"]
    assert sms["estimated"] is True
    # rendered with the sample debtor: "Conecta Fibra Telecom Ltda.: R$ 389,90"
    assert (sms["encoding"], sms["characters"], sms["segments"]) == ("GSM-7", 38, 1)
    assert report.metrics["parts"]["texto"]["characters"] == len(
        "{{ empresa.nome }}: {{ divida.valor | moeda }}"
    )


# --- readability ------------------------------------------------------------------


def test_flesch_pt_against_hand_computed_example() -> None:
    text = "O gato bebe leite. A menina comprou pão."
    # 8 words, 2 sentences; syllables per textstat (pt): o1 ga-to2 be-be2 lei-te2 a1 me-ni-na3 com-prou2 pão1 = 14
    assert words(text) == ["O", "gato", "bebe", "leite", "A", "menina", "comprou", "pão"]
    assert sentence_count(text) == 2
    assert sum(syllables(w) for w in words(text)) == 14
    expected = 248.835 - 1.015 * (8 / 2) - 84.6 * (14 / 8)  # 96.725
    assert flesch_pt(text) == pytest.approx(expected, abs=0.05)


def test_flesch_pt_is_42_points_above_textstat_english_constants() -> None:
    text = "O gato bebe leite. A menina comprou pão."
    textstat.set_lang("pt")
    try:
        english_constants = textstat.flesch_reading_ease(text)
    finally:
        textstat.set_lang("en_US")
    assert flesch_pt(text) - english_constants == pytest.approx(42.0, abs=0.1)


def test_flesch_pt_orders_easy_and_hard_text() -> None:
    easy = "Sua conta venceu. Pague hoje. É fácil."
    hard = (
        "Considerando a inadimplência caracterizada pela ausência de adimplemento tempestivo, "
        "comunicamos a imprescindibilidade da regularização."
    )
    assert flesch_pt(easy) > 70 > 20 > flesch_pt(hard)
    assert flesch_pt("") == 0.0


# --- caps, Pix ----------------------------------------------------------------------


def test_caps_runs_ignore_acronyms_and_placeholders() -> None:
    assert list(caps_runs("Pague via PIX ou boleto; CPF e CNPJ conferidos.")) == []
    text = "Atenção: PAGUE JÁ {{ cliente.nome }} ok"
    runs = list(caps_runs(text, min_words=2, min_letters=6))
    assert [text[s:e] for s, e in runs] == ["PAGUE JÁ"]


def test_pix_code_alone() -> None:
    code = "00020126580014BR.GOV.BCB.PIX0136a1b2c3d4-e5f6-4789-9abc-def012345678520400005303986540538990"
    assert pix_stands_alone(code)
    assert pix_stands_alone(f"  {code}\n")
    assert not pix_stands_alone(f"Pix: {code}")
    assert pix_stands_alone("{{ pagamento.pix_copia_e_cola }}")
    assert not pix_stands_alone("Código: {{ pagamento.pix_copia_e_cola }}")
    script = WhatsAppScript(mensagens=["Olá", f"Segue: {code}"])
    finding = next(f for f in check(script).findings if f.rule_id == "BP-PIX-SOZINHO")
    assert finding.part == "mensagem_2" and finding.excerpt == code


def test_whatsapp_session_and_template_limits() -> None:
    long_text = "Sua fatura está disponível no aplicativo. " * 30  # ~1260 characters
    assert "CANAL-WHATSAPP-TAMANHO" not in check(long_text, channel="whatsapp").rule_ids()
    template = "{{ cliente.primeiro_nome }}, " + long_text
    assert "CANAL-WHATSAPP-TAMANHO" in check(template, channel="whatsapp").rule_ids()
