"""Message rows encoded once (CSV text + Arrow table) and selected after the frequency caps."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from cobranca_kit.batch import outputs
from cobranca_kit.batch.outputs import MESSAGE_COLUMNS, RunWriter, encode_messages, message_rows
from cobranca_kit.batch.plan import BRT, PlannedMessage
from cobranca_kit.csvsafe import csv_safe_row
from cobranca_kit.errors import BatchError

WHEN = dt.datetime(2026, 11, 24, 8, 15, tzinfo=BRT)
MANAUS = ZoneInfo("America/Manaus")

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
        _message(1, [("assunto", 'Assunto; com "aspas"'), ("corpo", TRICKY[1])], channel="email"),
        _message(2, [("texto", TRICKY[2])], channel="sms"),
        _message(3, [("cabecalho", TRICKY[3]), ("corpo", TRICKY[4]), ("rodape", TRICKY[5])]),
    ]


def _expected(messages: list[PlannedMessage]) -> tuple[str, list[tuple[object, ...]]]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    rows = [r for m in messages for r in message_rows(m)]
    writer.writerows(map(csv_safe_row, rows))  # the CSV neutralises formulas; the table keeps values
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
    data, table = encoded.select(keep)
    expected_text, expected_rows = _expected([m for m, k in zip(messages, keep, strict=True) if k])
    assert data.decode("utf-8") == expected_text
    assert [tuple(r.values()) for r in table.to_pylist()] == expected_rows
    assert encoded.select([False] * 4)[1].num_rows == 0
    with pytest.raises(BatchError):
        encoded.select([True])


def test_no_messages_give_an_empty_table_with_the_schema() -> None:
    encoded = encode_messages([])
    assert encoded.csv_bytes == b"" and len(encoded) == 0
    assert encoded.table.num_rows == 0 and encoded.table.schema.field("linha").type == pa.int64()


@pytest.mark.parametrize("count", [0, 4])
def test_rows_spilled_to_a_file_come_back_the_same_and_the_file_goes(tmp_path, count: int) -> None:
    """How a worker hands its rows over (a file, not the result pipe): nothing changes on the way."""
    encoded = encode_messages(_messages()[:count])
    spilled = encoded.spill(tmp_path / "1.pedaco")
    assert len(spilled) == count and spilled.path.is_file()
    back = spilled.load()
    assert not spilled.path.exists()
    assert back.csv_bytes == encoded.csv_bytes and back.csv_ends == encoded.csv_ends
    assert back.row_counts == encoded.row_counts
    assert back.table.equals(encoded.table) and back.table.schema == encoded.table.schema
    if count:
        keep = [True, False, False, True]
        assert back.select(keep)[0] == encoded.select(keep)[0]


def _random_text(rng: random.Random) -> str:
    alphabet = "abcXYZ áçãõéü;,\"'\r\n\t  .:-🙂€\x85\u2028=+@0123"
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    if rng.random() < 0.1:  # spreadsheet formulas and signed numbers
        text = rng.choice(["=", "+", "-", "@", "\t", "\r", "-1", "+55"]) + rng.choice(["", "12,5", text])
    return text


def test_encoding_equals_csv_writer_over_many_random_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's column-wise encoding gives, byte for byte, what csv.writer writes row by row."""
    rng = random.Random(17)
    messages = []
    for i in range(3000):
        channel = rng.choice(["whatsapp", "sms", "email"])
        names = (
            ["assunto", "corpo", "assinatura"]
            if channel == "email"
            else [f"mensagem_{k}" for k in range(rng.randint(0, 6))]
        )
        message = _message(i, [(name, _random_text(rng)) for name in names], channel=channel)
        message.debtor_id = rng.choice([f"D{i}", f'D;"{i}"', f"D {i}\n"])
        message.destination = rng.choice(["+5511987654321", "a;b@c.com", "", "=cmd|' /C calc'!A0"])
        message.encoding = rng.choice(["", "GSM-7", "UCS-2"])
        message.scheduled_at = WHEN + dt.timedelta(minutes=rng.randint(0, 3000))
        if rng.random() < 0.3:  # the same instant in another state's zone prints another hour
            message.scheduled_at = message.scheduled_at.astimezone(MANAUS)
        messages.append(message)
    encoded = encode_messages(messages)
    text, rows = _expected(messages)
    assert encoded.csv_bytes == text.encode("utf-8")
    monkeypatch.setattr(outputs, "ENCODE_BATCH_MESSAGES", 700)  # long lists are encoded in pieces
    pieces = encode_messages(messages)
    assert pieces.csv_bytes == encoded.csv_bytes and pieces.csv_ends == encoded.csv_ends
    assert pieces.row_counts == encoded.row_counts and pieces.table.equals(encoded.table)
    assert [tuple(r.values()) for r in encoded.table.to_pylist()] == rows
    keep = [rng.random() < 0.7 for _ in messages]
    data, table = encoded.select(keep)
    kept = [m for m, k in zip(messages, keep, strict=True) if k]
    expected_text, expected_rows = _expected(kept)
    assert data == expected_text.encode("utf-8")
    assert [tuple(r.values()) for r in table.to_pylist()] == expected_rows
    assert any('"' in r[9] for r in rows) and any("\r" in r[9] for r in rows)


def test_messages_file_is_what_the_text_writer_wrote(tmp_path) -> None:
    """mensagens.csv (BOM, header, rows) equals a csv.DictWriter file in utf-8-sig, as Excel pt-BR reads it."""
    messages = _messages()
    writer = RunWriter(tmp_path, "x")
    writer.write_encoded(messages, encode_messages(messages), [True, False, True, True])
    writer.close()
    with (tmp_path / "ref.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        ref = csv.DictWriter(fh, fieldnames=MESSAGE_COLUMNS, delimiter=";")
        ref.writeheader()
        ref.writer.writerows(
            csv_safe_row(r) for m in (messages[0], messages[2], messages[3]) for r in message_rows(m)
        )
    assert (writer.dir / "mensagens.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
