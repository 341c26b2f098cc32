"""The workbench as a team lead reviews with it (issue 14): the preview shows what is
sent, nothing on screen outlives the text it describes, edits are not thrown away
without asking, saved versions open for a new version, an unchanged save writes
nothing, and template mistakes are explained in pt-BR at "Verificar"."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting import DraftRequest, OfflineDrafter
from cobranca_kit.library import whatsapp_send_payload, whatsapp_template
from cobranca_kit.workbench import Workbench
from cobranca_kit.workbench.cards import DraftCard

THREAT = " Se não pagar hoje, você vai ser preso."
PROMISES = re.compile(r"pr[óo]xima mensagem|c[óo]digo a seguir|mando a seguir", re.IGNORECASE)

WORKSPACE = """\
[empresa]
nome = "Fibra Exemplo Telecom Ltda"
cnpj = "11.222.333/0001-81"
endereco = "Rua das Flores, 100, São Paulo - SP"
atendimento = "0800 000 0000"

[llm]
backend = "offline"

[pastas]
biblioteca = "biblioteca"

[aprovacao]
aprovador_padrao = "Coordenação de Cobrança"
"""


@pytest.fixture(autouse=True)
def _no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "COBRANCA_BACKEND",
        "COBRANCA_MODELO",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "COBRANCA_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "cobranca.toml"
    path.write_text(WORKSPACE, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def bench(config: Config) -> Workbench:
    wb = Workbench(config=config)
    wb.objection.value = "ja_paguei"
    wb.tone.value = "profissional"
    wb.channel.value = "whatsapp"
    return wb


def generated(wb: Workbench) -> DraftCard:
    wb.generate_button.click()
    assert wb.cards, wb.status.value
    return wb.cards[0]


def _sent_body(template_json: dict, payload: dict) -> str:
    """The body text the debtor gets: the template body with the payload's values."""
    body = next(c["text"] for c in template_json["components"] if c["type"] == "BODY")
    for component in payload["template"]["components"]:
        if component["type"] == "body":
            for param in component["parameters"]:
                body = body.replace("{{" + param["parameter_name"] + "}}", param["text"])
    return body


# -- 1. the WhatsApp preview is what is sent; no promise of a message never sent ---------


@pytest.mark.parametrize("objection", ["nenhuma", "ja_paguei", "esqueci", "pix_pendente"])
def test_offline_whatsapp_drafts_promise_no_next_message(objection: str) -> None:
    for tone in ("amigavel", "profissional", "firme", "empatico"):
        request = DraftRequest(objecao=objection, tom=tone, canal="whatsapp", estagio="atraso_curto")
        for variant in range(2):
            text = " ".join(t for _, t in OfflineDrafter().draft(request, variant=variant).script.parts())
            assert not PROMISES.search(text), text
            if "pix_copia_e_cola" in text:  # the code comes after a reply, and the text says so
                assert "respond" in text.lower(), text


def test_whatsapp_preview_is_the_one_message_the_api_sends(bench: Workbench) -> None:
    card = generated(bench)
    card.preview_button.click()
    shown = card.preview.value
    template = bench._unsaved_template(card)
    data = bench._sample_data(card.request.estagio)  # the sample debtor fits the stage
    sent = _sent_body(
        whatsapp_template(template, bench.config), whatsapp_send_payload(template, data, "11987654321")
    )
    bubbles = re.findall(r'class="cobranca-bolha[^"]*"', shown)
    assert bubbles == [
        'class="cobranca-bolha cobranca-wa-modelo"',
        'class="cobranca-bolha cobranca-wa-sessao"',
    ]
    assert html.escape(sent) in shown  # the body, word for word as the debtor reads it
    assert "Pagar agora" in shown and "Falar com atendente" in shown
    assert "Só se o cliente responder" in shown
    assert data["pagamento"]["pix_copia_e_cola"] in shown.split("cobranca-wa-sessao")[1]
    assert not PROMISES.search(shown)


def test_whatsapp_preview_of_an_unsendable_text_says_nothing_would_be_sent(bench: Workbench) -> None:
    card = generated(bench)
    first = card.part_names[0]
    card.textareas[first].value += " Pix: {{ pagamento.pix_copia_e_cola }}"
    card.preview_button.click()
    assert "cobranca-bolha" not in card.preview.value
    assert "não receberia nada" in card.preview.value


# -- 3. nothing shown outlives the text it describes -------------------------------------


