"""The library browser, headless: filters, diff, approve/archive and charts."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import yaml

from cobranca_kit.config import Config, load_config
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import SmsScript, WhatsAppScript
from cobranca_kit.workbench import LibraryBrowser
from cobranca_kit.workbench.library_browser import findings_chart, readability_chart

CLOSING = (
    "{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, {{ empresa.endereco }}. Dúvidas: {{ empresa.atendimento }}."
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv("COBRANCA_CONFIG", raising=False)
    path = tmp_path / "cobranca.toml"
    path.write_text(
        '[pastas]\nbiblioteca = "biblioteca"\n\n[aprovacao]\naprovador_padrao = "Lia"\n', encoding="utf-8"
    )
    return load_config(path)


@pytest.fixture
def library(config: Config) -> Library:
    lib = Library.from_config(config)
    wa = TemplateMeta(
        objecao="esqueci",
        tom="amigavel",
        canal="whatsapp",
        estagio="atraso_curto",
        titulo="Esqueci · WhatsApp",
    )
    lib.save(
        WhatsAppScript(mensagens=[f"Oi {{{{ cliente.primeiro_nome }}}}, sua fatura venceu. {CLOSING}"]), wa
    )
    lib.save(
        WhatsAppScript(
            mensagens=[
                f"Oi {{{{ cliente.primeiro_nome }}}}, sua fatura venceu. Pague pelo link {{{{ pagamento.link }}}}. {CLOSING}",
            ]
        ),
        wa,
    )
    sms = TemplateMeta(objecao="esqueci", tom="firme", canal="sms", estagio="atraso_curto")
    lib.save(
        SmsScript(
            texto=f"{{{{ cliente.primeiro_nome }}}}, fatura em atraso. Se nao pagar, vai ser preso. {CLOSING}"
        ),
        sms,
    )
    return lib


def refs_in(markup: str) -> list[str]:
    return re.findall(r"<td>([a-z0-9_\-]+@v\d+)</td>", markup)


def test_table_lists_every_version_and_filters_narrow_it(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    assert refs_in(browser.table.value) == [
        "esqueci-amigavel-whatsapp-atraso_curto@v1",
        "esqueci-amigavel-whatsapp-atraso_curto@v2",
        "esqueci-firme-sms-atraso_curto@v1",
    ]
    browser.filters["canal"].value = "sms"
    assert refs_in(browser.table.value) == ["esqueci-firme-sms-atraso_curto@v1"]
    assert browser.template.value == "esqueci-firme-sms-atraso_curto"
    browser.filters["canal"].value = "email"
    assert refs_in(browser.table.value) == []
    assert "Nenhum modelo" in browser.table.value
    assert browser.approver.value == "Lia"


def test_diff_shows_the_changed_line(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    assert (browser.compare_with.value, browser.version.value) == (1, 2)
    browser.diff_button.click()
    assert (
        "+Oi {{ cliente.primeiro_nome }}, sua fatura venceu. Pague pelo link"
        in browser.diff.value.replace("&#x27;", "'")
    )
    assert "color:#166534" in browser.diff.value


def test_approve_and_archive_update_the_files(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 2
    browser.approve_button.click()
    folder = config.path("biblioteca") / "esqueci-amigavel-whatsapp-atraso_curto"
    stored = yaml.safe_load((folder / "v2.yaml").read_text(encoding="utf-8"))
    assert stored["status"] == "aprovado" and stored["approved_by"] == "Lia"
    assert "aprovado por Lia" in browser.status.value

    browser.filters["status"].value = "aprovado"
    assert refs_in(browser.table.value) == ["esqueci-amigavel-whatsapp-atraso_curto@v2"]
    browser.filters["status"].value = None

    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 1
    browser.archive_button.click()
    stored = yaml.safe_load((folder / "v1.yaml").read_text(encoding="utf-8"))
    assert stored["status"] == "arquivado"


def test_blocked_template_cannot_be_approved_and_the_reason_is_shown(
    config: Config, library: Library
) -> None:
    browser = LibraryBrowser(config=config)
    browser.template.value = "esqueci-firme-sms-atraso_curto"
    browser.approve_button.click()
    assert "cobranca-erro" in browser.status.value and "recusada" in browser.status.value
    stored = yaml.safe_load(
        (config.path("biblioteca") / "esqueci-firme-sms-atraso_curto" / "v1.yaml").read_text(encoding="utf-8")
    )
    assert stored["status"] == "rascunho"


def _png_images(markup: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([^"]+)"', markup)]


def test_charts_are_real_pngs(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    images = _png_images(browser.charts.value)
    assert len(images) == 2
    assert all(img.startswith(b"\x89PNG") for img in images)
    templates = library.list()
    assert _png_images(readability_chart(templates))
    assert _png_images(findings_chart(library.versions("esqueci-firme-sms-atraso_curto")))
    assert readability_chart([]) == "" and findings_chart([]) == ""


def test_empty_library_says_so(config: Config) -> None:
    browser = LibraryBrowser(config=config)
    assert "Nenhum modelo" in browser.table.value
    assert "Sem modelos para os gráficos" in browser.charts.value
    browser.diff_button.click()
    assert "Escolha um modelo" in browser.status.value


def test_broken_file_is_reported_not_hidden(config: Config, library: Library) -> None:
    broken = config.path("biblioteca") / "esqueci-firme-sms-atraso_curto" / "v2.yaml"
    broken.write_text("meta: [isto não é um modelo\n", encoding="utf-8")
    browser = LibraryBrowser(config=config)
    assert "v2.yaml" in browser.status.value and "cobranca-erro" in browser.status.value
    assert len(refs_in(browser.table.value)) == 3
