"""The draft card: exact-span highlighting, badge, metrics, history and editing."""

from __future__ import annotations

import html
import re

from cobranca_kit.compliance import check
from cobranca_kit.script import SmsScript, WhatsAppScript
from cobranca_kit.workbench.cards import (
    DraftCard,
    badge_html,
    highlight_html,
    history_html,
    metrics_html,
    part_label,
)

THREAT = "Olá {{ cliente.primeiro_nome }}, se não pagar você vai ser preso amanhã."
MARK_RE = re.compile(
    r'<mark class="cobranca-achado cobranca-achado-(\w+)"[^>]*title="([^"]*)">(.*?)</mark>', re.S
)


def marks(markup: str) -> list[tuple[str, str, str]]:
    """(severity, tooltip, marked text) of every highlighted segment."""
    return [(sev, html.unescape(title), html.unescape(text)) for sev, title, text in MARK_RE.findall(markup)]


def test_real_findings_are_marked_on_their_exact_span() -> None:
    report = check(THREAT, "sms")
    threat = [f for f in report.findings if f.category == "ameaca"]
    assert threat, "the checker should flag the threat"
    found = marks(highlight_html(THREAT, threat))
    assert [text for _, _, text in found] == [THREAT[f.start : f.end] for f in threat]
    sev, title, text = found[0]
    assert sev == "block"
    assert "preso" in text
    assert threat[0].article in title and threat[0].suggestion in title


def test_overlapping_findings_split_into_segments_with_the_worst_colour() -> None:
    text = "abcdefghij"
    findings = [
        {
            "rule_id": "A",
            "severity": "warn",
            "part": "texto",
            "start": 0,
            "end": 6,
            "message": "aviso A",
            "article": "",
            "suggestion": "",
        },
        {
            "rule_id": "B",
            "severity": "block",
            "part": "texto",
            "start": 4,
            "end": 8,
            "message": "grave B",
            "article": "CDC art. 71",
            "suggestion": "diga outra coisa",
        },
    ]
    found = marks(highlight_html(text, findings))
    assert [(sev, t) for sev, _, t in found] == [("warn", "abcd"), ("block", "ef"), ("block", "gh")]
    overlap_title = found[1][1]
    assert "aviso A" in overlap_title and "grave B" in overlap_title


def test_text_is_escaped_and_spans_outside_the_text_are_not_marked() -> None:
    text = "<b>oi</b> & tchau"
    findings = [{"rule_id": "X", "severity": "hint", "start": 50, "end": 60, "message": "fora"}]
    markup = highlight_html(text, findings)
    assert "<b>oi</b>" not in markup and "&lt;b&gt;oi&lt;/b&gt; &amp; tchau" in markup
    assert not marks(markup)


def test_badge_reflects_the_verdict() -> None:
    blocked = check(THREAT, "sms")
    assert "Bloqueado" in badge_html(blocked)
    assert "Texto alterado" in badge_html(blocked, stale=True)
    clean = {"findings": []}
    assert "✔ Conforme" in badge_html(clean)
    warn_only = {"findings": [{"severity": "warn"}]}
    assert "1 aviso" in badge_html(warn_only)


def test_metrics_show_readability_size_and_sms_encoding() -> None:
    ascii_text = "Oi Ana, sua fatura vence hoje. Pague pelo link."
    markup = metrics_html(ascii_text)
    assert f"<b>{len(ascii_text)}</b> caracteres" in markup
    assert "GSM-7" in markup and "<b>1</b> segmento" in markup
    accented = metrics_html("Olá, a cobrança vence hoje.")
    assert "UCS-2" in accented and "ç" in accented
    assert "SMS" not in metrics_html(ascii_text, sms=False)


def test_card_shows_sms_metrics_only_on_the_sms_channel() -> None:
    sms = DraftCard(index=0, channel="sms", parts=[("texto", "Oi")], report=None)
    whatsapp = DraftCard(index=0, channel="whatsapp", parts=[("mensagem_1", "Oi")], report=None)
    assert "SMS: GSM-7" in sms.metrics.value
    assert "SMS" not in whatsapp.metrics.value and "caracteres" in whatsapp.metrics.value


def test_history_lists_each_round_of_the_loop() -> None:
    assert history_html([{"round": 1, "findings": [], "passed": True}]) == ""
    rounds = [
        {
            "round": 1,
            "findings": [{"severity": "block", "message": "ameaça de prisão", "article": "CDC art. 71"}],
            "passed": False,
        },
        {"round": 2, "findings": [], "passed": True},
    ]
    markup = history_html(rounds)
    assert "Rodada 1: 1 bloqueio," in markup and "enviado para revisão" in markup
    assert "ameaça de prisão" in markup
    assert "Rodada 2: sem achados · passou na verificação" in markup


def test_part_labels_are_readable() -> None:
    assert part_label("mensagem_2") == "Mensagem 2"
    assert part_label("passo_3_confirmacao_titular") == "Passo 3 (confirmacao titular)"
    assert part_label("assunto") == "Assunto"


def test_card_edit_marks_stale_and_show_report_highlights_the_part() -> None:
    script = WhatsAppScript(mensagens=["Olá {{ cliente.primeiro_nome }}!", "Sua fatura venceu."])
    card = DraftCard(index=0, channel="whatsapp", parts=script.parts(), report={"findings": []})
    assert list(card.textareas) == ["mensagem_1", "mensagem_2"]
    assert "Conforme" in card.badge.value
    assert card.stale is False

    card.textareas["mensagem_2"].value = "Sua fatura venceu, você vai ser preso."
    assert card.stale is True and "Texto alterado" in card.badge.value

    rebuilt = card.script()
    assert rebuilt.mensagens[1] == "Sua fatura venceu, você vai ser preso."
    card.show_report(check(rebuilt, "whatsapp"))
    assert card.stale is False
    assert "Bloqueado" in card.badge.value
    assert any("preso" in text for _, _, text in marks(card.highlights["mensagem_2"].value))
    assert card.highlights["mensagem_1"].value == ""
    assert "Achados" in card.findings_html.value


def test_card_keeps_sms_part_names_and_css_hooks() -> None:
    card = DraftCard(
        index=1, channel="sms", parts=SmsScript(texto="Oi").parts(), report=None, warning="revisão incompleta"
    )
    assert card.part_names == ["texto"]
    assert "cobranca-card" in card._dom_classes
    assert "cobranca-badge" in card.badge._dom_classes
    assert "cobranca-verificar" in card.verify_button._dom_classes
    assert "revisão incompleta" in card.status.value
    assert "Variante 2" in card.header.value
