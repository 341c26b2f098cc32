"""Reading and validating the portfolio of open debts (CSV, XLSX or Parquet).

Files come from ERPs and spreadsheets: CSV with ``;`` or ``,``, in UTF-8 or
Latin-1, headers in many spellings. Rows are read in chunks of raw values
(:func:`read_raw_chunks`, or :func:`csv_blocks` for worker processes) and
validated by :func:`validate_row`, the reference, which
:func:`cobranca_kit.batch.fastvalidate.validate_rows` applies to a whole chunk at
once; a bad row becomes a :class:`Rejection` naming its line, field and a pt-BR
reason, never an exception and never a silent drop.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import phonenumbers
from validate_docbr import CNPJ, CPF

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import UFS
from cobranca_kit.errors import BatchError

PRESCRIPTION_YEARS = 5
# Beyond these a value is a typing or export error (1e30, 31/12/9999 as "no due date"),
# not a debt to collect: the row is set aside with the reason.
MAX_AMOUNT = Decimal("100000000")  # R$ 100 milhões
MAX_FUTURE_YEARS = 10
DEFAULT_CHUNK_ROWS = 20_000

# Canonical column -> accepted header spellings (normalised: lower case, no
# accents, non-alphanumerics as "_"). A ``colunas`` mapping in the run
# parameters takes precedence for headers not listed here.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "id_devedor", "devedor_id", "codigo", "cod_cliente", "codigo_cliente", "cliente_id"),
    "nome": ("nome", "nome_cliente", "cliente", "razao_social", "nome_devedor"),
    "documento": ("documento", "cpf_cnpj", "cpfcnpj", "cpf", "cnpj", "cpf_ou_cnpj"),
    "telefone": ("telefone", "celular", "fone", "tel", "whatsapp", "telefone_celular"),
    "email": ("email", "e_mail"),
    "uf": ("uf", "estado"),
    "valor": ("valor", "valor_aberto", "valor_em_aberto", "saldo", "valor_divida"),
    "valor_atualizado": ("valor_atualizado", "valor_corrigido"),
    "vencimento": ("vencimento", "data_vencimento", "dt_vencimento", "venc"),
    "descricao": ("descricao", "produto", "servico"),
    "numero_documento": ("numero_documento", "fatura", "contrato", "nr_documento", "num_documento"),
    "link_pagamento": ("link_pagamento", "link", "url_pagamento"),
    "pix_copia_e_cola": ("pix_copia_e_cola", "pix", "codigo_pix"),
    "pix_expira_em": ("pix_expira_em", "validade_pix"),
    "linha_digitavel": ("linha_digitavel", "boleto"),
    "objecao": ("objecao",),
    "perfil": ("perfil",),
    "nao_contatar": ("nao_contatar", "optout", "opt_out", "opt_outs", "restricoes", "nao_quer"),
    "ultimos_contatos": ("ultimos_contatos", "ultimo_contato", "contatos_anteriores"),
    "relacao": ("relacao", "relacao_contato", "relacao_com_a_divida", "vinculo", "tipo_contato"),
}
REQUIRED_COLUMNS = ("id", "nome", "documento", "uf", "valor", "vencimento")

FIELD_LABELS = {
    "id": "identificador",
    "nome": "nome",
    "documento": "CPF/CNPJ",
    "telefone": "telefone",
    "email": "e-mail",
    "uf": "UF",
    "valor": "valor",
    "valor_atualizado": "valor atualizado",
    "vencimento": "vencimento",
    "link_pagamento": "link de pagamento",
    "pix_expira_em": "validade do Pix",
    "objecao": "objeção",
    "perfil": "perfil",
    "nao_contatar": "não contatar",
    "ultimos_contatos": "últimos contatos",
    "relacao": "relação com a dívida",
}

# Who the row's contact is, as ``CheckContext.relation`` names it: the debtor, a third
# party (a relative, a reference, an employer) or someone not yet confirmed as the debtor.
RELATIONS = ("devedor", "terceiro", "desconhecido")
DEFAULT_RELATION = "devedor"

# Words in an opt-out cell and the channel they name (accent-free, lower case).
_OPTOUT_WORDS: dict[str, tuple[str, ...]] = {
    "whatsapp": ("whatsapp", "whats", "wpp", "zap", "zapzap"),
    "sms": ("sms", "torpedo"),
    "email": ("email", "e_mail", "mail"),
    "telefone": ("telefone", "ligacao", "ligacoes", "ligar", "chamada", "chamadas"),
}
_OPTOUT_ALL = ("todos", "todas", "nenhum", "nenhuma", "qualquer", "tudo")
_OPTOUT_NOISE = {
    "nao",
    "quer",
    "sem",
    "por",
    "favor",
    "de",
    "via",
    "e",
    "ou",
    "contato",
    "contatos",
    "receber",
    "mensagem",
    "mensagens",
    "canal",
    "canais",
    "optout",
    "opt",
    "out",
    "pelo",
    "pela",
    "no",
    "na",
    "em",
    "mais",
    "quero",
    "deseja",
}

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_NON_DIGIT_RE = re.compile(r"\D")
_DOC_PUNCT_RE = re.compile(r"[./-]")
_AMBIGUOUS_AMOUNT_RE = re.compile(r"-?\d{1,3}\.\d{3}")
_CONTACTS_SPLIT_RE = re.compile(r"[|,]")
_AMOUNT_RE = re.compile(
    r"^-?\d+$|^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+,\d+$|^-?\d+\.\d+$|^-?\d{1,3}(,\d{3})+\.\d+$"
)


def normalise_header(name: object) -> str:
    """``"Data de Vencimento"`` -> ``"data_de_vencimento"``, ``"E-mail"`` -> ``"e_mail"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM_RE.sub("_", text.lower()).strip("_")


