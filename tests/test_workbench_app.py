"""The workbench, headless: set widget values, click buttons, read widget state and
the library files, exactly as a user would drive it in JupyterLab."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting import DraftResult
from cobranca_kit.script import SmsScript
from cobranca_kit.workbench import Workbench
from cobranca_kit.workbench.cards import DraftCard

THREAT = " Se não pagar hoje, você vai ser preso."

WORKSPACE = """\
[empresa]
nome = "Fibra Exemplo Telecom Ltda"
cnpj = "11.222.333/0001-81"
endereco = "Rua das Flores, 100, São Paulo - SP"
atendimento = "0800 000 0000"

[llm]
backend = "offline"
{llm_extra}

[pastas]
biblioteca = "biblioteca"
cache = ".cache"

[aprovacao]
aprovador_padrao = "Coordenação de Cobrança"
"""


def make_config(tmp_path: Path, llm_extra: str = "") -> Config:
    path = tmp_path / "cobranca.toml"
    path.write_text(WORKSPACE.format(llm_extra=llm_extra), encoding="utf-8")
    return load_config(path)


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
    return make_config(tmp_path)


@pytest.fixture
def bench(config: Config) -> Workbench:
    wb = Workbench(config=config)
    wb.objection.value = "ja_paguei"
    wb.tone.value = "profissional"
    wb.channel.value = "whatsapp"
    wb.stage.value = "atraso_curto"
    return wb


def generated(wb: Workbench) -> DraftCard:
    wb.generate_button.click()
    assert wb.cards, wb.status.value
    return wb.cards[0]


def test_controls_use_catalog_labels_and_show_guidance(config: Config) -> None:
    wb = Workbench(config=config)
    catalog = get_catalog()
    assert list(wb.objection.options) == catalog.options("objecoes")
    assert list(wb.channel.options) == catalog.options("canais")
    wb.objection.value = "alerta_golpe_banco"
    assert "CNPJ do recebedor" in wb.guidance["objection"].value
    wb.channel.value = "sms"
    assert catalog.get("canais", "sms").orientacao in wb.guidance["channel"].value
    assert "offline" in wb.backend.value
    assert wb.author.value == "Coordenação de Cobrança"  # from [aprovacao] aprovador_padrao
    assert "cobranca-gerar" in wb.generate_button._dom_classes


def test_generate_makes_one_checked_card_per_variant(bench: Workbench) -> None:
    bench.variants.value = 2
    bench.payments.value = ("pix",)
    bench.generate_button.click()
    assert len(bench.cards) == 2
    assert bench.cards_box.children == tuple(bench.cards)
    assert bench.progress.value == 2 and bench.progress.layout.visibility == "hidden"
    assert not bench.generate_button.disabled
    for card in bench.cards:
        assert card.channel == "whatsapp"
        assert card.badge.value  # a verdict is shown
        assert all(area.value.strip() for area in card.textareas.values())
        assert "Flesch" in card.metrics.value
        assert card.request.pagamentos == ["pix"]
    texts = [[a.value for a in c.textareas.values()] for c in bench.cards]
    assert texts[0] != texts[1]  # variants differ
    assert "pronto" in bench.status.value


def test_verify_highlights_an_added_threat_and_clears_when_restored(bench: Workbench) -> None:
    card = generated(bench)
    first = card.part_names[0]
    original = card.textareas[first].value
    card.textareas[first].value = original + THREAT
    assert "Texto alterado" in card.badge.value
    card.verify_button.click()
    assert "Bloqueado" in card.badge.value
    assert "cobranca-achado-block" in card.highlights[first].value
    assert "vai ser preso" in card.highlights[first].value
    assert "CDC" in card.findings_html.value

    card.textareas[first].value = original
    card.verify_button.click()
    assert "preso" not in card.highlights[first].value
    assert "Bloqueado" not in card.badge.value


def test_preview_renders_the_sample_debtor_in_bubbles(bench: Workbench) -> None:
    card = generated(bench)
    card.preview_button.click()
    # One template message (what the Cloud API sends), then the Pix session message.
    assert card.preview.value.count('class="cobranca-bolha cobranca-wa-modelo"') == 1
    assert card.preview.value.count('class="cobranca-bolha cobranca-wa-sessao"') == 1
    assert "{{" not in card.preview.value
    assert "Mariana" in card.preview.value  # the fictitious sample debtor


def test_save_writes_versions_and_approve_records_who(bench: Workbench, config: Config) -> None:
    card = generated(bench)
    card.approve_button.click()
    assert "Salve como modelo antes de aprovar" in card.status.value

    card.save_button.click()
    ref = card.ref
    assert ref is not None and ref.version == 1
    assert f"{ref.id}@v1" in card.ref_html.value
    path = config.path("biblioteca") / ref.id / "v1.yaml"
    assert path.is_file()
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(saved["parts"].values()) == [a.value for a in card.textareas.values()]
    assert saved["meta"]["origem"]["backend"] == "offline"

    first = card.part_names[0]
    card.textareas[first].value += " Obrigado!"
    card.approve_button.click()
    assert "salve de novo" in card.status.value
    card.save_button.click()
    assert card.ref.version == 2 and (path.parent / "v2.yaml").is_file()

    bench.author.value = "Ana Revisora"
    card.approve_button.click()
    assert "aprovado por Ana Revisora" in card.status.value
    stored = yaml.safe_load((path.parent / "v2.yaml").read_text(encoding="utf-8"))
    assert stored["status"] == "aprovado" and stored["approved_by"] == "Ana Revisora"


def test_approve_is_refused_while_there_is_a_block(bench: Workbench, config: Config) -> None:
    card = generated(bench)
    first = card.part_names[0]
    card.textareas[first].value += THREAT
    card.save_button.click()
    assert card.ref is not None
    card.approve_button.click()
    assert "Não é possível aprovar" in card.status.value
    stored = yaml.safe_load((config.path("biblioteca") / card.ref.id / "v1.yaml").read_text(encoding="utf-8"))
    assert stored["status"] == "rascunho"


def test_bad_placeholder_is_a_friendly_message_and_the_card_recovers(bench: Workbench) -> None:
    card = generated(bench)
    first = card.part_names[0]
    original = card.textareas[first].value
    card.textareas[first].value = "Olá {{ cliente.primeiro_nme }}, tudo bem?"
    card.verify_button.click()
    assert "cobranca-erro" in card.status.value
    assert "cliente.primeiro_nome" in card.status.value  # close-match suggestion
    assert "Traceback" not in card.status.value
    card.save_button.click()
    assert card.ref is None

    card.textareas[first].value = original
    card.verify_button.click()
    assert "Verificado" in card.status.value


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_down_is_reported_and_the_ui_stays_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, "timeout_s = 3\ntentativas = 0\ncache = false")
    config.llm.backend = "openai"
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    wb = Workbench(config=config)
    assert "openai" in wb.backend.value and "127.0.0.1" in wb.backend.value
    wb.generate_button.click()
    assert wb.cards == []
    assert "cobranca-erro" in wb.status.value
    assert "offline" in wb.status.value  # says what to do next
    assert not wb.generate_button.disabled
    assert wb.progress.layout.visibility == "hidden"


def test_missing_key_shows_in_the_backend_indicator(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config.llm.backend = "openai"
    wb = Workbench(config=config)
    assert "cobranca-erro" in wb.backend.value and "OPENAI_API_KEY" in wb.backend.value
    wb.generate_button.click()
    assert "OPENAI_API_KEY" in wb.status.value and wb.cards == []


def test_library_write_error_is_friendly(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    (tmp_path / "biblioteca").write_text("não sou uma pasta", encoding="utf-8")
    wb = Workbench(config=config)
    card = generated(wb)
    card.save_button.click()
    assert card.ref is None
    assert "cobranca-erro" in card.status.value
    assert str(tmp_path / "biblioteca") in card.status.value  # says where
    assert "Traceback" not in card.status.value
    card.verify_button.click()  # the card still works
    assert "Verificado" in card.status.value


def test_every_channel_drafts_verifies_and_previews(config: Config) -> None:
    wb = Workbench(config=config)
    for channel in get_catalog().ids("canais"):
        wb.channel.value = channel
        card = generated(wb)
        card.verify_button.click()
        card.preview_button.click()
        assert "cobranca-erro" not in card.status.value, (channel, card.status.value)
        assert "cobranca-prev" in card.preview.value, (channel, card.status.value)


def test_endpoint_timeout_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path, "timeout_s = 0.5\ntentativas = 0\ncache = false")
    config.llm.backend = "openai"
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
        wb = Workbench(config=config)
        wb.generate_button.click()
    assert wb.cards == []
    assert "cobranca-erro" in wb.status.value
    assert "127.0.0.1" in wb.status.value  # names the endpoint that did not answer
    assert "modo offline" in wb.status.value  # and what to do next
    assert not wb.generate_button.disabled


def test_invalid_request_is_explained_next_to_the_controls(bench: Workbench) -> None:
    bench.payments.value = ()
    bench.generate_button.click()
    assert "cobranca-erro" in bench.status.value
    assert "pagamentos" in bench.status.value and "meio de pagamento" in bench.status.value
    assert bench.cards == [] and not bench.generate_button.disabled
    bench.payments.value = ("boleto",)
    bench.generate_button.click()
    assert len(bench.cards) == 1


class ScriptedDrafter:
    """A drafter whose first draft threatens the debtor and whose revision does not."""

    name = "roteirizado"
    model = "teste-1"
    prompt_version = "p0"

    def __init__(self) -> None:
        self.calls = 0

    def draft(self, request: Any, variant: int = 0, revision: Any = None) -> DraftResult:
        self.calls += 1
        closing = (
            "{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, {{ empresa.endereco }}. {{ empresa.atendimento }}"
        )
        text = "Olá {{ cliente.primeiro_nome }}, sua fatura de {{ divida.valor | moeda }} venceu."
        if revision is None:
            text += " Se não pagar, você vai ser preso."
        return DraftResult(script=SmsScript(texto=f"{text} {closing}"))


def test_revision_history_is_shown_when_the_loop_revised(config: Config) -> None:
    drafter = ScriptedDrafter()
    wb = Workbench(config=config, drafter=drafter)
    assert "roteirizado" in wb.backend.value and "teste-1" in wb.backend.value
    wb.channel.value = "sms"
    card = generated(wb)
    assert drafter.calls == 2
    assert "preso" not in card.textareas["texto"].value
    assert "Rodada 1: 1 bloqueio," in card.history.value
    assert "enviado para revisão" in card.history.value
    assert "preso" in card.history.value  # the finding that forced the revision
    assert "Rodada 2" in card.history.value
