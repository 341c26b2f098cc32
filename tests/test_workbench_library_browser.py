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
    assert browser.template.value == "esqueci-amigavel-whatsapp-atraso_curto"
    browser.filters["canal"].value = "sms"
    assert refs_in(browser.table.value) == ["esqueci-firme-sms-atraso_curto@v1"]
    # The selected template left the list: nothing is selected, and the user is told.
    assert browser.template.value == ""  # shown as "(escolha um modelo)"
    assert "não aparece com esses filtros" in browser.status.value
    assert browser.selected_version() is None
    browser.template.value = "esqueci-firme-sms-atraso_curto"
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
    browser.filters["status"].value = ""

    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 1
    browser.archive_button.click()
    browser.confirm_archive.click()
    stored = yaml.safe_load((folder / "v1.yaml").read_text(encoding="utf-8"))
    assert stored["status"] == "arquivado"


def test_archive_asks_first_and_can_be_undone(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    folder = config.path("biblioteca") / "esqueci-amigavel-whatsapp-atraso_curto"
    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 2
    browser.archive_button.click()
    assert browser.confirm_box.layout.display == "flex"
    assert "Arquivar esqueci-amigavel-whatsapp-atraso_curto@v2?" in browser.confirm_text.value
    assert yaml.safe_load((folder / "v2.yaml").read_text("utf-8"))["status"] == "rascunho"
    browser.cancel_archive.click()
    assert browser.confirm_box.layout.display == "none"
    assert yaml.safe_load((folder / "v2.yaml").read_text("utf-8"))["status"] == "rascunho"

    # A changed selection withdraws the question: it never applies to another version.
    browser.archive_button.click()
    browser.version.value = 1
    assert browser.confirm_box.layout.display == "none"
    browser.confirm_archive.click()
    assert all(yaml.safe_load(p.read_text("utf-8"))["status"] == "rascunho" for p in folder.glob("v*.yaml"))

    browser.version.value = 2
    browser.archive_button.click()
    browser.confirm_archive.click()
    assert yaml.safe_load((folder / "v2.yaml").read_text("utf-8"))["status"] == "arquivado"
    assert "Desfazer" in browser.status.value and browser.undo_button.layout.display == ""
    browser.undo_button.click()
    assert yaml.safe_load((folder / "v2.yaml").read_text("utf-8"))["status"] == "rascunho"
    assert "restaurado" in browser.status.value and browser.undo_button.layout.display == "none"

    browser.version.value = 2
    browser.archive_button.click()
    browser.confirm_archive.click()
    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 2
    assert browser.restore_button.layout.display == ""
    browser.restore_button.click()
    assert yaml.safe_load((folder / "v2.yaml").read_text("utf-8"))["status"] == "rascunho"


def test_versions_have_full_names_and_their_text_can_be_read(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    labels = [label for label, _ in browser.version.options]
    assert labels == [
        "esqueci-amigavel-whatsapp-atraso_curto@v1 · Rascunho",
        "esqueci-amigavel-whatsapp-atraso_curto@v2 · Rascunho",
    ]
    assert (
        "esqueci-amigavel-whatsapp-atraso_curto · Esqueci · WhatsApp",
        "esqueci-amigavel-whatsapp-atraso_curto",
    ) in (browser.template.options)
    assert browser.filters["canal"].options[0] == ("(todos)", "")
    browser.version.value = 2
    assert "Pague pelo link {{ pagamento.link }}" in browser.text.value
    browser.version.value = 1
    assert "Pague pelo link" not in browser.text.value and "@v1" in browser.text.value


def test_open_in_workbench_hands_over_the_selected_version(config: Config, library: Library) -> None:
    opened: list[str] = []
    browser = LibraryBrowser(config=config, on_open=opened.append)
    browser.template.value = "esqueci-firme-sms-atraso_curto"
    browser.open_button.click()
    assert opened == ["esqueci-firme-sms-atraso_curto@v1"]
    alone = LibraryBrowser(config=config)
    alone.open_button.click()
    assert "Modelo salvo" in alone.status.value


def test_ticked_drafts_are_approved_together_and_refusals_are_listed(
    config: Config, library: Library
) -> None:
    browser = LibraryBrowser(config=config)
    boxes = {box.ref: box for box in browser.checks.children}
    assert set(boxes) == {
        "esqueci-amigavel-whatsapp-atraso_curto@v1",
        "esqueci-amigavel-whatsapp-atraso_curto@v2",
        "esqueci-firme-sms-atraso_curto@v1",
    }
    browser.approve_checked_button.click()
    assert "Marque ao menos uma" in browser.status.value
    boxes["esqueci-amigavel-whatsapp-atraso_curto@v2"].value = True
    boxes["esqueci-firme-sms-atraso_curto@v1"].value = True  # has a threat: refused
    browser.approve_checked_button.click()
    assert "1 versão aprovada por Lia" in browser.status.value
    assert "esqueci-firme-sms-atraso_curto@v1: Aprovação recusada" in browser.status.value
    assert [t.ref for t in library.list(status="aprovado")] == ["esqueci-amigavel-whatsapp-atraso_curto@v2"]
    browser.template.value = "esqueci-firme-sms-atraso_curto"  # a choice clears the old message
    assert browser.status.value == ""
    assert {box.ref for box in browser.checks.children} == {
        "esqueci-amigavel-whatsapp-atraso_curto@v1",
        "esqueci-firme-sms-atraso_curto@v1",
    }


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


def test_export_writes_the_channel_file_next_to_the_config(config: Config, library: Library) -> None:
    browser = LibraryBrowser(config=config)
    browser.template.value = "esqueci-amigavel-whatsapp-atraso_curto"
    browser.version.value = 2
    browser.export_button.click()
    path = config.base_dir / "exportacoes" / "esqueci-amigavel-whatsapp-atraso_curto_v2.json"
    assert path.is_file(), browser.status.value
    assert '"category": "UTILITY"' in path.read_text(encoding="utf-8")
    assert "exportado para" in browser.status.value and "ainda não foi aprovada" in browser.status.value
    browser.template.value = "esqueci-firme-sms-atraso_curto"
    browser.export_button.click()
    assert (config.base_dir / "exportacoes" / "esqueci-firme-sms-atraso_curto_v1.json").is_file()
