"""Writing a run's files into ``runs/<run-id>/``, atomically.

Everything is written into a hidden staging folder (``runs/.<run-id>.parcial``)
and renamed to ``runs/<run-id>`` only when complete, so a crash never leaves a
folder that looks like a finished run. Messages are appended chunk by chunk
(CSV and Parquet), so memory stays flat for large portfolios.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cobranca_kit.batch.plan import Deferred, PlannedMessage, Skipped
from cobranca_kit.batch.portfolio import Rejection
from cobranca_kit.csvsafe import FORMULA_START, PLAIN_NUMBER, csv_safe_row
from cobranca_kit.errors import BatchError

MESSAGE_COLUMNS = [
    "devedor_id",
    "linha",
    "passo",
    "estagio",
    "canal",
    "destino",
    "modelo_id",
    "modelo_versao",
    "parte",
    "texto",
    "assunto",
    "agendado_para",
    "codificacao",
    "segmentos",
    "experimento",
    "variante",
    "status",
    "motivo",
]
REJECTED_COLUMNS = ["linha", "devedor_id", "campo", "categoria", "motivo"]
DEFERRED_COLUMNS = ["linha", "devedor_id", "passo", "estagio", "canal", "motivo", "proximo_contato_em"]
SKIPPED_COLUMNS = ["linha", "devedor_id", "passo", "estagio", "categoria", "motivo"]
# Debtors moved to another channel than the régua's first usable one, and why.
DECISION_COLUMNS = ["linha", "devedor_id", "passo", "estagio", "canal_usado", "motivo"]

_MESSAGE_SCHEMA = pa.schema(
    [
        (name, pa.int64() if name in {"linha", "modelo_versao", "segmentos"} else pa.string())
        for name in MESSAGE_COLUMNS
    ]
)

# Message rows gathered before a Parquet write, so row groups stay large when
# chunks arrive in small pieces (worker tasks).
PARQUET_ROW_GROUP_ROWS = 50_000

STAGING_SUFFIX = ".parcial"
FAILED_SUFFIX = ".falhou"


def staging_dir(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f".{run_id}{STAGING_SUFFIX}"


def message_rows(
    message: PlannedMessage, status: str = "agendada", reason: str = ""
) -> list[tuple[Any, ...]]:
    """One row per message part, in ``MESSAGE_COLUMNS`` order (e-mail rows carry the subject)."""
    subject = dict(message.parts).get("assunto", "") if message.channel == "email" else ""
    when = message.scheduled_at.isoformat(timespec="minutes")
    head = (
        message.debtor_id,
        message.line,
        message.step,
        message.stage,
        message.channel,
        message.destination,
        message.template_id,
        message.template_version,
    )
    tail = (
        subject,
        when,
        message.encoding,
        message.segments,
        message.experiment,
        message.variant,
        status,
        reason,
    )
    return [(*head, name, text, *tail) for name, text in message.parts]


@dataclass
class EncodedMessages:
    """A chunk's message rows already encoded for ``mensagens.csv`` and ``mensagens.parquet``.

    Built where the chunk is planned (possibly a worker process), so the process
    that writes the files only selects the messages that passed the frequency caps
    and copies bytes and Arrow buffers, instead of converting every value itself.
    """

    csv_bytes: bytes  # the rows of every message, CSV-encoded (``;``, UTF-8), in message order
    csv_ends: list[int]  # end offset in ``csv_bytes`` of each message's rows
    row_counts: list[int]  # rows (message parts) per message
    table: pa.Table  # the same rows, ``MESSAGE_COLUMNS``

    def __len__(self) -> int:
        return len(self.row_counts)

    @property
    def csv_text(self) -> str:
        return self.csv_bytes.decode("utf-8")

    def select(self, keep: Sequence[bool]) -> tuple[bytes, pa.Table]:
        """CSV bytes and Arrow rows of the messages whose ``keep`` flag is true."""
        if len(keep) != len(self.row_counts):
            raise BatchError(
                f"seleção de mensagens com {len(keep)} marcas para {len(self.row_counts)} mensagens"
            )
        if all(keep):
            return self.csv_bytes, self.table
        wanted = np.asarray(keep, dtype=bool)
        ends = np.asarray(self.csv_ends, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        # Runs of consecutive kept messages, each copied as one slice.
        edges = np.diff(np.concatenate(([False], wanted, [False])).astype(np.int8))
        first, after = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        view = memoryview(self.csv_bytes)
        data = b"".join(view[starts[a] : ends[b - 1]] for a, b in zip(first, after, strict=True))
        mask = np.repeat(wanted, self.row_counts)
        return data, self.table.filter(pa.array(mask, type=pa.bool_()))

    def spill(self, path: Path) -> SpilledMessages:
        """Write these rows to ``path`` (CSV bytes, then the table as an Arrow stream).

        A worker hands its encoded rows over this way rather than through the result
        pipe: a pipe holds 64 KiB, so megabytes of rows would take dozens of round
        trips, each waiting for the busy writing process to let its reader thread
        run, and the worker would sit idle meanwhile.
        """
        with path.open("wb") as fh:
            fh.write(self.csv_bytes)
            with pa.ipc.new_stream(fh, self.table.schema) as stream:
                stream.write_table(self.table)
        return SpilledMessages(path, len(self.csv_bytes), self.csv_ends, self.row_counts)


@dataclass
class SpilledMessages:
    """:class:`EncodedMessages` waiting in a file (see :meth:`EncodedMessages.spill`)."""

    path: Path
    csv_size: int
    csv_ends: list[int]
    row_counts: list[int]

    def __len__(self) -> int:
        return len(self.row_counts)

    def load(self) -> EncodedMessages:
        """The rows back, read in one go; the file is removed."""
        data = self.path.read_bytes()
        self.path.unlink()
        table = pa.ipc.open_stream(pa.py_buffer(data)[self.csv_size :]).read_all()
        return EncodedMessages(data[: self.csv_size], self.csv_ends, self.row_counts, table)


# Characters that make ``csv.writer`` (``;`` delimiter, minimal quoting, ``\r\n``
# line ends) put a field in quotes.
_NEEDS_QUOTES = '[;"\r\n]'

# CSV injection: see ``cobranca_kit.csvsafe`` (the same rule, column by column here).
# Only the CSV files get it; ``mensagens.parquet`` keeps the values untouched.


def _formula_safe(values: pa.Array) -> pa.Array:
    """:func:`csv_safe` over an Arrow string column."""
    risky = pc.match_substring_regex(values, FORMULA_START)
    if not pc.any(risky).as_py():
        return values
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(values, PLAIN_NUMBER)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", values, ""), values)


def _csv_field(values: pa.Array) -> pa.Array:
    """Each value as ``csv.writer`` writes :func:`csv_safe` of it: quoted (inner quotes
    doubled) when it has to be."""
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.string())
    values = _formula_safe(values)
    needs = pc.match_substring_regex(values, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return values
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, values)


def _contiguous_bytes(values: pa.Array) -> bytes:
    """The UTF-8 bytes of all strings of ``values`` (no nulls), back to back."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = values.buffers()[2]
    if data is None or not len(values):
        return b""
    return data[int(offsets[0]) : int(offsets[-1])].to_pybytes()