@dataclass(slots=True)
class Debtor:
    """One validated portfolio row (one open debt)."""

    line: int
    id: str
    nome: str
    documento: str
    tipo_documento: str
    uf: str
    valor: Decimal
    vencimento: dt.date
    telefone: str | None = None
    celular: bool = False
    email: str | None = None
    valor_atualizado: Decimal | None = None
    descricao: str | None = None
    numero_documento: str | None = None
    link_pagamento: str | None = None
    pix_copia_e_cola: str | None = None
    pix_expira_em: str | None = None
    linha_digitavel: str | None = None
    objecao: str | None = None
    perfil: str | None = None
    nao_contatar: frozenset[str] = frozenset()
    ultimos_contatos: tuple[dt.datetime, ...] = ()
    relacao: str = DEFAULT_RELATION

    @property
    def documento_mascarado(self) -> str:
        d = self.documento
        if self.tipo_documento == "cpf":
            return f"***.{d[3:6]}.{d[6:9]}-**"
        return f"**.{d[2:5]}.{d[5:8]}/{d[8:12]}-**"

    @property
    def debt_key(self) -> str:
        """Identifies the debt across runs: the document number or else the due date."""
        return self.numero_documento or self.vencimento.isoformat()


@dataclass(slots=True)
class Rejection:
    """A row set aside: where it is, which field and why (pt-BR)."""

    line: int
    field: str
    reason: str
    debtor_id: str = ""
    category: str = "invalida"

    def as_row(self) -> dict[str, Any]:
        return {
            "linha": self.line,
            "devedor_id": self.debtor_id,
            "campo": self.field,
            "categoria": self.category,
            "motivo": self.reason,
        }


class RawChunk:
    """A slice of the input: raw cell values keyed by canonical column, with line numbers.

    Held either as one dict per row (``rows``) or, as the CSV and Parquet readers
    make it, as columns (canonical column -> values, one per row) plus the rows'
    width problems; each form is derived from the other on demand, and a chunk
    reads the same either way (``row(i)``, ``column(name)``).
    """

    __slots__ = ("_columns", "_errors", "_rows", "lines")

    def __init__(
        self,
        lines: list[int],
        rows: list[dict[str, Any]] | None = None,
        *,
        columns: dict[str, Sequence[Any]] | None = None,
        errors: dict[int, str] | None = None,
    ) -> None:
        self.lines = lines
        if columns is not None and rows is not None:
            raise ValueError("RawChunk: rows or columns, not both")
        self._columns = columns
        self._errors = errors or {}
        self._rows = rows if rows is not None or columns is not None else []

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [self.row(i) for i in range(len(self.lines))]
        return self._rows

    def __len__(self) -> int:
        return len(self.lines)

    def row(self, i: int) -> dict[str, Any]:
        """The raw row ``i``: canonical column -> value (``__erro__`` for a width problem)."""
        if self._columns is None:
            return self.rows[i]
        row = {name: values[i] for name, values in self._columns.items()}
        if i in self._errors:
            row["__erro__"] = self._errors[i]
        return row

    def column(self, name: str) -> Sequence[Any]:
        """Every row's value of one canonical column (None where absent)."""
        if self._columns is None:
            return [r.get(name) for r in self.rows]
        values = self._columns.get(name)
        return values if values is not None else [None] * len(self.lines)

    def error_rows(self) -> list[int]:
        """Indexes of the rows with a width problem (``__erro__``)."""
        if self._columns is None:
            return [i for i, r in enumerate(self.rows) if "__erro__" in r]
        return sorted(self._errors)

    def slice(self, start: int, stop: int) -> RawChunk:
        if self._columns is None:
            return RawChunk(self.lines[start:stop], self.rows[start:stop])
        return RawChunk(
            self.lines[start:stop],
            columns={k: v[start:stop] for k, v in self._columns.items()},
            errors={i - start: e for i, e in self._errors.items() if start <= i < stop},
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawChunk):
            return NotImplemented
        return self.lines == other.lines and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RawChunk(lines={self.lines!r}, rows={self.rows!r})"

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.lines, self._rows if self._columns is None else None, self._columns, self._errors)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.lines, self._rows, self._columns, self._errors = state


