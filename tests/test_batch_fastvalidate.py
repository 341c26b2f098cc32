"""Chunk-at-once validation equals the row-by-row validation and the libraries it replaces.

Every comparison runs over thousands of generated values (valid, invalid, odd
spellings, faker pt_BR ones, random junk) against phonenumbers, validate-docbr
and :func:`portfolio.validate_row`, value by value.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from decimal import Decimal
from typing import Any

import phonenumbers
import pytest
from batch_helpers import RUN_DATE
from faker import Faker
from validate_docbr import CNPJ, CPF

from cobranca_kit.batch import fastvalidate as fv
from cobranca_kit.batch import portfolio as pf
from cobranca_kit.batch.portfolio import RawChunk, validate_row
from cobranca_kit.batch.sample import SampleMaker
from cobranca_kit.config import UFS


def _reference_phone(value: Any) -> tuple[str | None, bool] | None:
    try:
        return pf._phone(value)
    except pf._Bad:
        return None


def _reference_document(value: Any) -> tuple[str, str] | None:
    try:
        return pf._document(value)
    except pf._Bad:
        return None


def _subscriber(rng: random.Random) -> str:
    """8 or 9 digits, leading digit anything (mobile 9, landline 2-5, invalid 0, 1, 6, 7, 8)."""
    return "".join(rng.choice(string.digits) for _ in range(rng.choice((8, 9, 9))))


def _spell(rng: random.Random, ddd: str, sub: str) -> str:
    head, tail = sub[:-4], sub[-4:]
    return rng.choice(
        [
            f"({ddd}) {head}-{tail}",
            f"({ddd}){head}-{tail}",
            f"({ddd}) {head}{tail}",
            f"{ddd}{sub}",
            f"{ddd} {head}-{tail}",
            f"{ddd} {head}{tail}",
            f"+55{ddd}{sub}",
            f"+55 {ddd} {head}-{tail}",
            f"+55 ({ddd}) {head}-{tail}",
            f"+55({ddd}){head}{tail}",
            f"+55 ({ddd} {head}-{tail}",
            f"55{ddd}{sub}",
            f"0{ddd}{sub}",
            f"0 {ddd} {head}-{tail}",
            f"(0{ddd}) {head}-{tail}",
            f"0xx{ddd} {head}-{tail}",
            f"  ({ddd}) {head}-{tail}  ",
            f"{ddd}-{head}-{tail}",
            f"({ddd}) {head}.{tail}",
            f"+1 {ddd} {head}-{tail}",
            f"+55 {ddd} {head}-{tail} ramal 12",
        ]
    )


def _phone_values(n: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    values: list[Any] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.7:
            ddd = rng.choice([f"{d:02d}" for d in range(10, 100)] + ["11", "21", "55", "90", "99"])
            values.append(_spell(rng, ddd, _subscriber(rng)))
        elif roll < 0.8:
            values.append(rng.choice([fake.phone_number, fake.cellphone_number, fake.msisdn])())
        elif roll < 0.9:
            length = rng.randint(1, 14)
            values.append("".join(rng.choice(string.digits) for _ in range(length)))
        else:
            alphabet = string.digits + string.ascii_letters + " ()-+.#/*x"
            values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18))))
    values += ["", "   ", None, "(11) 98765-4321", "+55 11 98765-4321", "(55) 98765-4321", "(19) 3232-4500"]
    values += ["0800 123 4567", "(11) 4004-0001", "4004-0001", "(11) 0800-1234", "11 900000000"]
    values += [
        "(55) 5123-4567",
        "55512345678",
        "+55 55 51234-5678",
        "9001234567",
        "(90) 01234-5678",
        "5551234567",
    ]
    return values


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_phones_equal_phonenumbers_value_by_value(seed: int) -> None:
    values = _phone_values(6000, seed)
    got = fv.phones(values)
    for value, mine in zip(values, got, strict=True):
        assert mine == _reference_phone(value), value
    # The column-wise path (not the per-value fallback) handled most canonical spellings.
    canonical = [d for d in fv.canonical_national_numbers([v for v in values if isinstance(v, str)]) if d]
    assert len(canonical) > len(values) * 0.35
    assert sum(1 for r in got if r and r[1]) > 500 and sum(1 for r in got if r and not r[1]) > 200


def test_number_types_equal_phonenumbers_for_random_national_numbers() -> None:
    rng = random.Random(7)
    numbers = []
    for _ in range(30000):
        length = rng.randint(7, 13)
        numbers.append(str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(length - 1)))
    for ddd in range(10, 100):  # every area code, mobile and landline shapes
        numbers += [
            f"{ddd}9{rng.randint(0, 10**8 - 1):08d}",
            f"{ddd}{rng.randint(2, 5)}{rng.randint(0, 10**7 - 1):07d}",
        ]
    numbers += ["8001234567", "800123456", "3003123456", "40041234", "900123456", "5001234567"]
    kinds = fv.br_number_types(numbers)
    for number, kind in zip(numbers, kinds.tolist(), strict=True):
        expected = phonenumbers.number_type(
            phonenumbers.PhoneNumber(country_code=55, national_number=int(number))
        )
        assert kind == expected, number
    assert len(set(kinds.tolist())) >= 5  # mobile, fixed line, toll free, shared cost, unknown...


def _cpf_like(rng: random.Random) -> str:
    return "".join(rng.choice(string.digits) for _ in range(11))


def test_check_digits_equal_validate_docbr() -> None:
    rng = random.Random(5)
    cpf, cnpj = CPF(), CNPJ()
    cpfs = [cpf.generate() for _ in range(3000)] + [_cpf_like(rng) for _ in range(20000)]
    cpfs += [d * 11 for d in string.digits] + ["00000000191", "52998224725"]
    cnpjs = [cnpj.generate() for _ in range(3000)]
    cnpjs += ["".join(rng.choice(string.digits) for _ in range(14)) for _ in range(20000)]
    cnpjs += [d * 14 for d in string.digits] + ["11222333000181"]
    assert fv.cpf_valid(cpfs).tolist() == [cpf.validate(c) for c in cpfs]
    assert fv.cnpj_valid(cnpjs).tolist() == [cnpj.validate(c) for c in cnpjs]
    assert sum(fv.cpf_valid(cpfs)) >= 3000 and sum(fv.cnpj_valid(cnpjs)) >= 3000


def _document_values(n: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    cpf, cnpj = CPF(), CNPJ()
    values: list[Any] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.25:
            values.append(fake.cpf() if rng.random() < 0.5 else cpf.generate(mask=rng.random() < 0.5))
        elif roll < 0.4:
            values.append(fake.cnpj() if rng.random() < 0.5 else cnpj.generate(mask=rng.random() < 0.5))
        elif roll < 0.55:  # one digit off
            good = list(cpf.generate() if rng.random() < 0.5 else cnpj.generate())
            k = rng.randrange(len(good))
            good[k] = str((int(good[k]) + rng.randint(1, 9)) % 10)
            values.append("".join(good))
        elif roll < 0.7:
            values.append("".join(rng.choice(string.digits) for _ in range(rng.randint(8, 15))))
        elif roll < 0.8:
            values.append(rng.choice(string.digits) * rng.choice((11, 14)))
        elif roll < 0.9:
            good = fake.cpf()
            values.append(
                rng.choice([f" {good} ", good.replace(".", ""), good.replace("-", " "), good + "x"])
            )
        else:
            alphabet = string.digits + string.ascii_uppercase + "./- "
            values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))))
    return [*values, "", "12.ABC.345/01DE-35", "529.982.247-25", "5299822472", "11.222.333/0001-81"]


@pytest.mark.parametrize("seed", [1, 2])
def test_documents_equal_validate_docbr_value_by_value(seed: int) -> None:
    values = _document_values(8000, seed)
    got = fv.documents(values)
    for value, mine in zip(values, got, strict=True):
        assert mine == _reference_document(value), value
    assert (
        sum(1 for r in got if r and r[1] == "cpf") > 1500
        and sum(1 for r in got if r and r[1] == "cnpj") > 800
    )


def _key(result: object) -> tuple[Any, ...]:
    """Every field of a Debtor or Rejection, Decimals by their exact text."""
    fields = type(result).__slots__
    values = [getattr(result, f) for f in fields]
    return (type(result).__name__, *[(str(v), v.as_tuple()) if isinstance(v, Decimal) else v for v in values])


def _odd_rows(rng: random.Random, base: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sample rows with one or two fields replaced by unusual but realistic spellings."""
    choices: dict[str, list[Any]] = {
        "valor": [
            "R$ 1.234,56",
            "1234.56",
            "1,234.56",
            "0,00",
            "-5,00",
            "1.234",
            "12,34,56",
            "",
            " 89 ",
            389.9,
            "1.234.567,00",
            "R$\xa012,00",
            "10",
            "007,50",
            None,
            1e30,
            "100.000.000,01",
            "100000000",
        ],
        "valor_atualizado": ["", "1.300,00", "abc", "-1,00", "1234.5", None, "999999999999", "-1e30"],
        "vencimento": [
            "2026-11-24",
            "24/11/2026",
            "1/2/2026",
            "31/02/2026",
            "2026-13-01",
            "ontem",
            "",
            "24/11/2019",
            "31/12/9999",
            "2036-11-24",
            "2036-11-25",
            "2026-11-24T10:00:00",
            dt.date(2026, 11, 24),
            None,
        ],
        "telefone": [
            "(11) 98765-4321",
            "+55 11 98765-4321",
            "11987654321",
            "1133334444",
            "123",
            "",
            "(55) 99999-1234",
            "0 11 98765-4321",
            "(11) 2345-6789",
            11987654321.0,
            "abc",
            None,
        ],
        "documento": [
            "529.982.247-25",
            "52998224725",
            "111.111.111-11",
            "11.222.333/0001-81",
            "5299822472",
            "123",
            "",
            52998224725,
            " 529.982.247-25 ",
            None,
        ],
        "uf": ["sp", " SP ", "XX", "", "ſp", None],
        "email": ["a@b.com.br", "fulano@", "", "a b@c.com", None],
        "objecao": ["", "esqueci", "inventada", None],
        "perfil": ["", "casual", "qualquer", None],
        "nao_contatar": ["", "sms", "não quer WhatsApp", "todos", "talvez amanhã", "email; sms", None],
        "ultimos_contatos": ["", "23/11/2026 09:30", "22/11/2026|2026-11-20T10:00", "ontem", None],
        "link_pagamento": ["", "http://x", "https://pagar.exemplo.com.br/f/1", None],
        "id": ["", "  ", "C1", 12.0, 7, None],
        "nome": ["", "Ana", "  Maria da Silva  ", None],
        "descricao": ["", "fatura", 3, None],
        "relacao": ["", "devedor", "Terceiro", " desconhecido ", "primo", 2, None],
    }
    out = []
    for raw in base:
        row = dict(raw)
        for name in rng.sample(sorted(choices), rng.choice((1, 1, 2))):
            row[name] = rng.choice(choices[name])
        if rng.random() < 0.02:
            row["__erro__"] = "a linha tem 3 colunas e o cabeçalho tem 19"
        out.append(row)
    return out