# Messages encoded in one go: keeps each Arrow string array far below its 2 GiB limit.
ENCODE_BATCH_MESSAGES = 10_000


def encode_messages(messages: Iterable[PlannedMessage]) -> EncodedMessages:
    """Encode messages as ``mensagens.csv`` bytes and an Arrow table (see :class:`EncodedMessages`).

    Column by column with Arrow: the same text ``csv.writer`` gives row by row (see
    ``tests/test_batch_outputs.py``), without a Python call per field.
    """
    messages = list(messages)
    if len(messages) <= ENCODE_BATCH_MESSAGES:
        return _encode_batch(messages)
    parts = [
        _encode_batch(messages[i : i + ENCODE_BATCH_MESSAGES])
        for i in range(0, len(messages), ENCODE_BATCH_MESSAGES)
    ]
    ends: list[int] = []
    offset = 0
    for part in parts:
        ends += [offset + end for end in part.csv_ends]
        offset += len(part.csv_bytes)
    return EncodedMessages(
        b"".join(p.csv_bytes for p in parts),
        ends,
        [n for p in parts for n in p.row_counts],
        pa.concat_tables([p.table for p in parts]),
    )


def _encode_batch(messages: list[PlannedMessage]) -> EncodedMessages:
    counts = [len(m.parts) for m in messages]
    rows = sum(counts)
    if not rows:
        return EncodedMessages(b"", [0] * len(messages), counts, _MESSAGE_SCHEMA.empty_table())
    # Formatted once per slot object (planners share them). Keyed by identity: equal
    # instants in two time zones are equal datetimes but print different hours.
    when: dict[int, str] = {}
    for m in messages:
        if id(m.scheduled_at) not in when:
            when[id(m.scheduled_at)] = m.scheduled_at.isoformat(timespec="minutes")
    per_message: dict[str, list[Any]] = {
        "devedor_id": [m.debtor_id for m in messages],
        "linha": [m.line for m in messages],
        "passo": [m.step for m in messages],
        "estagio": [m.stage for m in messages],
        "canal": [m.channel for m in messages],
        "destino": [m.destination for m in messages],
        "modelo_id": [m.template_id for m in messages],
        "modelo_versao": [m.template_version for m in messages],
        "assunto": [dict(m.parts).get("assunto", "") if m.channel == "email" else "" for m in messages],
        "agendado_para": [when[id(m.scheduled_at)] for m in messages],
        "codificacao": [m.encoding for m in messages],
        "segmentos": [m.segments for m in messages],
        "experimento": [m.experiment for m in messages],
        "variante": [m.variant for m in messages],
    }
    per_part = {
        "parte": [name for m in messages for name, _ in m.parts],
        "texto": [text for m in messages for _, text in m.parts],
    }
    take = pa.array(np.repeat(np.arange(len(messages), dtype=np.int64), counts))
    columns: list[pa.Array] = []
    fields: list[pa.Array] = []  # the same, as CSV fields
    for field in _MESSAGE_SCHEMA:
        name = field.name
        if name in per_part:
            column = pa.array(per_part[name], type=field.type)
            text = _csv_field(column)
        elif name in per_message:
            values = pa.array(per_message[name], type=field.type)
            column = pc.take(values, take)
            text = pc.take(_csv_field(values), take)  # quoted once per message, not per part
        elif name == "status":
            column = text = pa.array(["agendada"] * rows, type=pa.string())
        else:  # motivo, empty: the CSV field is nothing, then the line end
            column = pa.array([""] * rows, type=pa.string())
            text = pa.array(["\r\n"] * rows, type=pa.string())
        columns.append(column)
        fields.append(text)
    table = pa.Table.from_arrays(columns, schema=_MESSAGE_SCHEMA)
    lines = pc.binary_join_element_wise(*fields, ";")
    row_ends = np.cumsum(pc.binary_length(lines).to_numpy(zero_copy_only=False), dtype=np.int64)
    last_row = np.cumsum(counts, dtype=np.int64) - 1
    ends = np.where(last_row >= 0, row_ends[np.maximum(last_row, 0)], 0)
    return EncodedMessages(_contiguous_bytes(lines), ends.tolist(), counts, table)


