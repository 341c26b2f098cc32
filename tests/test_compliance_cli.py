"""``cobranca-kit verificar``, ``regras`` and ``avaliar`` (registered on a bare Typer app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cobranca_kit.cli import verificar

CORPUS = Path(__file__).parent / "data" / "corpus" / "desenvolvimento.jsonl"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    verificar.register(app)

    @app.callback()
    def _root() -> None:
        """Test root."""

    return app


runner = CliRunner()


def test_verificar_lint_output_and_exit_code_1_on_block(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "msg.txt"
    path.write_text("Olá, Ana.\nSe não pagar, você será preso.\n", encoding="utf-8")
    result = runner.invoke(app, ["verificar", str(path), "--canal", "whatsapp"])
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "CDC71-AMEACA-PRISAO" in ln)
    assert line.startswith("2:20  CDC71-AMEACA-PRISAO  bloqueio  ")
    assert "sugestão:" in result.output and "REPROVADO" in result.output


def test_verificar_stdin_json_and_exit_0(app: typer.Typer) -> None:
    text = "Oi, Ana! Sua fatura de R$ 10,00 venceu em 10/11. Pague: https://x.com.br/p. Se já pagou, desconsidere."
    result = runner.invoke(app, ["verificar", "-", "--formato", "json"], input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"passed", "findings", "metrics"} and data["passed"] is True


def test_verificar_script_json(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "roteiro.json"
    path.write_text(
        json.dumps({"channel": "whatsapp", "mensagens": ["Olá!", "Você é um caloteiro."]}), encoding="utf-8"
    )
    result = runner.invoke(app, ["verificar", str(path)])
    assert result.exit_code == 1
    assert "mensagem_2 1:11  CDC42-INSULTO-XINGAMENTO" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["verificar", "-"], b"\xff\xfe\x00junk", "UTF-8"),
        (["verificar", "-"], b"   ", "vazio"),
        (["verificar", "/nao/existe.txt"], None, "não encontrado"),
        (["verificar", "-", "--canal", "fax"], b"oi", "canal desconhecido"),
    ],
)
def test_verificar_unusable_input_exits_2(
    app: typer.Typer, args: list[str], stdin: bytes | None, message: str
) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output


def test_regras_lists_rules_under_fixed_headings(app: typer.Typer) -> None:
    result = runner.invoke(app, ["regras", "--categoria", "ameaca"])
    assert result.exit_code == 0
    for heading in ("O que verifica:", "Por que é um problema:", "Exemplo:", "O que escrever no lugar:"):
        assert heading in result.output
    assert "CDC71-AMEACA-PRISAO" in result.output and "CDC art. 71" in result.output
    assert "CDC42-INSULTO-XINGAMENTO" not in result.output


def test_avaliar_prints_recall_false_blocks_and_categories(app: typer.Typer) -> None:
    result = runner.invoke(app, ["avaliar", str(CORPUS), "--so-regras"])
    assert result.exit_code == 0
    assert "== desenvolvimento" in result.output
    assert "revocação (bloqueadas):" in result.output and "bloqueios falsos:" in result.output
    assert "terceiros" in result.output and "insulto" in result.output and "informal" in result.output


def test_avaliar_reports_the_held_out_split_beside_the_development_one(
    app: typer.Typer, tmp_path: Path
) -> None:
    dev = tmp_path / "desenvolvimento.jsonl"
    dev.write_text(
        '{"texto": "Vamos mandar prender você.", "rotulo": "abusiva", "categoria": "ameaca"}\n'
        '{"texto": "Sua parcela vence amanhã.", "rotulo": "conforme", "registro": "formal"}\n',
        encoding="utf-8",
    )
    alone = runner.invoke(app, ["avaliar", str(dev)])
    assert alone.exit_code == 0 and "== reservado" not in alone.output
    (tmp_path / "reservado.jsonl").write_text(
        '{"texto": "Seu caloteiro, vou te expor no grupo.", "rotulo": "abusiva", "categoria": "insulto", '
        '"registro": "informal"}\n',
        encoding="utf-8",
    )
    both = runner.invoke(app, ["avaliar", str(dev), "--detalhes"])
    assert both.exit_code == 0, both.output
    dev_part, held_part = both.output.split("== reservado")
    assert "== desenvolvimento: 1 abusivas, 1 conformes" in dev_part
    assert ": 1 abusivas, 0 conformes" in held_part and "insulto" in held_part
    # details list the development split only: nobody reads held-out texts to write a rule
    assert "Seu caloteiro" not in both.output and "não lista a parte reservada" in held_part


def test_verificar_takes_the_recipient_relation_and_send_time(app: typer.Typer, tmp_path: Path) -> None:
    msg = tmp_path / "m.txt"
    msg.write_text("Olá! A parcela do Sr. Anderson venceu ontem.", encoding="utf-8")
    assert runner.invoke(app, ["verificar", str(msg)]).exit_code == 0
    third = runner.invoke(app, ["verificar", str(msg), "--relacao", "terceiro"])
    assert third.exit_code == 1 and "CDC42-TERCEIROS-DESTINATARIO" in third.output
    night = runner.invoke(app, ["verificar", str(msg), "--enviado-em", "2026-12-06T22:10"])
    assert night.exit_code == 1 and "CDC42-INTRUSAO-HORARIO-ENVIO" in night.output
    bad = runner.invoke(app, ["verificar", str(msg), "--enviado-em", "ontem à noite"])
    assert bad.exit_code == 2 and "--enviado-em inválido" in bad.output
    bad = runner.invoke(app, ["verificar", str(msg), "--relacao", "primo"])
    assert bad.exit_code == 2 and "relação desconhecida 'primo'" in bad.output


def test_avaliar_gives_the_cross_validated_figures_for_the_classifiers_own_training_split(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = tmp_path / "desenvolvimento.jsonl"
    dev.write_text(
        '{"texto": "Vamos mandar prender você.", "rotulo": "abusiva", "categoria": "ameaca", "registro": "formal"}\n'
        '{"texto": "Sua parcela vence amanhã.", "rotulo": "conforme", "registro": "formal"}\n',
        encoding="utf-8",
    )
    cross = {
        "dobras": 5,
        "revocacao": 0.812,
        "revocacao_regras": 0.7,
        "bloqueios_falsos": 0.02,
        "categoria": 0.9,
        "por_registro": {"formal": {"revocacao": 0.85, "bloqueios_falsos": 0.01, "categoria": 0.91}},
    }
    monkeypatch.setattr(verificar, "trained_on", lambda path: cross if Path(path) == dev else None)
    result = runner.invoke(app, ["avaliar", str(dev)])
    assert result.exit_code == 0, result.output
    assert "validação cruzada (5 dobras" in result.output and "revocação 81.2%" in result.output
    assert "formal: revocação 85.0%   bloqueios falsos 1.0%" in result.output
    assert "revocação (bloqueadas, no próprio treino): 100.0%" in result.output
    # the rules alone are not trained: no cross-validation, no in-sample warning
    rules = runner.invoke(app, ["avaliar", str(dev), "--so-regras"])
    assert "validação cruzada" not in rules.output and "no próprio treino" not in rules.output


def test_trained_on_knows_the_split_the_shipped_classifier_was_trained_on(tmp_path: Path) -> None:
    from cobranca_kit.compliance.classifier import read_model
    from cobranca_kit.compliance.evaluate import trained_on

    cross = trained_on(CORPUS)
    assert cross == read_model().meta.validacao_cruzada and "revocacao" in cross
    other = tmp_path / "desenvolvimento.jsonl"
    other.write_bytes(CORPUS.read_bytes() + b"\n")
    assert trained_on(other) is None
