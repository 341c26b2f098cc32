from __future__ import annotations

import datetime as dt

import pytest
from jinja2 import Environment

from cobranca_kit.formatting import FILTERS, contagem, data, data_extenso, data_hora, moeda, primeiro_nome


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "R$ 0,00"),
        (1234.56, "R$ 1.234,56"),
        (1234567.891, "R$ 1.234.567,89"),
        (-12.5, "-R$ 12,50"),
        ("389.90", "R$ 389,90"),
        (0.005, "R$ 0,01"),
    ],
)
def test_moeda(value: object, expected: str) -> None:
    assert moeda(value) == expected


def test_dates() -> None:
    assert data(dt.date(2026, 11, 22)) == "22/11/2026"
    assert data("2026-01-05") == "05/01/2026"
    assert data("05/01/2026") == "05/01/2026"
    assert data_extenso("2026-11-22") == "22 de novembro de 2026"
    assert data_extenso(dt.date(2026, 3, 1)) == "1 de março de 2026"
    assert data_hora(dt.datetime(2026, 11, 22, 18, 5)) == "22/11/2026 18:05"


def test_bad_date_message_in_portuguese() -> None:
    with pytest.raises(ValueError, match="data inválida"):
        data("ontem")


@pytest.mark.parametrize(
    ("value", "expected"), [("MARIA DA SILVA", "Maria"), ("  joão  pedro", "João"), ("", ""), (None, "")]
)
def test_primeiro_nome(value: object, expected: str) -> None:
    assert primeiro_nome(value) == expected


def test_filters_work_in_jinja() -> None:
    env = Environment()
    env.filters.update(FILTERS)
    out = env.from_string("{{ v | moeda }} em {{ d | data }}").render(v=10, d=dt.date(2026, 12, 1))
    assert out == "R$ 10,00 em 01/12/2026"


def test_moeda_agrees_with_babel_on_many_values() -> None:
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from babel.numbers import format_currency

    rng = random.Random(7)
    values = [0, 0.01, -0.01, 999.995, 1000, -1000000.5, 10**12 + 0.07]
    values += [round(rng.uniform(-1e7, 1e7), rng.choice([0, 1, 2, 3])) for _ in range(2000)]
    for value in values:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        expected = format_currency(amount, "BRL", locale="pt_BR").replace("\xa0", " ")
        assert moeda(value) == expected, value


@pytest.mark.parametrize(
    ("n", "singular", "expected"),
    [
        (1, "modelo aprovado", "1 modelo aprovado"),
        (3, "modelo aprovado", "3 modelos aprovados"),
        (0, "linha rejeitada", "0 linhas rejeitadas"),
        (1, "linha rejeitada", "1 linha rejeitada"),
        (2, "variável", "2 variáveis"),
        (2, "mensagem", "2 mensagens"),
        (2, "devedor", "2 devedores"),
        (2, "coluna obrigatória ausente", "2 colunas obrigatórias ausentes"),
        (4, "canal", "4 canais"),
        (2, "opção", "2 opções"),
        (2, "mês", "2 meses"),
    ],
)
def test_contagem_agrees_in_number(n: int, singular: str, expected: str) -> None:
    assert contagem(n, singular) == expected


def test_contagem_takes_an_irregular_plural() -> None:
    assert contagem(2, "pão", "pães") == "2 pães"
