"""Portfolio reading and per-row validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import RUN_DATE, row, write_csv

from cobranca_kit.batch.portfolio import (
    Debtor,
    Rejection,
    parse_amount,
    parse_date,
    parse_optouts,
    read_raw_chunks,
    validate_chunk,
)
from cobranca_kit.errors import BatchError


def _validate(path: Path, **kw):
    accepted, rejected, read = [], [], 0
    for chunk in read_raw_chunks(path, **kw):
        read += len(chunk.rows)
        a, r = validate_chunk(chunk, RUN_DATE)
        accepted += a
        rejected += r
    return accepted, rejected, read


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("R$ 1.234,56", "1234.56"),
        ("R$\xa01.234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1234,5", "1234.5"),
        ("1.234.567,00", "1234567.00"),
        ("1,234.56", "1234.56"),
        ("89", "89"),
        (389.9, "389.9"),
    ],
)
def test_amounts_in_brazilian_and_plain_formats(text: object, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12,34,56", "abc", "1.234", "R$", "1..2"])
def test_bad_or_ambiguous_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_dates_in_both_formats() -> None:
    assert parse_date("05/03/2026") == dt.date(2026, 3, 5)
    assert parse_date("2026-03-05") == dt.date(2026, 3, 5)
    assert parse_date("2026-03-05 00:00:00") == dt.date(2026, 3, 5)
    with pytest.raises(ValueError, match="data inválida"):
        parse_date("31/02/2026")


def test_optouts_understand_plain_portuguese() -> None:
    assert parse_optouts("não quer WhatsApp") == {"whatsapp"}
    assert parse_optouts("SMS; e-mail") == {"sms", "email"}
    assert parse_optouts("todos") == {"whatsapp", "sms", "email", "telefone"}
    assert parse_optouts("") == frozenset()
    with pytest.raises(ValueError, match="não reconhecida"):
        parse_optouts("talvez amanhã")


def test_every_bad_row_is_rejected_with_line_field_and_reason(tmp_path: Path) -> None:
    rows = [
        row(1),
        row(2, cpf="529.982.247-24"),
        row(3, phone="123"),
        row(4, valor="abc"),
        row(5, venc="31/02/2026"),
        row(6, uf="XX"),
        row(7, email="fulano@"),
        row(8, optout="talvez"),
        row(9, days=6 * 365),
        row(10, cpf="11.222.333/0001-81"),
    ]
    accepted, rejected, read = _validate(write_csv(tmp_path / "c.csv", rows))
    assert read == len(accepted) + len(rejected) == 10
    assert [d.id for d in accepted] == ["D1", "D10"]
    assert accepted[1].tipo_documento == "cnpj"
    by_line = {r.line: r for r in rejected}
    # The header is line 1, so D2 is on line 3.
    assert by_line[3].field == "documento" and "CPF inválido" in by_line[3].reason
    assert by_line[4].field == "telefone"
    assert by_line[5].field == "valor"
    assert by_line[6].field == "vencimento" and by_line[6].category == "invalida"
    assert by_line[7].field == "uf"
    assert by_line[8].field == "email"
    assert by_line[9].field == "nao_contatar"
    assert by_line[10].category == "prescrita" and "prescrita" in by_line[10].reason


def test_prescription_boundary_is_five_years(tmp_path: Path) -> None:
    limit = RUN_DATE.replace(year=RUN_DATE.year - 5)
    rows = [
        row(1, venc=limit.strftime("%d/%m/%Y")),
        row(2, venc=(limit - dt.timedelta(days=1)).strftime("%d/%m/%Y")),
    ]
    accepted, rejected, _ = _validate(write_csv(tmp_path / "c.csv", rows))
    assert [d.id for d in accepted] == ["D1"]
    assert [r.debtor_id for r in rejected] == ["D2"]


def test_valid_row_is_normalised(tmp_path: Path) -> None:
    accepted, _, _ = _validate(
        write_csv(tmp_path / "c.csv", [row(1, optout="não quer WhatsApp", last="20/11/2026 10:00")])
    )
    d: Debtor = accepted[0]
    assert d.telefone == "+5511987654321" and d.celular
    assert d.documento == "52998224725" and d.documento_mascarado == "***.982.247-**"
    assert d.valor == Decimal("1234.56")
    assert d.nao_contatar == {"whatsapp"}
    assert d.ultimos_contatos == (dt.datetime(2026, 11, 20, 10, 0),)


def test_landline_is_accepted_but_not_mobile(tmp_path: Path) -> None:
    accepted, _, _ = _validate(write_csv(tmp_path / "c.csv", [row(1, phone="(11) 3232-4500")]))
    assert accepted[0].telefone == "+551132324500" and not accepted[0].celular


@pytest.mark.parametrize(
    ("sep", "encoding"), [(";", "utf-8"), (",", "utf-8"), (";", "latin-1"), (",", "latin-1")]
)
def test_csv_separator_and_encoding_are_detected(tmp_path: Path, sep: str, encoding: str) -> None:
    rows = [row(1, valor="1234.56").replace("Fulana", "Conceição"), row(2, valor="89.90")]
    accepted, rejected, _ = _validate(write_csv(tmp_path / "c.csv", rows, sep=sep, encoding=encoding))
    assert not rejected
    assert accepted[0].nome.startswith("Conceição")


def test_xlsx_and_parquet_give_the_same_rows(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "c.csv", [row(1), row(2, days=7), row(3, cpf="123")])
    frame = pd.read_csv(csv_path, sep=";", dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    results = {}
    for name in ("c.csv", "c.xlsx", "c.parquet"):
        accepted, rejected, _ = _validate(tmp_path / name)
        results[name] = ([(d.id, d.valor, d.vencimento) for d in accepted], [r.debtor_id for r in rejected])
    assert results["c.csv"] == results["c.xlsx"] == results["c.parquet"]
    assert results["c.csv"][1] == ["D3"]


def test_column_mapping_for_other_headers(tmp_path: Path) -> None:
    path = tmp_path / "erp.csv"
    path.write_text(
        "Codigo Cliente;Nome;Documento Fiscal;Celular;UF;Saldo;Data de Vencimento\n"
        "A1;Maria;529.982.247-25;11987654321;SP;R$ 10,00;24/11/2026\n",
        encoding="utf-8",
    )
    with pytest.raises(BatchError, match="documento"):
        list(read_raw_chunks(path))
    accepted, rejected, _ = _validate(
        path, mapping={"documento": "Documento Fiscal", "vencimento": "Data de Vencimento"}
    )
    assert not rejected and accepted[0].id == "A1" and accepted[0].valor == Decimal("10.00")


def test_unknown_mapping_field_and_missing_source_column_are_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [row(1)])
    with pytest.raises(BatchError, match="campo desconhecido"):
        list(read_raw_chunks(path, mapping={"cpf_do_cliente": "x"}))
    with pytest.raises(BatchError, match="não existe no arquivo"):
        list(read_raw_chunks(path, mapping={"documento": "CPF_CNPJ_X"}))


def test_short_row_is_rejected_not_dropped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [row(1), "D2;Fulano;529.982.247-25"])
    accepted, rejected, read = _validate(path)
    assert read == 2 and len(accepted) == 1
    assert isinstance(rejected[0], Rejection) and rejected[0].line == 3 and "colunas" in rejected[0].reason


def test_chunks_keep_line_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [row(i) for i in range(1, 8)])
    chunks = list(read_raw_chunks(path, chunk_rows=3))
    assert [len(c.rows) for c in chunks] == [3, 3, 1]
    assert [line for c in chunks for line in c.lines] == list(range(2, 9))


@pytest.mark.parametrize(
    "text",
    [
        "(11) 98765-4321",  # mobile
        "(11) 3456-7890",  # landline
        "+55 21 99876-5432",
        "11987654321",
        "(11) 8765-4321",  # old 8-digit mobile: no longer valid
        "(20) 98765-4321",  # no such area code
        "+1 650 253 0000",  # foreign number
        "+800 1234 5678",  # non-geographic number
        "0800 123 4567",  # toll free
        "123",
    ],
)
def test_phone_validity_and_type_agree_with_phonenumbers(text: str) -> None:
    import phonenumbers

    from cobranca_kit.batch.portfolio import _Bad, _phone

    try:
        number = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        with pytest.raises(_Bad, match="telefone inválido"):
            _phone(text)
        return
    e164, mobile = _phone(text)
    assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    mobile_kinds = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    assert mobile == (phonenumbers.number_type(number) in mobile_kinds)
