"""The checker engine: normalisation, offsets, scripts, lawful vs unlawful wording, robustness."""

from __future__ import annotations

import json
import random

import pytest

from cobranca_kit.compliance import (
    CATEGORIES,
    CheckContext,
    Report,
    UnusableTextError,
    check,
    load_rules,
    normalize,
    rules_summary,
)
from cobranca_kit.compliance.normalize import PLACEHOLDER, fold
from cobranca_kit.script import CallScript, CallStep, EmailScript, SmsScript, WhatsAppScript


def _ids(report: Report) -> set[str]:
    return report.rule_ids()


# --- normalisation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Ameaça", "ameaca"),
        ("VOCÊ   será\n\npreso", "voce sera\npreso"),
        ("vc pq pgto q", "voce porque pagamento que"),
        ("Olá {{ cliente.nome }}!", f"ola {PLACEHOLDER}!"),
    ],
)
def test_normalize_folds_case_accents_space_abbreviations_and_placeholders(raw: str, folded: str) -> None:
    assert normalize(raw).text == folded


def test_normalize_offsets_point_back_to_original_text() -> None:
    raw = "Oi  Zé,   vc vai SER PRESO"
    norm = normalize(raw)
    start = norm.text.index("voce")
    assert norm.span(start, start + 4) == (raw.index("vc"), raw.index("vc") + 2)
    start = norm.text.index("preso")
    s, e = norm.span(start, start + 5)
    assert raw[s:e] == "PRESO"


def test_fold_keeps_length_for_any_character() -> None:
    sample = "ÀÉÎÕÜçñßİﬁ“”‘’😀\x00"
    assert len(fold(sample)) == len(sample)


@pytest.mark.parametrize(
    "text",
    ["Você será preso", "voce sera preso", "VC SERÁ PRESO", "vc   será\tpreso", "Vc sera presa"],
)
def test_matching_ignores_accents_case_spacing_and_abbreviations(text: str) -> None:
    assert "CDC71-AMEACA-PRISAO" in _ids(check(text))


def test_finding_offsets_and_excerpt_match_original_text() -> None:
    text = "Olá, Zé!  Atenção:   você   SERÁ   PRESO amanhã."
    finding = next(f for f in check(text).findings if f.rule_id == "CDC71-AMEACA-PRISAO")
    assert text[finding.start : finding.end] == finding.excerpt
    assert finding.excerpt == "SERÁ   PRESO"
    assert finding.part == "texto"
    assert finding.article and finding.suggestion and finding.category == "ameaca"


def test_placeholders_are_opaque_for_abusive_rules() -> None:
    # A variable whose name contains a flagged word must not trigger anything.
    report = check("Olá {{ cliente.nome | caloteiro_preso }}, sua fatura venceu.")
    assert not [f for f in report.findings if f.category == "insulto" or f.category == "ameaca"]


# --- lawful vs unlawful wording ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Caso o pagamento não seja feito, seu nome poderá ser incluído nos órgãos de proteção ao crédito.",
        "Após o vencimento, incidem multa de 2% e juros de mora de 1% ao mês, conforme o contrato.",
        "Se não houver pagamento, o título poderá ser levado a protesto após a notificação.",
        "Que tal negociar? Podemos parcelar o valor em até 6 vezes.",
    ],
)
def test_lawful_consequences_pass(text: str) -> None:
    report = check(text)
    assert report.passed
    assert not [f for f in report.findings if f.category in CATEGORIES[:8]]


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Se não pagar, você será preso.", "CDC71-AMEACA-PRISAO"),
        ("Multa de 10% por atraso.", "CDC52-MULTA-ACIMA-2"),
        ("Seu nome será negativado hoje.", "CDC71-FALSA-NEGATIVACAO-DECIDIDA"),
        ("Seu nome vai ficar sujo para sempre.", "CDC43-FALSA-NOME-SUJO-PARA-SEMPRE"),
    ],
)
def test_unlawful_wording_blocks(text: str, rule_id: str) -> None:
    report = check(text)
    assert not report.passed
    assert rule_id in {f.rule_id for f in report.blocks}


# --- scripts and channels ---------------------------------------------------

WHATSAPP_TEMPLATE = WhatsAppScript(
    mensagens=[
        "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }} (CNPJ {{ empresa.cnpj }}, "
        "{{ empresa.endereco }}).",
        "Sua fatura de {{ divida.valor | moeda }}, vencida em {{ divida.vencimento | data }}, está em aberto. "
        "Podemos parcelar em até {{ acordo.parcelas }} vezes.",
        "Pague pelo link {{ pagamento.link }} ou pelo Pix abaixo, válido até {{ pagamento.pix_expira_em }}:",
        "{{ pagamento.pix_copia_e_cola }}",
        "Se já pagou, desconsidere. Dúvidas: {{ empresa.atendimento }}.",
    ]
)