# --------------------------------------------------------------------------- reading


def count_rows(path: str | Path) -> int | None:
    """About how many rows the portfolio has, cheaply: lines after the header of a CSV
    (blank lines and line breaks inside quotes included), a Parquet file's row count;
    None for a spreadsheet (counting means reading it)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        lines = 0
        last = b"\n"
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"  # a last line without a line break
        return max(0, lines - 1)
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # a broken file: the reader says what is wrong
            return None
    return None


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_text_file(path: Path) -> None:
    """Raise a :class:`BatchError` saying what the file is when a ``.csv`` is not CSV text
    (a spreadsheet or Parquet file renamed, a UTF-16 export)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise BatchError(
            f"{path}: o arquivo tem extensão {path.suffix} mas é uma planilha do Excel (XLSX, ZIP). "
            "Renomeie para .xlsx ou, no Excel, salve como 'CSV UTF-8'."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BatchError(
            f"{path}: o arquivo tem extensão {path.suffix} mas é uma planilha do Excel antigo (XLS). "
            "No Excel, salve como 'CSV UTF-8' ou como .xlsx."
        )
    if head.startswith(b"PAR1"):
        raise BatchError(
            f"{path}: o arquivo tem extensão {path.suffix} mas é Parquet. Renomeie para .parquet."
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 4 and head.count(b"\x00") * 4 >= len(head)
    ):
        raise BatchError(
            f"{path}: o arquivo está em UTF-16 (o 'Texto Unicode' do Excel); o cobranca-kit lê CSV em "
            "UTF-8 ou Latin-1. No Excel, salve como 'CSV UTF-8 (delimitado por vírgulas)'."
        )
    if b"\x00" in head:
        raise BatchError(f"{path}: o arquivo é binário, não um CSV (tem bytes nulos no início).")


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the whole file decodes as UTF-8, else ``latin-1`` (Excel/ERP exports)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"


def detect_separator(header_line: str) -> str:
    """``;`` or ``,``: whichever splits the header into more columns (ties go to ``;``)."""
    semi, comma = header_line.count(";"), header_line.count(",")
    if semi == 0 and comma == 0:
        try:
            return csv.Sniffer().sniff(header_line, delimiters=";,\t|").delimiter
        except csv.Error:
            return ";"
    return ";" if semi >= comma else ","


def map_columns(headers: list[str], mapping: Mapping[str, str] | None, path: Path) -> dict[str, str]:
    """Source header -> canonical column, or a :class:`BatchError` naming what is missing."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(COLUMN_ALIASES))
    if unknown:
        raise BatchError(
            f"{path}: mapeamento de colunas com campo desconhecido: {', '.join(unknown)}. "
            f"Campos válidos: {', '.join(COLUMN_ALIASES)}."
        )
    by_norm = {normalise_header(h): h for h in headers}
    result: dict[str, str] = {}
    for canonical, source in mapping.items():
        if source not in headers and normalise_header(source) not in by_norm:
            raise BatchError(
                f"{path}: a coluna '{source}' indicada para '{canonical}' não existe no arquivo. "
                f"Colunas encontradas: {', '.join(map(str, headers))}."
            )
        result[source if source in headers else by_norm[normalise_header(source)]] = canonical
    taken = set(result.values())
    for canonical, aliases in COLUMN_ALIASES.items():
        if canonical in taken:
            continue
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in result:
                result[by_norm[alias]] = canonical
                taken.add(canonical)
                break
    missing = [c for c in REQUIRED_COLUMNS if c not in taken]
    if missing:
        raise BatchError(
            f"{path}: coluna(s) obrigatória(s) ausente(s): {', '.join(missing)}. "
            f"Colunas encontradas: {', '.join(map(str, headers))}. "
            "Indique o nome certo no parâmetro 'colunas' (ex.: -p colunas.documento CPF_CNPJ)."
        )
    return result


def read_raw_chunks(
    path: str | Path, mapping: Mapping[str, str] | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[RawChunk]:
    """Stream the portfolio as chunks of raw values keyed by canonical column.

    Line numbers are those a user sees: for CSV and XLSX the header is line 1; for
    Parquet the first row is line 1.
    """
    path = Path(path)
    if not path.is_file():
        raise BatchError(f"carteira não encontrada: {path}")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        check_text_file(path)
        yield from _csv_chunks(path, mapping, chunk_rows)
    elif suffix in {".xlsx", ".xlsm"}:
        yield from _xlsx_chunks(path, mapping, chunk_rows)
    elif suffix in {".parquet", ".pq"}:
        yield from _parquet_chunks(path, mapping, chunk_rows)
    else:
        raise BatchError(
            f"{path}: formato não suportado ({suffix or 'sem extensão'}); use CSV, XLSX ou Parquet."
        )


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file's records become rows: separator, (position, canonical column), width."""

    sep: str
    index: tuple[tuple[int, str], ...]
    width: int

    def row(self, record: list[str]) -> dict[str, Any]:
        """The raw row of one non-blank record (``__erro__`` when its width is wrong)."""
        if len(record) == self.width:
            row: dict[str, Any] = {c: record[i] for i, c in self.index}
        else:
            row = {c: (record[i] if i < len(record) else "") for i, c in self.index}
            row["__erro__"] = (
                f"a linha tem {len(record)} colunas e o cabeçalho tem {self.width} "
                f"(separador '{self.sep}'; confira aspas e separadores)"
            )
        return row


def _csv_start(path: Path, mapping: Mapping[str, str] | None, fh: Any) -> tuple[Any, CsvLayout]:
    """Read the header from ``fh`` (at the start); a csv reader positioned after it and the layout."""
    header_line = fh.readline()
    if not header_line.strip():
        raise BatchError(f"{path}: arquivo vazio ou sem cabeçalho.")
    sep = detect_separator(header_line)
    fh.seek(0)
    reader = csv.reader(fh, delimiter=sep)
    headers = next(reader)
    columns = map_columns(headers, mapping, path)
    index = tuple((i, columns[h]) for i, h in enumerate(headers) if h in columns)
    return reader, CsvLayout(sep, index, len(headers))


# A quoted field spanning more lines than this is an unclosed quote, not a cell
# with line breaks (a description written over a few lines).
MAX_RECORD_LINES = 50


class _RunawayQuote(Exception):
    """A record grew past :data:`MAX_RECORD_LINES` lines: a quote was never closed."""


class _LineFeed:
    """The lines of a CSV file handed to ``csv.reader`` one at a time.

    Remembers the lines the current record took, so a record swallowed by a stray
    quote can be undone: its first line is set aside and the others read again.
    """

    __slots__ = ("_lines", "_pending", "ended", "line", "taken")

    def __init__(self, lines: Iterator[str], line: int) -> None:
        self._lines = lines
        self.ended = False  # the file has no more lines
        self._pending: list[str] = []  # lines given back, read again (last first)
        self.line = line  # number of the last line handed out
        self.taken: list[str] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self._pending:
            text = self._pending.pop()
        else:
            try:
                text = next(self._lines)
            except StopIteration:
                self.ended = True
                raise
        self.line += 1
        self.taken.append(text)
        if len(self.taken) > MAX_RECORD_LINES:
            raise _RunawayQuote
        return text

    def give_back(self) -> str:
        """Undo the current record but its first line, which is returned."""
        first, rest = self.taken[0], self.taken[1:]
        self._pending.extend(reversed(rest))
        self.line -= len(rest)
        self.taken = []
        return first


def _unquoted_record(text: str, sep: str) -> list[str]:
    """A line split at every separator, quotes and all (for a line that cannot be parsed)."""
    return text.rstrip("\r\n").split(sep)


def _quote_problem(line: int, detail: str) -> str:
    return (
        f"aspas sem fechamento na linha {line}: {detail}; esta linha fica de fora e as "
        "seguintes são lidas normalmente (confira as aspas desta linha)"
    )


def _csv_records(lines: Iterator[str], layout: CsvLayout, line: int) -> Iterator[tuple[int, list[str], str]]:
    """``(line, record, problem)`` for each record after line ``line``; ``problem`` is "" for a good one.

    A record is normally one line; a quoted cell may hold line breaks. A stray quote
    would make the rest of the file one cell (or exceed the csv field limit): when a
    record spans lines and one of its later lines is itself a whole row, or it spans
    more than :data:`MAX_RECORD_LINES`, or the csv module rejects it, its first line is
    set aside with the problem and the following lines are read again, one by one.
    Every line is thus a record, part of one, or blank.
    """
    feed = _LineFeed(lines, line)
    reader = csv.reader(feed, delimiter=layout.sep)
    full_row = layout.width - 1  # separators of a whole row
    sep = layout.sep
    while True:
        feed.taken = []
        start = feed.line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except _RunawayQuote:
            first = feed.give_back()
            problem = _quote_problem(start, f"o campo aberto com aspas passou de {MAX_RECORD_LINES} linhas")
            yield start, _unquoted_record(first, sep), problem
            continue
        except csv.Error as exc:
            if len(feed.taken) > 1:
                first = feed.give_back()
                yield start, _unquoted_record(first, sep), _quote_problem(start, "campo grande demais")
            else:
                yield start, _unquoted_record(feed.taken[0], sep), _unreadable(start, exc)
            continue
        if feed.ended and record and record[-1].endswith(("\n", "\r")):
            # the file ended inside a quoted cell (the csv module keeps the open cell)
            yield start, _unquoted_record(feed.give_back(), sep), _quote_problem(start, "o arquivo terminou")
            continue
        if len(feed.taken) > 1 and (
            len(record) != layout.width
            or any(t.count(sep) >= full_row and '"' not in t for t in feed.taken[1:-1])
        ):
            # A record with cells spanning lines has the header's width, and a line in the
            # middle of it holds a quote wherever it holds separators (one cell closing,
            # the next opening); else a stray quote swallowed whole rows.
            first = feed.give_back()
            yield (
                start,
                _unquoted_record(first, sep),
                _quote_problem(start, "as linhas seguintes entraram no campo"),
            )
            continue
        yield start, record, ""


def _plain_records(block: CsvBlock) -> Iterator[tuple[int, list[str], str]]:
    """The records of lines without quotes (one per line), as :func:`_csv_records` gives them."""
    offset = block.first_line - 1
    reader = csv.reader(io.StringIO(block.text, newline=""), delimiter=block.layout.sep)
    while True:
        try:
            for record in reader:
                yield offset + reader.line_num, record, ""
            return
        except csv.Error as exc:
            line = offset + reader.line_num
            text = io.StringIO(block.text, newline="").readlines()[reader.line_num - 1]
            yield line, _unquoted_record(text, block.layout.sep), _unreadable(line, exc)


def _unreadable(line: int, exc: csv.Error) -> str:
    if "field limit" in str(exc):
        limit = f"{csv.field_size_limit():,}".replace(",", ".")
        return f"campo com mais de {limit} caracteres na linha {line}; confira aspas e separadores"
    return f"linha {line} ilegível no CSV ({exc}); confira aspas e separadores"


def _chunk_from_records(
    records: Iterator[tuple[int, list[str], str]], layout: CsvLayout, rows: int
) -> RawChunk:
    """Up to ``rows`` non-blank records of ``records`` as a columnar chunk.

    Each row holds the same values as ``layout.row(record)``: a record of the wrong
    width is padded with "" (or cut) to the header's width and its problem kept apart.
    """
    lines: list[int] = []
    records_out: list[list[str]] = []
    errors: dict[int, str] = {}
    width = layout.width
    add_line, add_record = lines.append, records_out.append
    for line, record, problem in records:
        # blank line (no cells, or only whitespace in every cell): not a row; the first
        # cell (usually the id) settles it for almost every line without a scan
        if not record or not (record[0].strip() or "".join(record).strip()):
            if not problem:
                continue
            record = [""]
        if problem:
            errors[len(records_out)] = problem
            record = (record + [""] * width)[:width]
        elif len(record) != width:
            errors[len(records_out)] = layout.row(record)["__erro__"]
            record = (record + [""] * width)[:width]
        add_line(line)
        add_record(record)
        if len(records_out) >= rows:
            break
    if not records_out:
        return RawChunk(lines=[])
    transposed = list(zip(*records_out, strict=True))
    return RawChunk(lines, columns={c: transposed[i] for i, c in layout.index}, errors=errors)


def _csv_chunks(path: Path, mapping: Mapping[str, str] | None, chunk_rows: int) -> Iterator[RawChunk]:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        reader, layout = _csv_start(path, mapping, fh)
        records = _csv_records(fh, layout, reader.line_num)
        while True:
            chunk = _chunk_from_records(records, layout, chunk_rows)
            if not chunk.lines:
                return
            yield chunk


@dataclass
class CsvBlock:
    """Consecutive whole lines of a CSV file without quotes, parsed where the work is done.

    In a file without quote characters every line is one record, so a block of
    lines is read exactly as the whole file would be (``tests/test_batch_portfolio.py``).
    """

    layout: CsvLayout
    first_line: int  # line number of the block's first line (the header is line 1)
    text: str

    def chunk(self) -> RawChunk:
        return _chunk_from_records(_plain_records(self), self.layout, len(self.text) + 1)


def csv_blocks(
    path: str | Path, mapping: Mapping[str, str] | None, block_lines: int
) -> Iterator[CsvBlock] | None:
    """The portfolio as blocks of ``block_lines`` lines, or None when it must go through
    :func:`read_raw_chunks` (not CSV, or quoted fields, which may span lines)."""
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".txt"} or not path.is_file():
        return None
    check_text_file(path)
    if _has_quote(path):
        return None
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as fh:
        reader, layout = _csv_start(path, mapping, fh)
        if reader.line_num != 1:
            return None
    return _blocks(path, encoding, layout, block_lines)


