from __future__ import annotations

from pathlib import Path

import pytest

from cobranca_kit.catalog import KINDS, get_catalog, load_catalog
from cobranca_kit.errors import CatalogError, DataFileError

REQUIRED = {
    "objecoes": {
        "nao_recebi_fatura",
        "vencimento_distante",
        "ja_paguei",
        "fatura_chegou_tarde",
        "sem_condicoes",
        "pix_pendente",
        "alerta_golpe_banco",
        "nao_reconhece_divida",
        "esqueci",
        "nenhuma",
    },
    "tons": {"amigavel", "profissional", "firme", "empatico"},
    "canais": {"whatsapp", "sms", "email", "telefone"},
    "estagios": {
        "pre_vencimento",
        "vencimento",
        "atraso_curto",
        "atraso_medio",
        "atraso_longo",
        "acordo",
        "confirmacao",
    },
    "perfis": {"casual", "intencional", "desconhecido"},
    "pagamentos": {"pix", "boleto", "cartao", "link"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_catalog_has_required_ids(kind: str) -> None:
    assert REQUIRED[kind] <= set(get_catalog().ids(kind))


def test_entries_have_labels_and_guidance() -> None:
    cat = get_catalog()
    for kind in KINDS:
        for entry in getattr(cat, kind):
            assert entry.rotulo.strip() and entry.orientacao.strip()


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (-3, "pre_vencimento"),
        (0, "vencimento"),
        (1, "atraso_curto"),
        (30, "atraso_curto"),
        (31, "atraso_medio"),
        (90, "atraso_medio"),
        (91, "atraso_longo"),
        (2000, "atraso_longo"),
    ],
)
def test_stage_for_days(days: int, stage: str) -> None:
    assert get_catalog().stage_for_days(days) == stage


def test_unknown_id_lists_valid_ones_and_suggests() -> None:
    with pytest.raises(CatalogError) as err:
        get_catalog().get("tons", "amigavle")
    msg = str(err.value)
    assert "'amigavel'" in msg and "profissional" in msg


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("objecoes:\n  - id: x\n    rotulo: [sem fechar\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_catalog(bad)
    msg = str(err.value)
    assert str(bad) in msg and "linha" in msg


def test_schema_error_names_field_and_id(tmp_path: Path) -> None:
    src = (Path(__file__).resolve().parents[1] / "cobranca_kit/data/catalog.yaml").read_text(encoding="utf-8")
    broken = src.replace("  - id: ja_paguei\n    rotulo:", "  - id: ja_paguei\n    rotulo_errado:", 1)
    path = tmp_path / "catalog.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_catalog(path)
    msg = str(err.value)
    assert "objecoes[4]" in msg and "ja_paguei" in msg and "rotulo" in msg


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    src = (Path(__file__).resolve().parents[1] / "cobranca_kit/data/catalog.yaml").read_text(encoding="utf-8")
    path = tmp_path / "catalog.yaml"
    path.write_text(src.replace("id: esqueci", "id: ja_paguei"), encoding="utf-8")
    with pytest.raises(DataFileError, match="repetidos"):
        load_catalog(path)