def test_complete_whatsapp_template_has_no_findings() -> None:
    report = check(WHATSAPP_TEMPLATE, context=CheckContext(stage="atraso_medio"))
    assert report.passed
    assert report.findings == []
    assert report.metrics["template"] is True
    assert set(report.metrics["parts"]) == {f"mensagem_{i}" for i in range(1, 6)}


def test_whatsapp_without_identification_blocks_and_names_no_span() -> None:
    script = WhatsAppScript(mensagens=["Olá, {{ cliente.primeiro_nome }}! Pague: {{ pagamento.link }}"])
    report = check(script)
    missing = {f.rule_id for f in report.blocks}
    assert {"CDC42A-CREDOR-NOME", "CDC42A-CREDOR-CNPJ", "CDC42A-CREDOR-ENDERECO"} <= missing
    finding = next(f for f in report.blocks if f.rule_id == "CDC42A-CREDOR-CNPJ")
    assert (finding.start, finding.end, finding.excerpt) == (0, 0, "")


def test_rendered_text_counts_words_for_identification_and_practices() -> None:
    text = (
        "Olá, Mariana! Conecta Fibra Telecom Ltda., CNPJ 11.222.333/0001-81, Rua das Acácias, 250, Campinas/SP. "
        "Sua fatura de R$ 1.234,56 venceu em 10/11/2026. Pague em https://pagar.exemplo.com.br/f/8KQ2ZC. "
        "Se já pagou, desconsidere. Dúvidas: (19) 3232-4500."
    )
    report = check(text, channel="whatsapp")
    assert report.findings == []


def test_sms_identification_is_softer_than_email() -> None:
    sms = check(SmsScript(texto="Sua fatura de R$ 10,00 venceu em 10/11. Pague: https://x.com.br/a"))
    by_id = {f.rule_id: f.severity for f in sms.findings}
    assert by_id["CDC42A-CREDOR-NOME"] == "warn"
    assert by_id["CDC42A-CREDOR-CNPJ"] == "hint"
    assert sms.passed
    email = EmailScript(
        assunto="Fatura em aberto", corpo="Sua fatura de R$ 10,00 venceu em 10/11.", assinatura="Equipe"
    )
    assert {"CDC42A-CREDOR-NOME", "CDC42A-CREDOR-CNPJ"} <= {f.rule_id for f in check(email).blocks}


def test_findings_name_the_part_with_offsets_inside_that_part() -> None:
    script = WhatsAppScript(mensagens=["Olá!", "Você   é um caloteiro."])
    finding = next(f for f in check(script).findings if f.rule_id == "CDC42-INSULTO-XINGAMENTO")
    assert finding.part == "mensagem_2"
    assert "Você   é um caloteiro."[finding.start : finding.end] == "caloteiro"


def test_call_script_checks_structure_and_confirmation_before_debt() -> None:
    bad = CallScript(
        passos=[
            CallStep(etapa="abertura", fala="Bom dia! Ligo por causa da sua dívida em atraso."),
            CallStep(etapa="confirmacao_titular", fala="Falo com o titular?"),
        ]
    )
    report = check(bad)
    assert "LGPD-LIGACAO-CONFIRMAR-TITULAR" in {f.rule_id for f in report.blocks}
    etapas = next(f for f in report.findings if f.rule_id == "CANAL-LIGACAO-ETAPAS")
    assert "identificação" in etapas.message and "encerramento" in etapas.message


def test_a_call_with_the_debtor_confirmed_may_speak_of_the_debt() -> None:
    """A phone utterance judged with the recipient stated as the debtor (confirmed on the
    line) has met the confirmation step; unknown or third-party recipients have not."""
    from cobranca_kit.compliance import CheckContext

    said = "Sr. Carlos, a parcela de outubro do financiamento está em aberto; podemos ver uma data?"
    rule = "LGPD-LIGACAO-CONFIRMAR-TITULAR"
    assert rule in {f.rule_id for f in check(said, channel="telefone").blocks}
    confirmed = check(said, channel="telefone", context=CheckContext(relation="devedor"))
    assert rule not in {f.rule_id for f in confirmed.findings}
    unknown = check(said, channel="telefone", context=CheckContext(relation="desconhecido"))
    assert rule in {f.rule_id for f in unknown.blocks}


def test_email_subject_length_warns() -> None:
    email = EmailScript(assunto="x" * 70, corpo="Olá.", assinatura="Equipe")
    finding = next(f for f in check(email).findings if f.rule_id == "CANAL-EMAIL-ASSUNTO")
    assert finding.part == "assunto" and finding.severity == "warn"