def test_edit_takes_down_the_old_preview_and_findings_and_save_shows_the_current_text(
    bench: Workbench,
) -> None:
    card = generated(bench)
    first = card.part_names[1]
    original = card.textareas[first].value
    card.textareas[first].value = original + THREAT
    card.verify_button.click()
    card.preview_button.click()
    assert "preso" in card.preview.value and "preso" in card.findings_html.value

    card.textareas[first].value = original  # the threat removed, not yet verified
    assert "preso" not in card.preview.value
    assert "preso" not in card.findings_html.value
    assert all("preso" not in m.value for m in card.highlights.values())

    card.save_button.click()
    card.approve_button.click()
    assert "Aprovado" in card.ref_html.value
    assert "preso" not in card.preview.value and "Mariana" in card.preview.value  # repainted
    assert "preso" not in card.findings_html.value

    card.textareas[first].value = original + " Obrigado."
    assert "Aprovado" not in card.ref_html.value and "salve uma nova versão" in card.ref_html.value


# -- 4. "Gerar rascunho" asks before throwing edits away ---------------------------------


def test_generate_asks_before_discarding_unsaved_edits(bench: Workbench) -> None:
    card = generated(bench)
    bench.generate_button.click()  # nothing edited: no question
    assert bench.confirm_box.layout.display == "none" and bench.cards[0] is not card
    card = bench.cards[0]
    card.textareas[card.part_names[0]].value += " Texto meu."
    bench.generate_button.click()
    assert bench.cards[0] is card and "Texto meu." in card.textareas[card.part_names[0]].value
    assert bench.confirm_box.layout.display == "flex"
    assert "não salvo" in bench.confirm_text.value and "Variante 1" in bench.confirm_text.value
    bench.confirm_cancel.click()
    assert bench.confirm_box.layout.display == "none" and bench.cards[0] is card

    bench.generate_button.click()
    bench.confirm_discard.click()
    assert bench.cards[0] is not card and bench.confirm_box.layout.display == "none"

    card = bench.cards[0]
    card.textareas[card.part_names[0]].value += " Texto meu."
    card.save_button.click()  # saved edits are safe in the library
    bench.generate_button.click()
    assert bench.confirm_box.layout.display == "none" and bench.cards[0] is not card


# -- 5. a saved version opens into the workbench for a new version -----------------------


def test_a_saved_version_opens_for_reading_and_editing_into_the_next_version(
    bench: Workbench, config: Config
) -> None:
    card = generated(bench)
    card.save_button.click()
    ref = str(card.ref)
    assert ref in [value for _, value in bench.saved_template.options]

    bench.cards_box.children = ()
    bench.cards = []
    bench.saved_template.value = ref
    bench.open_button.click()
    opened = bench.cards[0]
    assert ref in opened.header.value and "Rascunho" in opened.header.value
    assert opened.parts() == card.parts()
    assert "Conforme" in opened.badge.value

    first = opened.part_names[0]
    opened.textareas[first].value += " Obrigado pela atenção."
    opened.save_button.click()
    assert str(opened.ref) == ref.replace("@v1", "@v2"), opened.status.value
    saved = bench.library.version(opened.ref.id, 2)
    assert saved.meta.objecao == "ja_paguei" and "Obrigado pela atenção." in saved.parts[0][1]


def test_opening_nothing_or_a_missing_version_is_explained(bench: Workbench) -> None:
    bench.open_button.click()
    assert "Escolha um modelo salvo" in bench.status.value
    card = generated(bench)
    card.save_button.click()
    bench.saved_template.value = str(card.ref)
    (bench.library.path / card.ref.id / "v1.yaml").unlink()  # removed by someone else meanwhile
    bench.open_button.click()
    assert "não tem a versão v1" in bench.status.value and "Traceback" not in bench.status.value


# -- 6. saving an unchanged text is a no-op that says so ---------------------------------


def test_saving_the_same_text_twice_writes_one_version_and_says_so(bench: Workbench, config: Config) -> None:
    card = generated(bench)
    card.save_button.click()
    card.save_button.click()
    assert "Nada foi salvo" in card.status.value and "@v1" in card.status.value
    folder = config.path("biblioteca") / card.ref.id
    assert sorted(p.name for p in folder.glob("v*.yaml")) == ["v1.yaml"]