def _blocks(path: Path, encoding: str, layout: CsvLayout, block_lines: int) -> Iterator[CsvBlock]:
    with path.open("r", encoding=encoding, newline="") as fh:
        fh.readline()  # the header
        line = 2
        while True:
            lines = list(islice(fh, block_lines))
            if not lines:
                return
            yield CsvBlock(layout, line, "".join(lines))
            line += len(lines)


def _has_quote(path: Path) -> bool:
    with path.open("rb") as fh:
        return any(b'"' in block for block in iter(lambda: fh.read(1 << 20), b""))


def _xlsx_chunks(path: Path, mapping: Mapping[str, str] | None, chunk_rows: int) -> Iterator[RawChunk]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise BatchError(f"{path}: não foi possível abrir a planilha ({exc}).") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headers = [("" if h is None else str(h)) for h in next(rows, ())]
        if not any(headers):
            raise BatchError(f"{path}: planilha vazia ou sem cabeçalho na primeira linha.")
        columns = map_columns(headers, mapping, path)
        index = [(i, columns[h]) for i, h in enumerate(headers) if h in columns]
        chunk = RawChunk(lines=[])
        for line, record in enumerate(rows, start=2):
            if not record or all(c is None or str(c).strip() == "" for c in record):
                continue
            chunk.lines.append(line)
            chunk.rows.append({c: (record[i] if i < len(record) else None) for i, c in index})
            if len(chunk.rows) >= chunk_rows:
                yield chunk
                chunk = RawChunk(lines=[])
        if chunk.rows:
            yield chunk
    finally:
        book.close()