def test_stage_controls_negotiation_rule() -> None:
    text = "Olá, Ana. Sua fatura de R$ 10,00 venceu em 10/09."
    assert "BP-NEGOCIACAO" in _ids(check(text, context=CheckContext(stage="atraso_longo")))
    assert "BP-NEGOCIACAO" not in _ids(check(text, context=CheckContext(stage="atraso_curto")))
    assert "BP-NEGOCIACAO" not in _ids(check(text))


def test_creditor_name_from_context_counts_as_identification() -> None:
    text = "Conecta Fibra: sua fatura vence hoje."
    assert "CDC42A-CREDOR-NOME" in _ids(check(text, channel="sms"))
    ctx = CheckContext(creditor_name="Conecta Fibra")
    assert "CDC42A-CREDOR-NOME" not in _ids(check(text, channel="sms", context=ctx))


# --- report -------------------------------------------------------------------


def test_report_serialises_with_contract_keys() -> None:
    report = check("Voce e um caloteiro!!!", channel="sms")
    data = json.loads(report.to_json())
    assert set(data) == {"passed", "findings", "metrics"}
    assert data["passed"] is False
    assert set(data["findings"][0]) == {
        "rule_id",
        "category",
        "severity",
        "part",
        "start",
        "end",
        "excerpt",
        "article",
        "message",
        "suggestion",
    }
    part = data["metrics"]["parts"]["texto"]
    assert part["sms"]["encoding"] == "GSM-7" and part["sms"]["segments"] == 1
    assert {"characters", "words", "sentences", "flesch"} <= set(part)
    assert report.blocks and report.warnings


def test_rules_summary_lists_every_legal_rule_once() -> None:
    summary = rules_summary()
    for rule in load_rules():
        if rule.category in CATEGORIES[:8]:
            assert summary.count(rule.title) == 1
    assert "Ameaça" in summary
    sms = rules_summary("sms")
    assert "SMS com acentos" in sms and "Etapas do roteiro" not in sms


# --- bad and pathological input ---------------------------------------------


@pytest.mark.parametrize("bad", ["", "   \n\t", None, 42, b"bytes"])
def test_unusable_input_raises_clear_error(bad: object) -> None:
    with pytest.raises(UnusableTextError) as err:
        check(bad)  # type: ignore[arg-type]
    assert err.value.exit_code == 2
    assert "verificar" in str(err.value) or "vazio" in str(err.value)


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(UnusableTextError, match="canal desconhecido"):
        check("Olá", channel="pombo")


@pytest.mark.timeout(60)
def test_one_megabyte_of_text_is_checked() -> None:
    paragraph = "Olá, Ana! Sua fatura de R$ 10,00 venceu em 10/11. Você será preso. Pague pelo Pix. "
    text = paragraph * (1_000_000 // len(paragraph))
    report = check(text)
    assert len(text) > 990_000
    assert len([f for f in report.findings if f.rule_id == "CDC71-AMEACA-PRISAO"]) == text.count("será preso")


@pytest.mark.timeout(60)
def test_binary_junk_and_foreign_text_come_back() -> None:
    rng = random.Random(7)
    junk = "".join(chr(rng.randrange(1, 0x3000)) for _ in range(50_000))
    assert isinstance(check(junk), Report)
    english = "Dear customer, your invoice is overdue. Please pay at your earliest convenience. " * 50
    report = check(english)
    assert report.passed
    assert not [f for f in report.findings if f.category in CATEGORIES[:8]]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,
        " " * 200_000 + "x",
        "!" * 100_000,
        "preso " * 30_000,
        "seu nome " * 30_000,
        "{{" * 50_000,
        "{{ a " * 40_000,
        "vc " * 60_000,
        "PAGUE " * 40_000,
        "000201" + "a" * 100_000,
        ("sua mae " + "x " * 3) * 20_000,
        "r$ 1" * 50_000,
    ],
)
def test_pathological_inputs_finish(text: str) -> None:
    assert isinstance(check(text, channel="whatsapp"), Report)


# --- prefilter and boundary scanning (speed-ups must not change results) ----------


def test_prefilter_never_hides_a_match(rule_and_corpus_texts: list[str]) -> None:
    import re

    from cobranca_kit.compliance.rules import text_keys

    checked = 0
    for raw in rule_and_corpus_texts:
        folded = normalize(raw).text
        keys = text_keys(set(re.findall(r"\w+", folded)))
        for rule in load_rules():
            if rule.match_on != "folded":
                continue
            for regex, prefilter in zip(rule.compiled, rule.prefilters, strict=True):
                if prefilter is not None and regex.search(folded):
                    checked += 1
                    assert not prefilter.isdisjoint(keys), (rule.id, regex.pattern, raw)
    assert checked > 200


