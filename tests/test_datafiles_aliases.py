"""Issue 12, point 9: YAML alias bombs in hand-edited files, and ``config`` without ``[empresa]``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cobranca_kit.batch.regua import load_regua
from cobranca_kit.cli.main import app
from cobranca_kit.datafiles import MAX_YAML_ITEMS, load_yaml
from cobranca_kit.errors import DataFileError
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import SmsScript

# Nine levels of ten aliases each: 10**9 items once expanded, a few hundred bytes on disk.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


def test_alias_bomb_is_refused_with_file_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "regua.yaml"
    path.write_text(BOMB + "passos: *i\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_regua(path)
    message = str(info.value)
    assert (
        "regua.yaml" in message
        and "apelidos" in message
        and f"{MAX_YAML_ITEMS:,}".replace(",", ".") in message
    )


def test_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &a\n  - b\n  - *a\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="próprio bloco"):
        load_yaml(path)


def test_small_anchors_still_load(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {hora: 8}\nseg: *b\nter: *b\ntexto: 'R&D *negrito*'\n", encoding="utf-8")
    assert load_yaml(path)["ter"] == {"hora": 8}


def test_alias_bomb_in_the_library_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="sms", estagio="atraso_curto")
    texto = (
        "{{ empresa.nome }}: fatura de {{ divida.valor | moeda }} em aberto. Pague em {{ pagamento.link }}"
    )
    ref = lib.save(SmsScript(texto=texto), meta)
    v2 = yaml.safe_load((tmp_path / ref.id / "v1.yaml").read_text("utf-8"))
    v2["version"] = 2
    text = yaml.safe_dump(v2, allow_unicode=True)
    (tmp_path / ref.id / "v2.yaml").write_text(BOMB + text + "anexos: *i\n", encoding="utf-8")
    assert [t.version for t in lib.list()] == [1]
    problems = {p.name: reason for p, reason in lib.problems}
    assert "apelidos" in problems["v2.yaml"]


def test_config_warns_when_empresa_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cobranca.toml").write_text('[llm]\nmodelo = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "aviso: falta a seção [empresa]" in result.output and "42-A" in result.output


def test_config_does_not_warn_with_empresa(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0 and "aviso:" not in result.output


def test_run_parameter_values_are_bounded_and_bad_yaml_is_pt_br(tmp_path: Path) -> None:
    from cobranca_kit.batch.pipeline import BatchSettings
    from cobranca_kit.batch.run import parse_parameter
    from cobranca_kit.errors import BatchError

    settings = BatchSettings(carteira=tmp_path / "carteira.csv")
    with pytest.raises(DataFileError, match="apelidos"):
        parse_parameter(settings, "colunas", BOMB + "z: *i\n")
    with pytest.raises(BatchError, match=r"-p colunas\.documento"):
        parse_parameter(settings, "colunas.documento", "[sem fechar")
    parse_parameter(settings, "colunas.documento", "CPF_CNPJ")
    assert settings.colunas["documento"] == "CPF_CNPJ"


def test_config_warns_about_send_windows_no_state_law_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cobranca.toml").write_text(
        "[empresa]\nnome = 'Loja X'\ncnpj = '11.222.333/0001-81'\nendereco = 'Rua A, 1'\n"
        "atendimento = '(11) 3000-0000'\n"
        "[envio.janelas.dia_util]\ninicio = '07:00'\nfim = '21:30'\n"
        "[envio.janelas.domingo]\ninicio = '10:00'\nfim = '12:00'\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "[envio.janelas]: janela dos dias úteis 07:00-21:30 vai além de 08:00-20:00" in result.output
    assert "[envio.janelas]: envia aos domingos (10:00-12:00)" in result.output
    assert (
        "aviso: [envio.janelas_por_uf" not in result.output
    )  # the shipped state windows are within the baseline