def _parquet_chunks(path: Path, mapping: Mapping[str, str] | None, chunk_rows: int) -> Iterator[RawChunk]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except Exception as exc:
        raise BatchError(f"{path}: não foi possível abrir o Parquet ({exc}).") from exc
    headers = list(source.schema_arrow.names)
    columns = map_columns(headers, mapping, path)
    line = 0
    for batch in source.iter_batches(batch_size=chunk_rows, columns=list(columns)):
        data = {columns[name]: batch.column(name).to_pylist() for name in batch.schema.names}
        n = batch.num_rows
        yield RawChunk(list(range(line + 1, line + n + 1)), columns=data)
        line += n


# --------------------------------------------------------------------------- parsing


class _Bad(Exception):
    def __init__(self, field: str, reason: str, category: str = "invalida") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.category = category


def _text(value: Any) -> str | None:
    if type(value) is str:  # the common case (CSV cells), checked first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def parse_amount(value: Any) -> Decimal:
    """``1.234,56``, ``R$ 1.234,56``, ``1234.56``, ``1234,56`` or a number -> ``Decimal``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("valor vazio")
        return Decimal(str(value))
    text = (_text(value) or "").replace("R$", "").replace("\xa0", "").replace(" ", "")
    if not text:
        raise ValueError("valor vazio")
    if not _AMOUNT_RE.match(text):
        raise ValueError(f"valor inválido: '{value}' (use 1.234,56 ou 1234.56)")
    if _AMBIGUOUS_AMOUNT_RE.fullmatch(text):
        raise ValueError(f"valor ambíguo: '{value}' (escreva 1.234,00 ou 1234.00)")
    if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise ValueError(f"valor inválido: '{value}'") from exc


_BR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: Any) -> dt.date:
    """``dd/mm/aaaa``, ISO ``aaaa-mm-dd`` (optionally with a time) or a date object."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        raise ValueError("data vazia")
    try:
        if "/" in text:
            match = _BR_DATE.match(text)
            if not match:
                raise ValueError(text)
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if len(text) > 10:
            return dt.datetime.fromisoformat(text).date()
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"data inválida: '{text}' (use dd/mm/aaaa ou aaaa-mm-dd)") from exc


def parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    text = _text(value) or ""
    try:
        if "/" in text:
            fmt = "%d/%m/%Y %H:%M" if ":" in text else "%d/%m/%Y"
            return dt.datetime.strptime(text, fmt)
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"data inválida: '{text}' (use dd/mm/aaaa ou aaaa-mm-dd)") from exc


def parse_relation(value: Any) -> str:
    """``"Terceiro"``, ``"desconhecido"``, empty -> a :data:`RELATIONS` id (empty: the debtor)."""
    text = _text(value)
    if not text:
        return DEFAULT_RELATION
    relation = normalise_header(text)
    if relation not in RELATIONS:
        raise ValueError(f"relação desconhecida: '{text}' (válidas: {', '.join(RELATIONS)})")
    return relation


def parse_optouts(value: Any) -> frozenset[str]:
    """``"não quer WhatsApp"``, ``"sms; email"``, ``"todos"`` -> channel ids.

    Unrecognised words raise, so an opt-out is never ignored by accident.
    """
    text = _text(value)
    if not text:
        return frozenset()
    words = [w for w in normalise_header(text).split("_") if w]
    joined = "_".join(words)
    found: set[str] = set()
    for channel, spellings in _OPTOUT_WORDS.items():
        if any(s in words or ("_" in s and s in joined) for s in spellings):
            found.add(channel)
    if any(w in _OPTOUT_ALL for w in words):
        return frozenset(_OPTOUT_WORDS)
    known = {w for spellings in _OPTOUT_WORDS.values() for s in spellings for w in s.split("_")}
    leftovers = [w for w in words if w not in known and w not in _OPTOUT_NOISE]
    if leftovers or not found:
        raise ValueError(
            f"restrição de contato não reconhecida: '{text}' "
            "(use nomes de canais: whatsapp, sms, email, telefone, ou 'todos')"
        )
    return frozenset(found)