def test_validate_rows_equals_validate_row_row_by_row() -> None:
    rng = random.Random(3)
    maker = SampleMaker(RUN_DATE, seed=9, bad_ratio=0.2)
    rename = {"cpf_cnpj": "documento"}
    sample = [{rename.get(k, k): v for k, v in maker.row(i).items()} for i in range(3000)]
    rows = sample + _odd_rows(rng, sample[:3000])
    chunk = RawChunk(lines=list(range(2, len(rows) + 2)), rows=rows)
    got = fv.validate_rows(chunk, RUN_DATE)
    expected = [validate_row(raw, line, RUN_DATE) for line, raw in zip(chunk.lines, rows, strict=True)]
    assert len(got) == len(expected)
    for mine, ref, raw in zip(got, expected, rows, strict=True):
        assert _key(mine) == _key(ref), raw
    kinds = [type(r).__name__ for r in got]
    assert kinds.count("Debtor") > 3000 and kinds.count("Rejection") > 800


def test_validate_rows_with_missing_optional_columns_and_other_run_dates() -> None:
    rows = [
        {
            "id": f"D{i}",
            "nome": "Ana",
            "documento": "529.982.247-25",
            "uf": UFS[i % len(UFS)],
            "valor": "10,00",
            "vencimento": (RUN_DATE - dt.timedelta(days=400 * i)).strftime("%d/%m/%Y"),
        }
        for i in range(12)
    ]
    for day in (RUN_DATE, dt.date(2028, 2, 29), dt.date(2020, 1, 1)):
        chunk = RawChunk(lines=list(range(1, 13)), rows=rows)
        got = fv.validate_rows(chunk, day)
        expected = [validate_row(raw, line, day) for line, raw in zip(chunk.lines, rows, strict=True)]
        assert [_key(r) for r in got] == [_key(r) for r in expected]
    assert fv.validate_rows(RawChunk(lines=[]), RUN_DATE) == []
