from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobranca_kit.config import load_config
from cobranca_kit.errors import ConfigError

VALID = """
[empresa]
nome = "Loja Boa Vista Ltda."
cnpj = "11222333000181"
endereco = "Rua A, 10, Centro, Recife/PE"
atendimento = "(81) 3000-0000"

[llm]
backend = "offline"
timeout_s = 20

[envio]
max_contatos_7_dias = 2

[envio.janelas_por_uf.RJ]
dia_util = { inicio = "09:00", fim = "18:00" }
sabado = { inicio = "09:00", fim = "12:00" }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cobranca.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_loads_and_resolves_paths(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, VALID))
    assert cfg.empresa is not None and cfg.empresa.cnpj == "11.222.333/0001-81"
    assert cfg.llm.timeout_s == 20
    assert cfg.envio.max_contatos_7_dias == 2
    rj = cfg.envio.windows_for("RJ")
    assert rj.dia_util is not None and rj.dia_util.fim == dt.time(18)
    assert cfg.path("biblioteca") == tmp_path / "biblioteca"
    assert cfg.envio.windows_for("SP") == cfg.envio.janelas


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.source is None and cfg.empresa is None
    assert cfg.envio.windows_for("RJ").sabado is None  # state law: no Saturdays in RJ
    with pytest.raises(ConfigError, match="42-A"):
        cfg.require_empresa()


def test_env_var_points_to_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, VALID)
    monkeypatch.setenv("COBRANCA_CONFIG", str(path))
    assert load_config().source == path
    monkeypatch.setenv("COBRANCA_CONFIG", str(tmp_path / "nao_existe.toml"))
    with pytest.raises(ConfigError, match="COBRANCA_CONFIG"):
        load_config()


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (('cnpj = "11222333000181"', 'cnpj = "11222333000182"'), "empresa.cnpj: CNPJ inválido"),
        (("timeout_s = 20", "timeout_s = 20\ntempo_limite = 3"), "llm.tempo_limite: campo desconhecido"),
        (("timeout_s = 20", 'timeout_s = "rapido"'), "llm.timeout_s: deve ser um número"),
        (('backend = "offline"', 'backend = "gpt"'), "llm.backend: valor não permitido"),
        (("max_contatos_7_dias = 2", "max_contatos_7_dias = 0"), "envio.max_contatos_7_dias"),
        (("janelas_por_uf.RJ]", "janelas_por_uf.XX]"), "UF desconhecida: XX"),
        (('fim = "18:00"', 'fim = "08:00"'), "fim da janela"),
        (("timeout_s = 20", 'api_key = "abc"'), "OPENAI_API_KEY"),
    ],
)
def test_bad_config_names_key_and_problem(tmp_path: Path, patch: tuple[str, str], expected: str) -> None:
    path = _write(tmp_path, VALID.replace(*patch))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TOML malformado"):
        load_config(_write(tmp_path, "[empresa\nnome = 1"))


def test_fingerprint_changes_with_settings(tmp_path: Path) -> None:
    a = load_config(_write(tmp_path, VALID)).fingerprint()
    b = load_config(_write(tmp_path, VALID.replace("timeout_s = 20", "timeout_s = 21"))).fingerprint()
    assert a != b and len(a) == 16
