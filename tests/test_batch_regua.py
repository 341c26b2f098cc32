"""The régua file: loading, validation errors, step lookup and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from cobranca_kit.batch.regua import DEFAULT_REGUA_PATH, load_regua
from cobranca_kit.errors import DataFileError

EXAMPLE_REGUA = Path(__file__).resolve().parents[1] / "exemplo" / "regua.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regua.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
passos:
  - id: vence_hoje
    dias: 0
    estagio: vencimento
    canais: [whatsapp, sms]
    tom: amigavel
"""


@pytest.mark.parametrize("path", [DEFAULT_REGUA_PATH, EXAMPLE_REGUA])
def test_shipped_reguas_load_with_the_usual_steps(path: Path) -> None:
    regua = load_regua(path)
    assert [s.dias for s in regua.passos] == [-3, 0, 1, 7, 15, 30, 60, 90]
    assert regua.step_for(7).estagio == "atraso_curto"
    assert regua.step_for(60).estagio == "atraso_medio"
    assert regua.step_for(5) is None


def test_overrides_change_tone_and_channels_or_suspend() -> None:
    regua = load_regua()
    step = regua.step_for(7)
    plain = regua.resolve(step, None, None)
    assert (plain.objecao, plain.tom, plain.canais) == (
        "nenhuma",
        "profissional",
        ("whatsapp", "email", "sms"),
    )
    hardship = regua.resolve(step, "sem_condicoes", "casual")
    assert (hardship.objecao, hardship.tom, hardship.canais) == (
        "sem_condicoes",
        "empatico",
        ("whatsapp", "email"),
    )
    disputed = regua.resolve(step, "nao_reconhece_divida", None)
    assert disputed.suspended and "não reconhece" in disputed.suspended
    assert regua.resolve(step, "esqueci", None).objecao == "esqueci"


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("canais: [whatsapp, sms]", "canais: [whatsap]"), "Você quis dizer 'whatsapp'"),
        (("canais: [whatsapp, sms]", "canais: [telefone]"), "não é enviado em lote"),
        (("estagio: vencimento", "estagio: atraso_curto"), "não corresponde a D0"),
        (("tom: amigavel", "tom: bravo"), "tom desconhecido"),
        (("dias: 0", "dias: zero"), "passos[1].dias"),
        (("tom: amigavel", "tom: amigavel\n    cor: azul"), "campo desconhecido"),
    ],
)
def test_mistakes_are_reported_with_field_and_id(
    tmp_path: Path, replace: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, BASE.replace(*replace))
    with pytest.raises(DataFileError) as info:
        load_regua(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_steps_must_be_in_order_and_overrides_need_a_reason(tmp_path: Path) -> None:
    two = (
        BASE
        + """
  - id: antes
    dias: -3
    estagio: pre_vencimento
    canais: [email]
    tom: amigavel
"""
    )
    with pytest.raises(DataFileError, match="ordem crescente"):
        load_regua(_write(tmp_path, two))
    suspend = (
        BASE
        + """
sobreposicoes:
  - quando: {objecao: ja_paguei}
    acao: suspender
"""
    )
    with pytest.raises(DataFileError, match="motivo"):
        load_regua(_write(tmp_path, suspend))


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="linha"):
        load_regua(_write(tmp_path, BASE + "  - id: [x\n"))


def test_tolerance_catches_up_until_the_next_step() -> None:
    regua = load_regua()
    assert regua.tolerancia_dias == 3
    assert regua.step_for(2).id == "atraso_d1"  # D+1 still due two days later
    assert regua.step_for(4).id == "atraso_d1"
    assert regua.step_for(5) is None
    assert regua.step_for(-1).id == "lembrete_d_menos_3"
    assert regua.step_for(0).id == "vence_hoje"  # the next step wins over a catch-up
    exact = regua.model_copy(update={"tolerancia_dias": 0})
    assert exact.step_for(2) is None