def test_literal_keys() -> None:
    from cobranca_kit.compliance.rules import expand_pattern, literal_keys

    assert literal_keys(expand_pattern(r"\b(?:ser|vai ser) preso")) == {"w:ser", "w:vai"}
    assert literal_keys(expand_pattern(r"\bcalote\w*")) == {"p:calote"}
    assert literal_keys(expand_pattern(r"\b(?:voce )?x")) is None
    assert literal_keys(expand_pattern(r"r\$ ?\d")) is None


def test_scan_emulates_leading_word_boundary() -> None:
    import re

    from cobranca_kit.compliance.engine import scan

    regex = re.compile(r"(?:vai ser|ser)\spreso")
    # the mid-word match "vai ser preso" inside "xvai" is rejected, the real one is still found
    assert scan(regex, "xvai ser preso", needs_boundary=True) == [(5, 14)]
    assert scan(regex, "vai ser preso", needs_boundary=True) == [(0, 13)]
    assert scan(regex, "xvai ser preso", needs_boundary=False) == [(1, 14)]


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Não vai ter polícia nenhuma, dona Lurdes: dívida não é crime.", "CDC71-AMEACA-POLICIA"),
        ("Ninguém pode penhorar seu salário sem processo e ordem do juiz.", "CDC71-AMEACA-PENHORA"),
        ("Fique tranquilo: seu CPF não vai ser cancelado.", "CDC71-FALSA-CPF-CANCELADO"),
        ("Esta mensagem não é uma intimação nem uma citação: é um lembrete.", "CDC71-FALSA-AUTORIDADE"),
        ("Prisão por dívida de consumo não existe, pode ficar tranquila.", "CDC71-AMEACA-PRISAO"),
    ],
)
def test_a_denied_match_of_a_negatable_rule_passes(text: str, rule_id: str) -> None:
    assert rule_id not in check(text, model=False).rule_ids()


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Se não pagar até sexta, a polícia será acionada.", "CDC71-AMEACA-POLICIA"),
        ("Quem não paga vai preso, sabia?", "CDC71-AMEACA-PRISAO"),
        ("Enquanto não quitar, vamos penhorar seu salário.", "CDC71-AMEACA-PENHORA"),
        ("Se não quitar, vamos bloquear sua conta.", "CDC71-AMEACA-PENHORA"),
        ("Se não pagar hoje ligamos no seu trabalho.", "CDC71-INTRUSAO-TRABALHO"),
        ("A polícia vai te procurar, e não adianta fugir.", "CDC71-AMEACA-POLICIA"),
        ("Você não vai conseguir tirar passaporte com essa pendência.", "CDC71-FALSA-DOCUMENTOS"),
        # a new clause ends the reach of the negation before it
        ("Não tem conversa, vamos ligar no domingo.", "CDC71-INTRUSAO-DESCANSO"),
        ("Não vamos mais esperar: a polícia vai na sua casa.", "CDC71-AMEACA-POLICIA"),
        ("Ninguém vai ser preso, mas a polícia vai na sua casa.", "CDC71-AMEACA-POLICIA"),
    ],
)
def test_a_condition_or_an_asserted_negative_is_no_denial(text: str, rule_id: str) -> None:
    assert rule_id in check(text, model=False).rule_ids()


def test_lawful_context_anywhere_in_the_message_excuses_the_rule() -> None:
    rent = "Oi Diego, o aluguel de maio venceu dia 5.\nPelo contrato, a multa é de 10%: R$ 1.100,00."
    assert "CDC52-MULTA-ACIMA-2" not in check(rent, model=False).rule_ids()
    store = "Oi Diego, a parcela da loja venceu dia 5.\nPelo contrato, a multa é de 10%: R$ 1.100,00."
    assert "CDC52-MULTA-ACIMA-2" in check(store, model=False).rule_ids()
    protest = "O título foi enviado ao cartório de protesto. Aguarde a intimação oficial com o prazo."
    assert "CDC71-FALSA-INTIMACAO" not in check(protest, model=False).rule_ids()
    assert (
        "CDC71-FALSA-INTIMACAO" in check("Aguarde a intimação oficial com o prazo.", model=False).rule_ids()
    )


def test_a_sentence_ends_at_a_mark_followed_by_a_closing_bracket_or_quote() -> None:
    # "fase de execução" is lawful wording for the next sentence only, not for the confessed farce
    text = (
        "Aqui é o Dr. Rui, advogado. (Na verdade somos a equipe de cobrança, mas nos apresentamos assim "
        "para dar mais seriedade.) Seu débito já está em fase de execução."
    )
    assert "CDC71-FALSA-AUTORIDADE" in check(text, channel="texto", model=False).rule_ids()
