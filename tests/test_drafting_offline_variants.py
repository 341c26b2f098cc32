"""The offline drafter: variants differ, every channel (SMS too) follows the objection
and the tone, and the free-text instructions shape the draft or come back as notes."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance.metrics import sample_render
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, check_script, draft_checked, draft_variants
from cobranca_kit.drafting.instructions import parse_instructions
from cobranca_kit.drafting.offline import load_phrasebank
from cobranca_kit.fields import template_variables

CAT = get_catalog()
ALL = list(itertools.product(CAT.ids("objecoes"), CAT.ids("tons"), CAT.ids("canais"), CAT.ids("estagios")))
PAYS = ["pix", "boleto", "link"]
VARIANTS = 5  # the workbench's maximum
BANK = load_phrasebank()
TODAY = dt.date(2026, 11, 20)


def _request(objecao: str, tom: str, canal: str, estagio: str, **kw: object) -> DraftRequest:
    return DraftRequest(objecao=objecao, tom=tom, canal=canal, estagio=estagio, pagamentos=PAYS, **kw)


@pytest.fixture(scope="module")
def variants() -> dict[tuple[str, str, str, str], list]:
    drafter = OfflineDrafter()
    return {combo: [drafter.draft(_request(*combo), variant=v) for v in range(VARIANTS)] for combo in ALL}


def test_all_variants_of_every_combination_are_pairwise_different(variants: dict) -> None:
    same = [
        combo for combo, results in variants.items() if len({r.script.text() for r in results}) < VARIANTS
    ]
    assert not same, f"{len(same)} combinações com variantes repetidas, ex.: {same[:3]}"


def _objection_phrases(objection: str, channel: str, stage: str) -> list[str]:
    group = (
        "confirmacao"
        if stage == "confirmacao"
        else ("antes" if stage in ("pre_vencimento", "vencimento") else "depois")
    )
    if channel == "sms":
        return getattr(BANK.sms.objecoes[objection], group)
    if channel == "telefone" and stage != "confirmacao":
        return BANK.ligacao.objecoes[objection]
    return getattr(BANK.objecoes[objection], group)


def test_every_variant_reflects_its_objection_on_every_channel(variants: dict) -> None:
    missing = Counter()
    for (objection, _tone, channel, stage), results in variants.items():
        if objection in ("nenhuma", "nao_reconhece_divida"):
            continue  # no answer to give / the dispute path is checked in test_drafting_offline
        phrases = [p for p in _objection_phrases(objection, channel, stage) if p]
        if not phrases:
            continue
        for result in results:
            if not any(p in result.script.text() for p in phrases):
                missing[(objection, channel, stage)] += 1
    assert not missing, missing.most_common(5)


def test_sms_follows_the_tone(variants: dict) -> None:
    for (objection, tone, channel, stage), results in variants.items():
        if channel != "sms":
            continue
        other_tones = {t for other, ts in BANK.sms.saudacao.items() if other != tone for t in ts}
        for result in results:
            greeting_ok = any(result.script.texto.startswith(p) for p in BANK.sms.saudacao[tone])
            assert greeting_ok or not any(result.script.texto.startswith(p) for p in other_tones), (
                objection,
                tone,
                stage,
                result.script.texto,
            )
            assert greeting_ok, (objection, tone, stage, result.script.texto)


def test_sms_tones_differ_for_the_same_request() -> None:
    drafter = OfflineDrafter()
    texts = {
        tone: drafter.draft(_request("esqueci", tone, "sms", "atraso_curto")).script.texto
        for tone in CAT.ids("tons")
    }
    assert len(set(texts.values())) == len(texts)


def test_sms_objection_changes_the_text() -> None:
    drafter = OfflineDrafter()
    texts = {
        o: drafter.draft(_request(o, "amigavel", "sms", "vencimento")).script.texto
        for o in CAT.ids("objecoes")
    }
    assert len(set(texts.values())) == len(texts)


# -- instructions ------------------------------------------------------------------------------


def test_discount_and_date_shape_every_channel() -> None:
    instructions = "Mencione desconto de 10% até 15/12"
    for channel in CAT.ids("canais"):
        result = draft_checked(
            _request("esqueci", "amigavel", channel, "atraso_curto", instrucoes=instructions),
            OfflineDrafter(),
        )
        text = result.script.text()
        assert result.passed and not result.report.warnings, (channel, result.report.findings)
        date_notes = [n for n in result.notes if "acordo.validade" in n]
        other_notes = [n for n in result.notes if n not in date_notes]
        if channel == "sms" and other_notes:  # no room in 2 segments: said, not silent
            assert "instruções" in other_notes[0] and "SMS" in other_notes[0]
            continue
        assert "10% de desconto" in text, (channel, text)
        # The deadline is a placeholder (a template outlives any fixed date), and the note says so.
        assert "{{ acordo.validade | data }}" in text and "15/12" not in text, (channel, text)
        assert len(date_notes) == 1 and "15/12/" in date_notes[0], result.notes
        assert other_notes == []


def test_instalments_reference_and_short() -> None:
    drafter = OfflineDrafter()
    plain = drafter.draft(_request("nenhuma", "profissional", "email", "atraso_curto")).script
    asked = drafter.draft(
        _request(
            "nenhuma",
            "profissional",
            "email",
            "atraso_curto",
            instrucoes="ofereça parcelamento; cite o número da fatura",
        )
    ).script
    assert "parcel" not in plain.text().lower()
    assert "parcel" in asked.text().lower()
    used = set().union(*(template_variables(t) for _, t in asked.parts()))
    assert "divida.numero_documento" in used
    short = drafter.draft(
        _request("nenhuma", "profissional", "email", "atraso_curto", instrucoes="bem curto")
    ).script
    assert len(short.text()) < len(plain.text()) or short.text() == min(
        (
            drafter.draft(_request("nenhuma", "profissional", "email", "atraso_curto", seed=s)).script.text()
            for s in range(8)
        ),
        key=len,
    )


def test_instructions_not_honoured_come_back_as_pt_br_notes() -> None:
    result = draft_checked(
        _request(
            "esqueci",
            "amigavel",
            "whatsapp",
            "vencimento",
            instrucoes="fale do nosso novo aplicativo; mais formal",
        ),
        OfflineDrafter(),
    )
    assert len(result.notes) == 2
    assert any("«fale do nosso novo aplicativo»" in n and "não sabe aplicar" in n for n in result.notes)
    assert any("Profissional" in n and "tom" in n for n in result.notes)
    assert result.to_dict()["notas"] == result.notes


def test_discount_without_percentage_asks_for_it() -> None:
    parsed = parse_instructions("dê um desconto", today=TODAY)
    assert parsed.discount is None
    assert any("percentual" in n for n in parsed.notes)


def test_parse_dates_and_percentages() -> None:
    parsed = parse_instructions("10% de desconto, válido até dia 30", today=TODAY)
    assert parsed.discount == "10%" and parsed.until == dt.date(2026, 11, 30) and not parsed.notes
    past = parse_instructions("prazo até 01/01/2020", today=TODAY)
    assert past.until is None and any("já passou" in n for n in past.notes)
    assert parse_instructions("sem emojis", today=TODAY).notes == []


def test_no_discount_in_a_confirmation_or_a_dispute_and_a_note_says_why() -> None:
    drafter = OfflineDrafter()
    for objection, stage in (("nenhuma", "confirmacao"), ("nao_reconhece_divida", "atraso_curto")):
        result = drafter.draft(
            _request(objection, "profissional", "whatsapp", stage, instrucoes="desconto de 15%")
        )
        assert "15%" not in result.script.text()
        assert any("Desconto" in n for n in result.notes)


def test_every_combination_with_instructions_still_passes_the_checker() -> None:
    drafter = OfflineDrafter()
    problems = Counter()
    for combo in ALL:
        request = _request(
            *combo, instrucoes="desconto de 10% até 15/12; cite o número da fatura; parcelamento"
        )
        script = drafter.draft(request).script
        report = check_script(script, request)
        for finding in report.findings:
            if finding.severity in ("block", "warn"):
                problems[(finding.rule_id, combo[2])] += 1
        if combo[2] == "sms":
            assert "{{" not in sample_render(script.texto)
    assert not problems, problems.most_common(5)


def test_draft_variants_keep_the_notes_and_differ() -> None:
    request = _request(
        "sem_condicoes", "empatico", "telefone", "acordo", variantes=5, instrucoes="use gírias"
    )
    results = draft_variants(request, OfflineDrafter())
    assert len({r.script.text() for r in results}) == 5
    assert all(r.notes and "«use gírias»" in r.notes[0] for r in results)


def test_workbench_shows_the_instruction_notes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from test_workbench_app import make_config

    from cobranca_kit.workbench import Workbench

    wb = Workbench(config=make_config(tmp_path))
    wb.objection.value, wb.tone.value, wb.channel.value, wb.stage.value = (
        "esqueci",
        "firme",
        "email",
        "vencimento",
    )
    wb.instructions.value = "desconto de 5%; conte uma piada"
    wb.generate_button.click()
    assert "5% de desconto" in wb.cards[0].script().text()
    assert "«conte uma piada»" in wb.status.value
