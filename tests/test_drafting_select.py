"""Backend selection and the request model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cobranca_kit.config import Config, Llm
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, OpenAIDrafter, get_drafter
from cobranca_kit.errors import ConfigError


def _config(tmp_path: Path, **llm: object) -> Config:
    return Config(llm=Llm(**llm), base_dir=tmp_path)


def test_offline_when_nothing_is_configured(tmp_path: Path) -> None:
    drafter = get_drafter(_config(tmp_path))
    assert isinstance(drafter, OfflineDrafter) and drafter.name == "offline"


@pytest.mark.parametrize("var", ["OPENAI_BASE_URL", "OPENAI_API_KEY"])
def test_openai_when_endpoint_or_key_in_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv(var, "http://127.0.0.1:9/v1" if var == "OPENAI_BASE_URL" else "sk-teste")
    drafter = get_drafter(_config(tmp_path, modelo="modelo-toml"))
    assert isinstance(drafter, OpenAIDrafter)
    assert (drafter.name, drafter.model) == ("openai", "modelo-toml")


def test_config_choice_beats_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-teste")
    assert isinstance(get_drafter(_config(tmp_path, backend="offline")), OfflineDrafter)


def test_env_beats_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("COBRANCA_BACKEND", "openai")
    monkeypatch.setenv("COBRANCA_MODELO", "modelo-env")
    drafter = get_drafter(_config(tmp_path, backend="offline", modelo="modelo-toml"))
    assert isinstance(drafter, OpenAIDrafter) and drafter.model == "modelo-env"
    assert drafter.base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("COBRANCA_BACKEND", "offline")
    assert isinstance(get_drafter(_config(tmp_path, backend="openai")), OfflineDrafter)


def test_unknown_backend_in_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBRANCA_BACKEND", "ofline")
    with pytest.raises(ConfigError, match="offline"):
        get_drafter(_config(tmp_path))


def test_cache_switches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert get_drafter(_config(tmp_path)).cache is not None
    assert get_drafter(_config(tmp_path), cache=False).cache is None
    assert get_drafter(_config(tmp_path, cache=False)).cache is None
    monkeypatch.setenv("COBRANCA_SEM_CACHE", "1")
    assert get_drafter(_config(tmp_path)).cache is None


def test_request_rejects_unknown_ids_listing_valid_ones() -> None:
    with pytest.raises(ValidationError) as err:
        DraftRequest(objecao="esqueci", tom="bravo", canal="sms", estagio="vencimento")
    text = str(err.value)
    assert "Tom desconhecido" in text and "amigavel, profissional, firme, empatico" in text
    with pytest.raises(ValidationError, match="cheque"):
        DraftRequest(
            objecao="esqueci", tom="firme", canal="sms", estagio="vencimento", pagamentos=["pix", "cheque"]
        )
    with pytest.raises(ValidationError, match="ao menos um"):
        DraftRequest(objecao="esqueci", tom="firme", canal="sms", estagio="vencimento", pagamentos=[])


def test_request_accepts_comma_list_and_drops_repeats() -> None:
    request = DraftRequest(
        objecao="esqueci", tom="firme", canal="sms", estagio="vencimento", pagamentos="pix, boleto,pix"
    )
    assert request.pagamentos == ["pix", "boleto"]
    assert request.seed_for(2) == 2
    assert request.model_copy(update={"seed": 7}).seed_for(1) == 8
    assert request.key() != request.model_copy(update={"tom": "amigavel"}).key()


@pytest.mark.parametrize(
    "text",
    ["Cliente CPF 123.456.789-09 ligou ontem", "mande para joao@exemplo.com.br", "ligar no (11) 98765-4321"],
)
def test_instructions_with_personal_data_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="dados pessoais"):
        DraftRequest(objecao="esqueci", tom="firme", canal="sms", estagio="vencimento", instrucoes=text)


def test_plain_instructions_are_kept() -> None:
    text = "Mencione o aplicativo e o desconto de 10% à vista até dia 30."
    request = DraftRequest(objecao="esqueci", tom="firme", canal="sms", estagio="vencimento", instrucoes=text)
    assert request.instrucoes == text
