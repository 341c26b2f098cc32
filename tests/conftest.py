"""Shared fixtures: an isolated workspace so no test touches the user's files,
and no test reaches a real LLM endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

EMPRESA_TOML = """
[empresa]
nome = "Loja Exemplo de Teste Ltda."
cnpj = "11.222.333/0001-81"
endereco = "Avenida Central, 1000, Centro, Curitiba/PR"
atendimento = "(41) 3000-0000 ou atendimento@lojaexemplo.com.br"
"""


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never talk to a real LLM: they start their own loopback server when needed."""
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "COBRANCA_BACKEND",
        "COBRANCA_MODELO",
        "COBRANCA_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary workspace with a valid cobranca.toml, used as the current folder."""
    (tmp_path / "cobranca.toml").write_text(EMPRESA_TOML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def rule_and_corpus_texts() -> list[str]:
    """Every labelled corpus text and every rule example: the texts the checker's
    prefilters must never change the verdict on."""
    import json

    from cobranca_kit.compliance import load_rules

    corpus = Path(__file__).parent / "data" / "corpus" / "desenvolvimento.jsonl"
    texts = [json.loads(line)["texto"] for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    for rule in load_rules():
        for example in [*rule.examples.violates, *rule.examples.passes]:
            if isinstance(example, str):
                texts.append(example)
            elif example.text is not None:
                texts.append(example.text)
            else:
                texts.extend((example.parts or {}).values())
    return texts


@pytest.fixture
def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every compliance check a test triggers (True when it checked a template's text)."""
    import cobranca_kit.compliance as compliance

    calls: list[bool] = []
    real = compliance.check

    def counting(target, channel=None, context=None):  # type: ignore[no-untyped-def]
        calls.append(bool(context and context.template))
        return real(target, channel, context)

    monkeypatch.setattr(compliance, "check", counting)
    return calls
