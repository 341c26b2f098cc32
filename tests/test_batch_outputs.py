"""Message rows encoded once (CSV text + Arrow table) and selected after the frequency caps."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow as pa
import pytest

from cobranca_kit.batch.outputs import MESSAGE_COLUMNS, encode_messages, message_rows
from cobranca_kit.batch.plan import BRT, PlannedMessage
from cobranca_kit.errors import BatchError

WHEN = dt.datetime(2026, 11, 24, 8, 15, tzinfo=BRT)

# Texts that a CSV round trip can get wrong: separators, quotes, line breaks
# (LF and CRLF), accents and emoji, blanks at the ends, empty strings.
TRICKY = [
    'Olá, "Ana"; sua fatura vence hoje.',
    "linha 1\nlinha 2\r\nlinha 3\r",
    "  espaços nas pontas  ",
    "",
    "acentuação: ção, é, ü; emoji 🙂",
    '"";;""',
]


def _message(i: int, parts: list[tuple[str, str]], channel: str = "whatsapp") -> PlannedMessage:
    return PlannedMessage(
        debtor_id=f"D{i}",
        line=i + 1,
        debt=f"FAT-{i}",
        uf="SP",
        step="vence_hoje",
        stage="vencimento",
        channel=channel,
        destination="+5511987654321" if channel != "email" else f"d{i}@exemplo.com.br",
        template_id="modelo;com;ponto-e-virgula",
        template_version=i,
        parts=parts,
        scheduled_at=WHEN + dt.timedelta(minutes=i),
        encoding="GSM-7" if channel == "sms" else "",
        segments=i % 3,
    )


def _messages() -> list[PlannedMessage]:
    return [
        _message(0, [("corpo", TRICKY[0])]),
        _message(1, [("assunto", "Assunto; com \"aspas\""), ("corpo", TRICKY[1])], channel="email"),
        _message(2, [("texto", TRICKY[2])], channel="sms"),
        _message(3, [("cabecalho", TRICKY[3]), ("corpo", TRICKY[4]), ("rodape", TRICKY[5])]),
    ]


def _expected(messages: list[PlannedMessage]) -> tuple[str, list[tuple[object, ...]]]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    rows = [r for m in messages for r in message_rows(m)]
    writer.writerows(rows)
    return buffer.getvalue(), rows


def test_encoded_rows_match_csv_writer_and_python_values() -> None:
    messages = _messages()
    encoded = encode_messages(messages)
    text, rows = _expected(messages)
    assert encoded.csv_text == text
    assert encoded.row_counts == [1, 2, 1, 3]
    assert encoded.table.column_names == MESSAGE_COLUMNS
    assert [tuple(r.values()) for r in encoded.table.to_pylist()] == rows
    assert encoded.table.column("texto").null_count == 0  # empty text stays "", never null


def test_select_keeps_only_the_flagged_messages_in_order() -> None:
    messages = _messages()
    encoded = encode_messages(messages)
    keep = [True, False, True, False]
    text, table = encoded.select(keep)
    expected_text, expected_rows = _expected([m for m, k in zip(messages, keep, strict=True) if k])
    assert text == expected_text
    assert [tuple(r.values()) for r in table.to_pylist()] == expected_rows
    assert encoded.select([False] * 4)[1].num_rows == 0
    with pytest.raises(BatchError):
        encoded.select([True])


def test_no_messages_give_an_empty_table_with_the_schema() -> None:
    encoded = encode_messages([])
    assert encoded.csv_text == "" and len(encoded) == 0
    assert encoded.table.num_rows == 0 and encoded.table.schema.field("linha").type == pa.int64()