@lru_cache(maxsize=16)
def prescription_limit(run_date: dt.date) -> dt.date:
    """Due dates before this are time-barred (5 years, CC art. 206 §5º I)."""
    try:
        return run_date.replace(year=run_date.year - PRESCRIPTION_YEARS)
    except ValueError:  # 29 February
        return run_date.replace(year=run_date.year - PRESCRIPTION_YEARS, day=28)


@lru_cache(maxsize=16)
def future_limit(run_date: dt.date) -> dt.date:
    """Due dates after this are not plausible (:data:`MAX_FUTURE_YEARS`)."""
    return prescription_limit(run_date).replace(year=run_date.year + MAX_FUTURE_YEARS)


def _absurd_amount(raw: Any) -> str:
    return f"valor implausível: '{raw}' (acima de R$ 100.000.000,00; confira a coluna)"


_CPF = CPF()
_CNPJ = CNPJ()
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _document(raw: Any) -> tuple[str, str]:
    text = _text(raw)
    if not text:
        raise _Bad("documento", "CPF/CNPJ vazio")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = str(int(raw))
    digits = _NON_DIGIT_RE.sub("", text)
    if len(digits) <= 11 and len(digits) >= 9 and not _DOC_PUNCT_RE.search(text):
        digits = digits.zfill(11)  # spreadsheets drop leading zeros of CPFs
    if len(digits) == 11:
        if not _CPF.validate(digits):
            raise _Bad("documento", f"CPF inválido: '{text}' (dígitos verificadores não conferem)")
        return digits, "cpf"
    if len(digits) == 14:
        if not _CNPJ.validate(digits):
            raise _Bad("documento", f"CNPJ inválido: '{text}' (dígitos verificadores não conferem)")
        return digits, "cnpj"
    raise _Bad("documento", f"CPF/CNPJ com número de dígitos errado: '{text}' (CPF tem 11, CNPJ tem 14)")


def _phone(raw: Any) -> tuple[str | None, bool]:
    text = _text(raw)
    if not text:
        return None, False
    if isinstance(raw, float):
        text = str(int(raw))
    try:
        number = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException as exc:
        raise _Bad("telefone", f"telefone inválido: '{text}'") from exc
    # ``number_type`` is UNKNOWN exactly when ``is_valid_number`` is false (both match the
    # number against its region's patterns), so the patterns are matched once, not twice.
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise _Bad("telefone", f"telefone inválido: '{text}' (confira o DDD e o número de dígitos)")
    mobile = kind in _MOBILE
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), mobile


