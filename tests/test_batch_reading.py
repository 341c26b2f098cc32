"""Columnar chunks and CSV line blocks read a portfolio exactly as row-by-row reading does."""

from __future__ import annotations

import csv
import pickle
import random
from pathlib import Path
from typing import Any

import pytest

from cobranca_kit.batch.pipeline import split_chunk
from cobranca_kit.batch.portfolio import (
    RawChunk,
    csv_blocks,
    detect_encoding,
    detect_separator,
    map_columns,
    read_raw_chunks,
)

HEADER = ["id", "nome", "cpf_cnpj", "telefone", "uf", "valor", "vencimento", "coluna_extra", "descricao"]


def _reference_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, row) as the reader did before chunks were columnar: one dict per record."""
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        sep = detect_separator(fh.readline())
        fh.seek(0)
        reader = csv.reader(fh, delimiter=sep)
        headers = next(reader)
        columns = map_columns(headers, None, path)
        index = [(i, columns[h]) for i, h in enumerate(headers) if h in columns]
        out = []
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1  # a record's line is its first line
            if not record or all(not c.strip() for c in record):
                continue
            row: dict[str, Any] = {c: (record[i] if i < len(record) else "") for i, c in index}
            if len(record) != len(headers):
                row["__erro__"] = (
                    f"a linha tem {len(record)} colunas e o cabeçalho tem {len(headers)} "
                    f"(separador '{sep}'; confira aspas e separadores)"
                )
            out.append((line, row))
    return out


def _cell(rng: random.Random, quotes: bool, breaks: bool = True) -> str:
    alphabet = "abc XYZ 123 çãé,.-/"
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if quotes and rng.random() < 0.2:
        inner = text + rng.choice(["\n", "\r\n", ";", '""', ""] if breaks else [";", '""', ""]) + "x"
        return '"' + inner + '"'
    return text


def _write(path: Path, rng: random.Random, rows: int, *, quotes: bool, newline: str, encoding: str) -> Path:
    lines = [";".join(HEADER)]
    for _ in range(rows):
        roll = rng.random()
        if roll < 0.05:
            lines.append("")  # blank line
        elif roll < 0.08:
            lines.append(";;;  ;")  # separators and spaces only
        elif roll < 0.12:
            # a row of the wrong width (no line break in its cells: a record spanning lines
            # with the wrong width is read as an unclosed quote, test_batch_hostile.py)
            lines.append(";".join(_cell(rng, quotes, False) for _ in range(rng.choice((3, 8, 10, 12)))))
        else:
            lines.append(";".join(_cell(rng, quotes) for _ in HEADER))
    text = newline.join(lines) + (newline if rng.random() < 0.5 else "")
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("seed", range(6))
def test_columnar_chunks_hold_the_rows_of_row_by_row_reading(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    newline = ["\n", "\r\n", "\r"][seed % 3]
    encoding = ["utf-8", "latin-1"][seed % 2]
    path = _write(tmp_path / "c.csv", rng, 400, quotes=seed >= 3, newline=newline, encoding=encoding)
    expected = _reference_rows(path)
    for size in (7, 1000):
        chunks = list(read_raw_chunks(path, chunk_rows=size))
        got = [(line, chunk.row(i)) for chunk in chunks for i, line in enumerate(chunk.lines)]
        assert got == expected
        assert [(line, row) for c in chunks for line, row in zip(c.lines, c.rows, strict=True)] == expected
        assert [i for c in chunks for i in c.error_rows()]  # the file has rows of the wrong width
        for chunk in chunks:
            for name in ("id", "nome", "telefone", "email"):
                assert list(chunk.column(name)) == [r.get(name) for r in chunk.rows]
            assert chunk.error_rows() == [i for i, r in enumerate(chunk.rows) if "__erro__" in r]


@pytest.mark.parametrize("seed", range(3))
def test_csv_line_blocks_read_like_the_whole_file(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    newline = ["\n", "\r\n", "\r"][seed % 3]
    path = _write(tmp_path / "c.csv", rng, 500, quotes=False, newline=newline, encoding="utf-8")
    expected = _reference_rows(path)
    blocks = csv_blocks(path, None, 37)
    assert blocks is not None
    chunks = [pickle.loads(pickle.dumps(block)).chunk() for block in blocks]  # as a worker gets them
    assert [(line, c.row(i)) for c in chunks for i, line in enumerate(c.lines)] == expected


def test_files_with_quotes_or_not_csv_are_not_split_into_blocks(tmp_path: Path) -> None:
    rng = random.Random(1)
    quoted = _write(tmp_path / "q.csv", rng, 50, quotes=True, newline="\n", encoding="utf-8")
    assert '"' in quoted.read_text(encoding="utf-8")
    assert csv_blocks(quoted, None, 10) is None
    assert csv_blocks(tmp_path / "x.parquet", None, 10) is None


def test_slices_pickles_and_both_forms_agree() -> None:
    rows = [{"id": str(i), "nome": f"N{i}"} for i in range(5)]
    by_rows = RawChunk(lines=[2, 3, 5, 6, 7], rows=rows)
    by_columns = RawChunk(
        lines=[2, 3, 5, 6, 7],
        columns={"id": tuple(r["id"] for r in rows), "nome": tuple(r["nome"] for r in rows)},
        errors={3: "largura"},
    )
    assert by_columns.rows[3] == {**rows[3], "__erro__": "largura"}
    assert by_columns != by_rows and by_columns.slice(0, 3) == by_rows.slice(0, 3)
    assert [p.lines for p in split_chunk(by_columns, 2)] == [[2, 3], [5, 6], [7]]
    assert [p.error_rows() for p in split_chunk(by_columns, 2)] == [[], [1], []]
    assert pickle.loads(pickle.dumps(by_columns)) == by_columns
    assert pickle.loads(pickle.dumps(by_rows)) == by_rows
    assert list(by_rows.column("telefone")) == [None] * 5 == list(by_columns.column("telefone"))
