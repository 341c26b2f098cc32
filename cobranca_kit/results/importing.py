"""Importing outcomes: payments from an ERP or bank, replies/opt-outs/complaints.

Payments: CSV (``;`` or ``,``, UTF-8 or Latin-1), XLSX or Parquet with the
debtor id, the paid date and the amount (a Pix ``txid``/``endToEndId`` is kept and
used as the payment's key). Events: a simple CSV with debtor id, date and type
(``resposta``, ``descadastro``, ``reclamacao``). Rows are validated like the
portfolio: a bad row is set aside with line, field and a pt-BR reason, the rest
goes in. Every row gets a natural key, so importing the same file again adds
nothing (``INSERT OR IGNORE``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cobranca_kit.batch.portfolio import (
    Rejection,
    _text,
    detect_encoding,
    detect_separator,
    normalise_header,
    parse_amount,
    parse_date,
)
from cobranca_kit.errors import BatchError
from cobranca_kit.formatting import contagem
from cobranca_kit.results.store import connect

PAYMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "devedor_id": ("devedor_id", "id_devedor", "id", "cliente_id", "codigo_cliente", "cod_cliente", "codigo"),
    "txid": ("txid", "tx_id", "id_transacao"),
    "end_to_end_id": ("end_to_end_id", "endtoendid", "e2e", "e2e_id", "e2eid", "id_fim_a_fim"),
    "data_pagamento": ("data_pagamento", "pago_em", "dt_pagamento", "data_credito", "data"),
    "valor": ("valor", "valor_pago", "valor_recebido", "valor_pagamento"),
}
EVENT_ALIASES: dict[str, tuple[str, ...]] = {
    "devedor_id": ("devedor_id", "id_devedor", "id", "cliente_id", "codigo_cliente", "cod_cliente", "codigo"),
    "data": ("data", "data_evento", "quando", "data_hora"),
    "tipo": ("tipo", "evento", "tipo_evento"),
    "canal": ("canal",),
    "detalhe": ("detalhe", "texto", "mensagem", "observacao"),
}
EVENT_TYPES = {
    "resposta": "resposta",
    "respondeu": "resposta",
    "descadastro": "descadastro",
    "opt_out": "descadastro",
    "optout": "descadastro",
    "sair": "descadastro",
    "parar": "descadastro",
    "reclamacao": "reclamacao",
    "queixa": "reclamacao",
    "procon": "reclamacao",
    "reclame_aqui": "reclamacao",
}
REJECTED_COLUMNS = ["linha", "devedor_id", "campo", "categoria", "motivo"]


@dataclass
class ImportReport:
    """What an import did; ``read`` = ``new`` + ``repeated`` + ``len(rejected)``."""

    path: Path
    kind: str  # "pagamentos" | "eventos"
    read: int = 0
    new: int = 0
    repeated: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_file: Path | None = None

    def text(self) -> str:
        out = (
            f"{self.path.name} ({self.kind}): {contagem(self.read, 'linha')} = "
            f"{contagem(self.new, 'nova')} + {contagem(self.repeated, 'já importada', 'já importadas')} + "
            f"{contagem(len(self.rejected), 'rejeitada')}"
        )
        if self.rejected_file is not None:
            out += f"\nlinhas rejeitadas (linha, campo, motivo): {self.rejected_file}"
        return out


def _rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Headers and (line, values) of a CSV, XLSX or Parquet file (line 1 = header)."""
    if not path.is_file():
        raise BatchError(f"arquivo não encontrado: {path}")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        encoding = detect_encoding(path)
        with path.open("r", encoding=encoding, newline="") as fh:
            first = fh.readline()
            if not first.strip():
                raise BatchError(f"{path}: arquivo vazio ou sem cabeçalho.")
            fh.seek(0)
            records = list(csv.reader(fh, delimiter=detect_separator(first)))
        body = [(i, r) for i, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
        return records[0], iter(body)
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise BatchError(f"{path}: não foi possível abrir a planilha ({exc}).") from exc
        try:
            values = list(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
        if not values:
            raise BatchError(f"{path}: planilha vazia.")
        headers = ["" if h is None else str(h) for h in values[0]]
        body = [
            (i, list(r))
            for i, r in enumerate(values[1:], start=2)
            if any(c is not None and str(c).strip() for c in r)
        ]
        return headers, iter(body)
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise BatchError(f"{path}: não foi possível abrir o Parquet ({exc}).") from exc
        columns = [table.column(n).to_pylist() for n in table.column_names]
        return list(table.column_names), iter(enumerate(map(list, zip(*columns, strict=True)), start=1))
    raise BatchError(f"{path}: formato não suportado ({suffix or 'sem extensão'}); use CSV, XLSX ou Parquet.")


def _map(headers: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    normal = [normalise_header(h) for h in headers]
    found: dict[str, int] = {}
    for name, options in aliases.items():
        for option in options:
            if option in normal and normal.index(option) not in found.values():
                found[name] = normal.index(option)
                break
    return found


def detect_kind(headers: list[str]) -> str:
    """``eventos`` when the file has a type column, else ``pagamentos``."""
    return "eventos" if "tipo" in _map(headers, EVENT_ALIASES) else "pagamentos"


def _emv_fields(text: str) -> dict[str, str]:
    """Top-level fields of an EMV (Pix BR Code) string: id -> value; {} when malformed."""
    out: dict[str, str] = {}
    i = 0
    while i + 4 <= len(text):
        tag, size = text[i : i + 2], text[i + 2 : i + 4]
        if not size.isdigit() or i + 4 + int(size) > len(text):
            return {}
        out[tag] = text[i + 4 : i + 4 + int(size)]
        i += 4 + int(size)
    return out


def pix_txid(copia_e_cola: str) -> str | None:
    """The txid of a Pix "copia e cola" (field 62, sub-field 05), or None."""
    extra = _emv_fields(copia_e_cola.strip()).get("62")
    txid = _emv_fields(extra).get("05") if extra else None
    return txid if txid and txid != "***" else None


def txids_from_portfolio(path: str | Path) -> dict[str, str]:
    """txid -> debtor id, from the ``pix_copia_e_cola`` column of a portfolio file."""
    from cobranca_kit.batch.portfolio import read_raw_chunks

    found: dict[str, str] = {}
    for chunk in read_raw_chunks(path):
        for debtor, code in zip(chunk.column("id"), chunk.column("pix_copia_e_cola"), strict=True):
            txid = pix_txid(_text(code) or "")
            if txid and _text(debtor):
                found[txid] = str(_text(debtor))
    return found


def _key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


def import_outcomes(
    path: str | Path,
    ledger_path: str | Path,
    *,
    kind: str | None = None,
    today: dt.date | None = None,
    rejected_path: Path | None = None,
    txids: dict[str, str] | None = None,
) -> ImportReport:
    """Validate and store one file of payments or events in the ledger database.

    Dates after ``today`` are rejected (a typo such as 2062 would otherwise count as
    a payment forever). ``rejected_path`` (default ``<file>.rejeitados.csv`` beside
    the input) gets the rejected rows when there are any. ``txids`` (txid -> debtor id,
    see :func:`txids_from_portfolio`) identifies payments that carry only a Pix txid.
    """
    path = Path(path)
    today = today or dt.date.today()
    headers, rows = _rows(path)
    kind = kind or detect_kind(headers)
    if kind not in ("pagamentos", "eventos"):
        raise BatchError(f"tipo de arquivo desconhecido: '{kind}' (use pagamentos ou eventos)")
    aliases = PAYMENT_ALIASES if kind == "pagamentos" else EVENT_ALIASES
    columns = _map(headers, aliases)
    required = (
        ("devedor_id", "data_pagamento", "valor") if kind == "pagamentos" else ("devedor_id", "data", "tipo")
    )
    if kind == "pagamentos" and txids and "txid" in columns:
        required = required[1:]  # the txid stands for the debtor
    missing = [c for c in required if c not in columns]
    if missing:
        raise BatchError(
            f"{path}: coluna(s) obrigatória(s) ausente(s) para {kind}: {', '.join(missing)}. "
            f"Colunas encontradas: {', '.join(map(str, headers))}."
        )
    report = ImportReport(path, kind)
    seen: Counter[str] = Counter()
    records: list[tuple[Any, ...]] = []
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for line, values in rows:
        report.read += 1
        raw = {name: (values[i] if i < len(values) else None) for name, i in columns.items()}
        if txids and not _text(raw.get("devedor_id")) and _text(raw.get("txid")):
            raw["devedor_id"] = txids.get(str(_text(raw.get("txid"))))
        parsed = (_payment if kind == "pagamentos" else _event)(raw, line, today)
        if isinstance(parsed, Rejection):
            report.rejected.append(parsed)
            continue
        base, fields = parsed
        seen[base] += 1
        key = base if base.startswith(("e2e:", "txid:")) else _key(base, seen[base])
        records.append((key, *fields, path.name, now))
    with connect(ledger_path) as conn:
        before = conn.total_changes
        if kind == "pagamentos":
            conn.executemany("INSERT OR IGNORE INTO pagamentos VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
        else:
            conn.executemany("INSERT OR IGNORE INTO eventos VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
        conn.commit()
        report.new = conn.total_changes - before
    report.repeated = len(records) - report.new
    if report.rejected:
        report.rejected_file = rejected_path or path.with_name(path.stem + ".rejeitados.csv")
        with report.rejected_file.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=REJECTED_COLUMNS, delimiter=";")
            writer.writeheader()
            writer.writerows(r.as_row() for r in report.rejected)
    return report


def _date(raw: Any, name: str, line: int, debtor: str, today: dt.date) -> dt.date | Rejection:
    try:
        value = parse_date(raw)
    except ValueError as exc:
        return Rejection(line, name, str(exc), debtor)
    if value > today:
        return Rejection(line, name, f"data no futuro: {value:%d/%m/%Y} (hoje é {today:%d/%m/%Y})", debtor)
    return value


def _payment(raw: dict[str, Any], line: int, today: dt.date) -> tuple[str, tuple[Any, ...]] | Rejection:
    debtor = _text(raw.get("devedor_id")) or ""
    txid = _text(raw.get("txid"))
    e2e = _text(raw.get("end_to_end_id"))
    if not debtor:
        reason = "devedor_id vazio"
        if txid or e2e:
            reason += (
                ": o txid/endToEndId não identifica o devedor; inclua o código do devedor "
                "ou indique a carteira (--carteira) para ler o txid do Pix copia e cola"
            )
        return Rejection(line, "devedor_id", reason)
    when = _date(raw.get("data_pagamento"), "data_pagamento", line, debtor, today)
    if isinstance(when, Rejection):
        return when
    try:
        amount = parse_amount(raw.get("valor"))
    except ValueError as exc:
        return Rejection(line, "valor", str(exc), debtor)
    if amount <= 0:
        return Rejection(line, "valor", f"valor pago deve ser positivo: {raw.get('valor')}", debtor)
    cents = int((amount * 100).quantize(Decimal(1)))
    base = f"e2e:{e2e}" if e2e else (f"txid:{txid}" if txid else f"{debtor}|{when}|{cents}")
    return base, (debtor, when.isoformat(), cents, txid, e2e)


def _event(raw: dict[str, Any], line: int, today: dt.date) -> tuple[str, tuple[Any, ...]] | Rejection:
    debtor = _text(raw.get("devedor_id")) or ""
    if not debtor:
        return Rejection(line, "devedor_id", "devedor_id vazio")
    when = _date(raw.get("data"), "data", line, debtor, today)
    if isinstance(when, Rejection):
        return when
    kind = EVENT_TYPES.get(normalise_header(_text(raw.get("tipo")) or ""))
    if kind is None:
        return Rejection(
            line,
            "tipo",
            f"tipo desconhecido: '{raw.get('tipo') or ''}' (use resposta, descadastro ou reclamacao)",
            debtor,
        )
    channel = _text(raw.get("canal"))
    detail = _text(raw.get("detalhe"))
    return f"{debtor}|{when}|{kind}|{channel}|{detail}", (debtor, when.isoformat(), kind, channel, detail)