class RunWriter:
    """Streams a run's outputs into a staging folder; :meth:`finish` publishes it.

    ``final_dir`` is where the run ends up. With ``publish=False`` the caller
    (the papermill wrapper) renames the staging folder itself, after adding the
    executed notebook.
    """

    def __init__(self, runs_dir: str | Path, run_id: str, *, staging: Path | None = None) -> None:
        self.runs_dir = Path(runs_dir)
        self.run_id = run_id
        self.final_dir = self.runs_dir / run_id
        if self.final_dir.exists():
            raise BatchError(f"a pasta da execução já existe: {self.final_dir}")
        self.dir = staging or staging_dir(self.runs_dir, run_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Any] = {}
        self._writers: dict[str, csv.DictWriter[str]] = {}
        self._parquet: pq.ParquetWriter | None = None
        self._parquet_pending: list[pa.Table] = []  # small selections, gathered into one row group
        self._parquet_pending_rows = 0
        self._jsonl = None
        self._emails = 0
        self._open_messages_csv()
        self._open_csv("rejeitados.csv", REJECTED_COLUMNS)
        self._open_csv("adiados.csv", DEFERRED_COLUMNS)
        self._open_csv("ignorados.csv", SKIPPED_COLUMNS)
        self._open_csv("decisoes.csv", DECISION_COLUMNS)

    def _open_messages_csv(self) -> None:
        """``mensagens.csv`` takes encoded bytes: opened binary, with the BOM and header a text file gets."""
        header = io.StringIO(newline="")
        csv.writer(header, delimiter=";").writerow(MESSAGE_COLUMNS)
        fh = (self.dir / "mensagens.csv").open("wb")
        fh.write(codecs.BOM_UTF8 + header.getvalue().encode("utf-8"))
        self._files["mensagens.csv"] = fh

    def _open_csv(self, name: str, columns: list[str]) -> None:
        # utf-8-sig so Excel opens accents right; ';' is what Brazilian Excel expects.
        fh = (self.dir / name).open("w", encoding="utf-8-sig", newline="")
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=";")
        writer.writeheader()
        self._files[name] = fh
        self._writers[name] = writer

    # -- streaming
    def write_messages(self, messages: Iterable[PlannedMessage]) -> None:
        messages = list(messages)
        self.write_encoded(messages, encode_messages(messages), [True] * len(messages))

    def write_encoded(
        self, messages: Sequence[PlannedMessage], encoded: EncodedMessages, keep: Sequence[bool]
    ) -> None:
        """Write the messages flagged in ``keep`` (``encoded`` holds the rows of all ``messages``).

        ``messages`` only supplies the WhatsApp payloads and e-mail files; their
        ``parts`` may have been dropped once encoded.
        """
        if len(messages) != len(encoded):
            raise BatchError(f"{len(messages)} mensagens, mas {len(encoded)} codificadas")
        for message in compress(messages, keep):
            if message.whatsapp_payload is not None:
                self._payload(message.whatsapp_payload)
            if message.eml is not None:
                self._eml(message)
        data, table = encoded.select(keep)
        if not table.num_rows:
            return
        self._files["mensagens.csv"].write(data)
        self._parquet_pending.append(table)
        self._parquet_pending_rows += table.num_rows
        if self._parquet_pending_rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        if not self._parquet_pending:
            return
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.dir / "mensagens.parquet", _MESSAGE_SCHEMA)
        self._parquet.write_table(pa.concat_tables(self._parquet_pending))
        self._parquet_pending = []
        self._parquet_pending_rows = 0

    def _payload(self, payload: dict[str, Any]) -> None:
        if self._jsonl is None:
            self._jsonl = (self.dir / "whatsapp_payloads.jsonl").open("w", encoding="utf-8")
        self._jsonl.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")

    def _eml(self, message: PlannedMessage) -> None:
        folder = self.dir / "emails"
        if self._emails == 0:
            folder.mkdir(exist_ok=True)
        self._emails += 1
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", message.debtor_id)[:60]
        assert message.eml is not None
        (folder / f"{message.line:07d}_{safe}_{message.step}.eml").write_bytes(message.eml)

    # The rows of these files as tuples in column order: what DictWriter writes for
    # ``as_row()``, without building a dict per row.
    _REJECTED_ROW = attrgetter("line", "debtor_id", "field", "category", "reason")
    _SKIPPED_ROW = attrgetter("line", "debtor_id", "step", "stage", "category", "reason")

    def write_rejected(self, rows: Iterable[Rejection]) -> None:
        self._writers["rejeitados.csv"].writer.writerows(csv_safe_row(self._REJECTED_ROW(r)) for r in rows)

    def write_deferred(self, rows: Iterable[Deferred]) -> None:
        self._writers["adiados.csv"].writer.writerows(csv_safe_row(tuple(r.as_row().values())) for r in rows)

    def write_decisions(self, messages: Iterable[PlannedMessage]) -> None:
        """A row per message planned on a later channel because the earlier ones failed."""
        self._writers["decisoes.csv"].writer.writerows(
            (m.line, m.debtor_id, m.step, m.stage, m.channel, m.fallback) for m in messages if m.fallback
        )

    def write_skipped(self, rows: Iterable[Skipped]) -> None:
        self._writers["ignorados.csv"].writer.writerows(csv_safe_row(self._SKIPPED_ROW(r)) for r in rows)

    # -- closing
    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None
        self._flush_parquet()
        if self._parquet is None:
            # An empty run still gets a readable (empty) Parquet file.
            pq.write_table(_MESSAGE_SCHEMA.empty_table(), self.dir / "mensagens.parquet")
        else:
            self._parquet.close()
            self._parquet = None

    def write_summary(self, summary: dict[str, Any]) -> None:
        text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False, default=str)
        (self.dir / "resumo.json").write_text(text + "\n", encoding="utf-8")

    def publish(self) -> Path:
        """Rename the staging folder to ``runs/<run-id>`` (atomic on one file system)."""
        return publish(self.dir, self.final_dir)

    def abort(self) -> Path | None:
        """Close files and mark the staging folder as failed (kept for diagnosis)."""
        with contextlib.suppress(Exception):  # closing after a failure must not hide the first error
            self.close()
        return mark_failed(self.dir, self.runs_dir, self.run_id)


def publish(staging: Path, final_dir: Path) -> Path:
    if final_dir.exists():
        raise BatchError(f"a pasta da execução já existe: {final_dir}")
    os.replace(staging, final_dir)
    return final_dir


def mark_failed(staging: Path, runs_dir: Path, run_id: str) -> Path | None:
    """``runs/.<id>.parcial`` -> ``runs/<id>.falhou`` (no ``resumo.json`` inside: not a finished run)."""
    if not staging.exists():
        return None
    summary = staging / "resumo.json"
    if summary.exists():
        summary.rename(staging / "resumo_incompleto.json")
    target = runs_dir / f"{run_id}{FAILED_SUFFIX}"
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return target
