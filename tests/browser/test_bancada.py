"""The workbench in a real browser: JupyterLab serves ``01_bancada.ipynb``, Debian's
Chromium (headless, via playwright) runs it and drives the rendered widgets.

Every wait is on a condition with a timeout; the server (and its kernels) is
always stopped by the fixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cobranca_kit.catalog import get_catalog

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

KERNEL_TIMEOUT_MS = 90_000
THREAT = " Se não pagar hoje, você vai ser preso."


def _select(page: Page, css: str, kind: str, ident: str) -> None:
    # ipywidgets renders a Dropdown as <select> whose option values are the labels.
    label = get_catalog().label(kind, ident)
    page.locator(f".{css} select").select_option(value=label)


def _drive_workbench(page: Page, library: Path, screenshot: Path) -> None:
    """Choose a situation, draft, break and fix the text, save; shared by Lab and Voilà."""
    _select(page, "cobranca-objecao", "objecoes", "ja_paguei")
    _select(page, "cobranca-tom", "tons", "profissional")
    _select(page, "cobranca-canal", "canais", "sms")

    page.locator(".cobranca-gerar").click()
    card = page.locator(".cobranca-card").first
    expect(card.locator(".cobranca-badge")).to_contain_text("Conforme", timeout=60_000)
    expect(card.locator(".cobranca-parte-texto textarea")).to_be_visible()

    area = card.locator(".cobranca-parte-texto textarea")
    original = area.input_value()
    assert "{{" in original  # a template, with placeholders
    area.fill(original + THREAT)
    expect(card.locator(".cobranca-badge")).to_contain_text("Texto alterado")
    card.locator(".cobranca-verificar").click()
    marked = card.locator("mark.cobranca-achado-block", has_text="preso")
    expect(marked.first).to_be_visible()
    expect(card.locator(".cobranca-badge")).to_contain_text("Bloqueado")
    title = marked.first.get_attribute("title") or ""
    assert "CDC" in title and "Sugestão" in title  # article and rewrite on hover
    marked.first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot.with_name(f"{screenshot.stem}-achado.png")))

    area.fill(original)
    card.locator(".cobranca-verificar").click()
    expect(card.locator("mark.cobranca-achado", has_text="preso")).to_have_count(0)
    expect(card.locator(".cobranca-badge")).not_to_contain_text("Bloqueado")

    card.locator(".cobranca-previsualizar").click()
    expect(card.locator(".cobranca-preview .cobranca-sms")).to_contain_text("Mariana")

    card.locator(".cobranca-salvar").click()
    ref = card.locator(".cobranca-ref code")
    expect(ref).to_contain_text("@v1")
    template_id = ref.inner_text().split("@")[0]
    saved = library / template_id / "v1.yaml"
    assert saved.is_file(), sorted(str(p) for p in library.rglob("*"))
    assert "preso" not in saved.read_text(encoding="utf-8")
    expect(page.locator(".jp-OutputArea-output", has_text="Traceback")).to_have_count(0)
    page.screenshot(path=str(screenshot), full_page=True)


def test_bancada_in_jupyterlab(lab_server: Any, browser_page: Page, tmp_path: Path) -> None:
    page = browser_page
    page.goto(lab_server.page_url("/lab/tree/01_bancada.ipynb"))
    expect(page.locator(".jp-Notebook")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=KERNEL_TIMEOUT_MS)
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
    expect(page.locator(".cobranca-gerar")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator(".cobranca-backend")).to_contain_text("offline")
    expect(page.locator("text=Error displaying widget")).to_have_count(0)
    try:
        _drive_workbench(page, lab_server.library, tmp_path / "bancada-jupyterlab.png")
    except Exception:
        page.screenshot(path=str(tmp_path / "falha-jupyterlab.png"), full_page=True)
        print(lab_server.log_tail())
        raise
    assert (tmp_path / "bancada-jupyterlab.png").stat().st_size > 10_000


def test_bancada_in_voila(voila_server: Any, browser_page: Page, tmp_path: Path) -> None:
    page = browser_page
    page.goto(voila_server.page_url("/"))
    expect(page.locator(".cobranca-gerar")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    try:
        _select(page, "cobranca-canal", "canais", "whatsapp")
        page.locator(".cobranca-gerar").click()
        card = page.locator(".cobranca-card").first
        expect(card.locator(".cobranca-badge")).to_be_visible(timeout=60_000)
        expect(card.locator(".cobranca-parte-mensagem_1 textarea")).not_to_be_empty()
        page.screenshot(path=str(tmp_path / "bancada-voila.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(tmp_path / "falha-voila.png"), full_page=True)
        print(voila_server.log_tail())
        raise


def test_missing_browser_fails_in_ci_and_skips_elsewhere(tmp_path: Path, chromium_requirement: Any) -> None:
    require_chromium = chromium_requirement
    missing = tmp_path / "chromium"
    with pytest.raises(pytest.fail.Exception, match="apt-get install"):
        require_chromium(missing, {"CI": "true"})
    with pytest.raises(pytest.skip.Exception):
        require_chromium(missing, {})
    assert require_chromium(Path("/bin/sh"), {"CI": "true"}) == Path("/bin/sh")