def validate_row(raw: Mapping[str, Any], line: int, run_date: dt.date) -> Debtor | Rejection:
    """Validate one raw row; the first problem found becomes the rejection reason."""
    debtor_id = _text(raw.get("id")) or ""
    if isinstance(raw.get("id"), float) and float(raw["id"]).is_integer():
        debtor_id = str(int(raw["id"]))
    try:
        if "__erro__" in raw:
            raise _Bad("(linha)", raw["__erro__"])
        if not debtor_id:
            raise _Bad("id", "identificador do devedor vazio")
        nome = _text(raw.get("nome"))
        if not nome:
            raise _Bad("nome", "nome vazio")
        documento, tipo = _document(raw.get("documento"))
        uf = (_text(raw.get("uf")) or "").upper()
        if not uf:
            raise _Bad("uf", "UF vazia (necessária para a janela de horário do estado)")
        if uf not in UFS:
            raise _Bad("uf", f"UF desconhecida: '{uf}'")
        valor = _field("valor", parse_amount, raw.get("valor"))
        if valor <= 0:
            raise _Bad("valor", f"valor deve ser positivo: '{raw.get('valor')}'")
        if valor > MAX_AMOUNT:
            raise _Bad("valor", _absurd_amount(raw.get("valor")))
        valor_atualizado = None
        if _text(raw.get("valor_atualizado")):
            valor_atualizado = _field("valor_atualizado", parse_amount, raw.get("valor_atualizado"))
            if abs(valor_atualizado) > MAX_AMOUNT:
                raise _Bad("valor_atualizado", _absurd_amount(raw.get("valor_atualizado")))
        vencimento = _field("vencimento", parse_date, raw.get("vencimento"))
        if vencimento > future_limit(run_date):
            raise _Bad(
                "vencimento",
                f"vencimento improvável: {vencimento:%d/%m/%Y}, mais de {MAX_FUTURE_YEARS} anos à frente "
                "(confira a data; 31/12/9999 não é um vencimento)",
            )
        if vencimento < prescription_limit(run_date):
            raise _Bad(
                "vencimento",
                f"dívida prescrita: venceu em {vencimento:%d/%m/%Y}, há mais de {PRESCRIPTION_YEARS} anos; "
                "não pode ser cobrada (STJ)",
                category="prescrita",
            )
        telefone, celular = _phone(raw.get("telefone"))
        email = _text(raw.get("email"))
        if email and not _EMAIL_RE.match(email):
            raise _Bad("email", f"e-mail inválido: '{email}'")
        objecoes, perfis = _catalog_ids()
        objecao = _text(raw.get("objecao"))
        if objecao and objecao not in objecoes:
            raise _Bad("objecao", f"objeção desconhecida: '{objecao}' (válidas: {', '.join(objecoes)})")
        perfil = _text(raw.get("perfil"))
        if perfil and perfil not in perfis:
            raise _Bad("perfil", f"perfil desconhecido: '{perfil}' (válidos: {', '.join(perfis)})")
        optouts = _field("nao_contatar", parse_optouts, raw.get("nao_contatar"))
        contatos = _field("ultimos_contatos", _contacts, raw.get("ultimos_contatos"))
        relacao = _field("relacao", parse_relation, raw.get("relacao"))
        link = _text(raw.get("link_pagamento"))
        if link and not link.startswith("https://"):
            raise _Bad("link_pagamento", f"link de pagamento deve começar com https://: '{link}'")
    except _Bad as bad:
        return Rejection(line, bad.field, bad.reason, debtor_id, bad.category)
    return Debtor(
        line=line,
        id=debtor_id,
        nome=nome,
        documento=documento,
        tipo_documento=tipo,
        uf=uf,
        valor=valor,
        vencimento=vencimento,
        telefone=telefone,
        celular=celular,
        email=email,
        valor_atualizado=valor_atualizado,
        descricao=_text(raw.get("descricao")),
        numero_documento=_text(raw.get("numero_documento")),
        link_pagamento=link,
        pix_copia_e_cola=_text(raw.get("pix_copia_e_cola")),
        pix_expira_em=_text(raw.get("pix_expira_em")),
        linha_digitavel=_text(raw.get("linha_digitavel")),
        objecao=objecao,
        perfil=perfil,
        nao_contatar=optouts,
        ultimos_contatos=contatos,
        relacao=relacao,
    )


@lru_cache(maxsize=1)
def _catalog_ids() -> tuple[tuple[str, ...], tuple[str, ...]]:
    cat = get_catalog()
    return tuple(cat.ids("objecoes")), tuple(cat.ids("perfis"))


def _field(name: str, parser: Any, value: Any) -> Any:
    try:
        return parser(value)
    except ValueError as exc:
        raise _Bad(name, str(exc)) from exc


def _contacts(value: Any) -> tuple[dt.datetime, ...]:
    if isinstance(value, dt.datetime | dt.date):
        return (
            parse_datetime(value)
            if isinstance(value, dt.datetime)
            else dt.datetime.combine(value, dt.time(12)),
        )
    text = _text(value)
    if not text:
        return ()
    out = []
    for piece in _CONTACTS_SPLIT_RE.split(text):
        piece = piece.strip()
        if piece:
            when = parse_datetime(piece)
            out.append(when if (":" in piece or "T" in piece) else when.replace(hour=12))
    return tuple(out)


def validate_chunk(chunk: RawChunk, run_date: dt.date) -> tuple[list[Debtor], list[Rejection]]:
    accepted: list[Debtor] = []
    rejected: list[Rejection] = []
    for i, line in enumerate(chunk.lines):
        result = validate_row(chunk.row(i), line, run_date)
        (accepted if isinstance(result, Debtor) else rejected).append(result)  # type: ignore[arg-type]
    return accepted, rejected
