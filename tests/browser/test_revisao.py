"""The review defects of issue 14, driven in a real JupyterLab by headless Chromium.

One server and one browser serve the whole module (``shared_lab_server``); each
test opens its notebook in a new page and runs it. Tests pick different
situations, so the library files each one writes never collide.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from cobranca_kit.catalog import get_catalog
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import SmsScript

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

KERNEL_TIMEOUT_MS = 90_000
DRAFT_TIMEOUT_MS = 60_000
THREAT = " Se não pagar hoje, você vai ser preso."
PROMISE = re.compile(r"próxima mensagem|código a seguir")
CLOSING = "{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}. Dúvidas: {{ empresa.atendimento }}."


def _run_notebook(page: Page, server: Any, name: str, ready: str) -> None:
    # ?reset: a fresh layout, so the notebook of an earlier test is not the active one.
    page.goto(f"{server.url}/lab/tree/{name}?reset&token={server.token}")
    expect(page.locator(".jp-Notebook")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=KERNEL_TIMEOUT_MS)
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
    expect(page.locator(ready)).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator("text=Error displaying widget")).to_have_count(0)


def _situation(page: Page, objection: str, tone: str, channel: str) -> None:
    catalog = get_catalog()
    for css, kind, ident in (
        ("cobranca-objecao", "objecoes", objection),
        ("cobranca-tom", "tons", tone),
        ("cobranca-canal", "canais", channel),
    ):
        page.locator(f".{css} select").select_option(value=catalog.label(kind, ident))


def _generate(page: Page) -> Any:
    page.locator(".cobranca-gerar").click()
    card = page.locator(".cobranca-card").first
    expect(card.locator(".cobranca-badge")).to_contain_text("Conforme", timeout=DRAFT_TIMEOUT_MS)
    return card


def _status_of(path: Path) -> str:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["status"]


def _on_failure(page: Page, server: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"falha-{name}.png"), full_page=True)
    print(server.log_tail())


def test_whatsapp_preview_shows_the_one_message_sent(
    shared_lab_server: Any, shared_page: Page, tmp_path: Path
) -> None:
    """Item 1: one template message and the Pix follow-up, not one bubble per part."""
    page = shared_page
    _run_notebook(page, shared_lab_server, "01_bancada.ipynb", ".cobranca-gerar")
    try:
        _situation(page, "esqueci", "amigavel", "whatsapp")
        card = _generate(page)
        parts = card.locator(".cobranca-parte textarea")
        assert parts.count() > 2  # several parts in the script...
        card.locator(".cobranca-previsualizar").click()
        preview = card.locator(".cobranca-preview")
        expect(preview.locator(".cobranca-wa-modelo")).to_have_count(1)  # ...one message sent
        expect(preview.locator(".cobranca-bolha")).to_have_count(2)  # plus the Pix after a reply
        expect(preview.locator(".cobranca-wa-sessao")).to_contain_text("00020126")
        expect(preview).to_contain_text("Só se o cliente responder")
        expect(preview).to_contain_text("Pagar agora")
        texts = " ".join(parts.nth(i).input_value() for i in range(parts.count()))
        assert not PROMISE.search(texts + preview.inner_text()), texts
    except Exception:
        _on_failure(page, shared_lab_server, tmp_path, "whatsapp")
        raise


def test_nothing_stale_after_edit_save_approve_and_an_unchanged_save_writes_nothing(
    shared_lab_server: Any, shared_page: Page, tmp_path: Path
) -> None:
    """Items 3 and 6."""
    page = shared_page
    _run_notebook(page, shared_lab_server, "01_bancada.ipynb", ".cobranca-gerar")
    try:
        _situation(page, "ja_paguei", "profissional", "sms")
        card = _generate(page)
        area = card.locator(".cobranca-parte-texto textarea")
        original = area.input_value()
        area.fill(original + THREAT)
        card.locator(".cobranca-verificar").click()
        expect(card.locator(".cobranca-badge")).to_contain_text("Bloqueado")
        card.locator(".cobranca-previsualizar").click()
        expect(card.locator(".cobranca-preview")).to_contain_text("preso")

        area.fill(original)  # the threat removed
        expect(card.locator(".cobranca-preview")).not_to_contain_text("preso")
        expect(card.locator(".cobranca-achados")).not_to_contain_text("preso")
        card.locator(".cobranca-salvar").click()
        expect(card.locator(".cobranca-ref")).to_contain_text("@v1")
        card.locator(".cobranca-aprovar").click()
        expect(card.locator(".cobranca-ref")).to_contain_text("Aprovado")
        expect(card.locator(".cobranca-preview")).to_contain_text("Mariana")  # repainted, current text
        expect(card.locator(".cobranca-preview")).not_to_contain_text("preso")
        expect(card.locator("mark.cobranca-achado", has_text="preso")).to_have_count(0)

        card.locator(".cobranca-salvar").click()  # same text again
        expect(card.locator(".cobranca-status")).to_contain_text("Nada foi salvo")
        template_id = card.locator(".cobranca-ref code").inner_text().split("@")[0]
        folder = shared_lab_server.library / template_id
        assert sorted(p.name for p in folder.glob("v*.yaml")) == ["v1.yaml"]
    except Exception:
        _on_failure(page, shared_lab_server, tmp_path, "salvar")
        raise


def test_generate_asks_before_discarding_and_the_library_opens_a_version(
    shared_lab_server: Any, shared_page: Page, tmp_path: Path
) -> None:
    """Items 4 and 5."""
    page = shared_page
    _run_notebook(page, shared_lab_server, "01_bancada.ipynb", ".cobranca-gerar")
    try:
        _situation(page, "esqueci", "empatico", "sms")
        card = _generate(page)
        area = card.locator(".cobranca-parte-texto textarea")
        area.fill(area.input_value() + " Texto meu.")
        page.locator(".cobranca-gerar").click()
        expect(page.locator(".cobranca-confirmacao-gerar")).to_be_visible()
        expect(page.locator(".cobranca-confirmacao-gerar")).to_contain_text("não salvo")
        assert area.input_value().endswith(" Texto meu.")  # still there
        page.locator(".cobranca-cancelar-descartar").click()
        expect(page.locator(".cobranca-confirmacao-gerar")).to_be_hidden()
        assert area.input_value().endswith(" Texto meu.")

        card.locator(".cobranca-salvar").click()
        expect(card.locator(".cobranca-ref")).to_contain_text("@v1")
        ref = card.locator(".cobranca-ref code").inner_text()

        page.locator(".cobranca-abas .lm-TabBar-tabLabel:text-is('Biblioteca')").click()
        library = page.locator(".cobranca-biblioteca")
        expect(library.locator(".cobranca-tabela")).to_contain_text(ref)
        template = library.locator(".cobranca-modelo select")
        # the table and the template list update separately: wait for the option too
        option = template.locator("option").filter(has_text=re.compile("^" + re.escape(ref.split("@")[0])))
        expect(option).not_to_have_count(0)
        label = option.first.inner_text()
        template.select_option(value=label)
        expect(library.locator(".cobranca-texto-modelo")).to_contain_text("Texto meu.")
        library.locator(".cobranca-abrir-bancada").click()

        opened = page.locator(".cobranca-card").first
        expect(opened).to_be_visible()
        expect(opened).to_contain_text(f"Modelo {ref}")
        text = opened.locator(".cobranca-parte-texto textarea")
        expect(text).to_have_value(re.compile(r"Texto meu\.$"))
        text.fill(text.input_value() + " Obrigado.")
        opened.locator(".cobranca-salvar").click()
        expect(opened.locator(".cobranca-ref")).to_contain_text(ref.replace("@v1", "@v2"))
    except Exception:
        _on_failure(page, shared_lab_server, tmp_path, "abrir")
        raise


def test_library_archive_asks_can_be_undone_and_filters_never_switch_the_choice(
    shared_lab_server: Any, shared_page: Page, tmp_path: Path
) -> None:
    """Item 2, in the library notebook."""
    library = Library(shared_lab_server.library)
    meta = TemplateMeta(objecao="fatura_chegou_tarde", tom="amigavel", canal="sms", estagio="vencimento")
    ref = library.save(
        SmsScript(texto=f"Oi {{{{ cliente.primeiro_nome }}}}, sua fatura chegou. {CLOSING}"), meta
    )
    path = library.path / ref.id / "v1.yaml"
    page = shared_page
    _run_notebook(page, shared_lab_server, "04_biblioteca.ipynb", ".cobranca-arquivar")
    try:
        browser = page.locator(".cobranca-biblioteca")
        template = browser.locator(".cobranca-modelo select")
        label = next(o for o in template.locator("option").all_inner_texts() if o.startswith(ref.id))
        template.select_option(value=label)

        browser.locator(".cobranca-arquivar").click()
        expect(browser.locator(".cobranca-confirmacao-arquivar")).to_be_visible()
        expect(browser.locator(".cobranca-confirmacao-arquivar")).to_contain_text(f"Arquivar {ref.id}@v1?")
        assert _status_of(path) == "rascunho"
        browser.locator(".cobranca-cancelar-arquivar").click()
        expect(browser.locator(".cobranca-confirmacao-arquivar")).to_be_hidden()
        assert _status_of(path) == "rascunho"

        browser.locator(".cobranca-arquivar").click()
        browser.locator(".cobranca-confirmar-arquivar").click()
        expect(browser.locator(".cobranca-status")).to_contain_text("arquivado")
        assert _status_of(path) == "arquivado"
        browser.locator(".cobranca-desfazer").click()
        expect(browser.locator(".cobranca-status")).to_contain_text("restaurado")
        assert _status_of(path) == "rascunho"

        expect(browser.locator(".cobranca-texto-modelo")).to_contain_text(
            f"{ref.id}@v1"
        )  # the text, readable
        # A filter that hides the chosen template leaves nothing selected, and says so.
        canal = get_catalog().label("canais", "whatsapp")
        browser.locator(".cobranca-filtro-canal select").select_option(value=canal)
        expect(browser.locator(".cobranca-status")).to_contain_text("não aparece com esses filtros")
        chosen = template.evaluate("s => s.options[s.selectedIndex].text")
        assert chosen.replace("\xa0", " ") == "(escolha um modelo)", chosen  # ipywidgets writes nbsp
        expect(browser.locator(".cobranca-texto-modelo")).not_to_contain_text(ref.id)
    except Exception:
        _on_failure(page, shared_lab_server, tmp_path, "biblioteca")
        raise