# -- 11. "Verificar" explains template mistakes in pt-BR ---------------------------------


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        (
            " Valor: {{ divida.valor | moedaa }}.",
            "filtro desconhecido '| moedaa'. Você quis dizer '| moeda'?",
        ),
        (" Valor: {{ divida.valor | moeda }.", "erro de sintaxe"),
        (" {% if cliente.nome %}Oi", "'{% if %}' pede '{% endif %}'"),
    ],
)
def test_verify_explains_template_mistakes_in_portuguese(bench: Workbench, added: str, expected: str) -> None:
    card = generated(bench)
    first = card.part_names[1]
    card.textareas[first].value += added
    card.verify_button.click()
    status = html.unescape(card.status.value)
    assert expected in status and f"parte '{first}'" in status, status
    assert "No filter" not in status and "unexpected" not in status
    assert "Conforme" not in card.badge.value  # still asks for a (successful) verification


# -- 5/14. one app: the library opens a version in the workbench; the last run is a tab ---


def test_app_opens_a_library_version_in_the_workbench_tab(config: Config) -> None:
    from cobranca_kit.workbench import CobrancaApp

    app = CobrancaApp(config=config)
    assert [app.tabs.get_title(i) for i in range(3)] == ["Bancada", "Biblioteca", "Último lote"]
    card = generated(app.workbench)
    card.save_button.click()
    app.tabs.selected_index = 1  # the library re-reads the folder when shown
    assert str(card.ref) in app.browser.table.value
    app.browser.template.value = card.ref.id
    app.browser.open_button.click()
    assert app.tabs.selected_index == 0
    assert str(card.ref) in app.workbench.cards[0].header.value
    app.tabs.selected_index = 2
    assert "Nenhum lote executado" in app.run_report.report.value


def test_last_run_tab_shows_the_newest_run(config: Config, tmp_path: Path) -> None:
    import json

    import pandas as pd

    from cobranca_kit.workbench.suite import RunReportView

    run = config.path("execucoes") / "2026-12-05"
    run.mkdir(parents=True)
    summary = {
        "linhas": {"lidas": 3, "aceitas": 2, "rejeitadas": 1},
        "simulacao": True,
        "contagens": {"por_status": {"agendada": 2, "sem_etapa_hoje": 1}, "por_modelo": {"x@v1": 2}},
        "modelos_usados": [{"ref": "x@v1", "id": "x", "versao": 1, "canal": "sms"}],
    }
    (run / "resumo.json").write_text(json.dumps(summary), encoding="utf-8")
    from cobranca_kit.batch.report import MESSAGE_REPORT_COLUMNS

    pd.DataFrame({c: pd.Series(dtype="object") for c in MESSAGE_REPORT_COLUMNS}).to_parquet(
        run / "mensagens.parquet"
    )
    for name in ("rejeitados.csv", "adiados.csv", "ignorados.csv"):
        (run / name).write_text("linha,motivo\n2,telefone inválido\n", encoding="utf-8")
    view = RunReportView(config=config)
    text = view.refresh()
    assert "2026-12-05" in text and "Linhas lidas: 3" in text and "Resumo antes do envio" in text
    # labels, not the summary's ids
    assert "Mensagem agendada" in text and "Sem passo da régua hoje" in text and "sem_etapa_hoje" not in text
    assert "<td>x</td><td>1</td><td>SMS</td>" in text
    assert "1 linha rejeitada: motivos" in text


# -- 13. accessibility: contrast of the coloured buttons, the payment choice in words ----


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("style", ["primary", "success", "warning", "danger"])
def test_coloured_buttons_have_text_contrast_of_at_least_4_5(style: str) -> None:
    from cobranca_kit.workbench.cards import CARD_CSS

    rule = re.search(
        r"\.jupyter-button\.mod-"
        + style
        + r"\s*\{\s*background-color:\s*(#[0-9a-f]{6});\s*color:\s*(#[0-9a-f]{6})",
        CARD_CSS,
    )
    assert rule, f"sem cor própria para mod-{style}: vale a do ipywidgets, com contraste baixo"
    assert _contrast(rule.group(1), rule.group(2)) >= 4.5


def test_the_payment_choice_is_written_out(bench: Workbench) -> None:
    assert "Selecionados: Pix, Link de pagamento" in bench.payments_chosen.value
    bench.payments.value = ("boleto",)
    assert "Selecionados: Boleto" in bench.payments_chosen.value
    bench.payments.value = ()
    assert "nenhum" in bench.payments_chosen.value
