"""Writing a run's files into ``runs/<run-id>/``, atomically.

Everything is written into a hidden staging folder (``runs/.<run-id>.parcial``)
and renamed to ``runs/<run-id>`` only when complete, so a crash never leaves a
folder that looks like a finished run. Messages are appended chunk by chunk
(CSV and Parquet), so memory stays flat for large portfolios.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cobranca_kit.batch.plan import Deferred, PlannedMessage, Skipped
from cobranca_kit.batch.portfolio import Rejection
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
    "status",
    "motivo",
]
REJECTED_COLUMNS = ["linha", "devedor_id", "campo", "categoria", "motivo"]
DEFERRED_COLUMNS = ["linha", "devedor_id", "passo", "estagio", "canal", "motivo", "proximo_contato_em"]
SKIPPED_COLUMNS = ["linha", "devedor_id", "passo", "estagio", "categoria", "motivo"]

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
    tail = (subject, when, message.encoding, message.segments, status, reason)
    return [(*head, name, text, *tail) for name, text in message.parts]


@dataclass
class EncodedMessages:
    """A chunk's message rows already encoded for ``mensagens.csv`` and ``mensagens.parquet``.

    Built where the chunk is planned (possibly a worker process), so the process
    that writes the files only selects the messages that passed the frequency caps
    and copies text and Arrow buffers, instead of converting every value itself.
    """

    csv_text: str  # the rows of every message, CSV-encoded (``;``), in message order
    csv_ends: list[int]  # end offset in ``csv_text`` of each message's rows
    row_counts: list[int]  # rows (message parts) per message
    table: pa.Table  # the same rows, ``MESSAGE_COLUMNS``

    def __len__(self) -> int:
        return len(self.row_counts)

    def select(self, keep: Sequence[bool]) -> tuple[str, pa.Table]:
        """CSV text and Arrow rows of the messages whose ``keep`` flag is true."""
        if len(keep) != len(self.row_counts):
            raise BatchError(
                f"seleção de mensagens com {len(keep)} marcas para {len(self.row_counts)} mensagens"
            )
        if all(keep):
            return self.csv_text, self.table
        pieces, start = [], 0
        for end, wanted in zip(self.csv_ends, keep, strict=True):
            if wanted:
                pieces.append(self.csv_text[start:end])
            start = end
        mask = [w for w, n in zip(keep, self.row_counts, strict=True) for w in repeat(w, n)]
        return "".join(pieces), self.table.filter(pa.array(mask, type=pa.bool_()))


def encode_messages(messages: Iterable[PlannedMessage]) -> EncodedMessages:
    """Encode messages as ``mensagens.csv`` text and an Arrow table (see :class:`EncodedMessages`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")  # same dialect as the file's header writer
    ends: list[int] = []
    counts: list[int] = []
    for message in messages:
        own = message_rows(message)
        writer.writerows(own)
        ends.append(buffer.tell())
        counts.append(len(own))
    text = buffer.getvalue()
    return EncodedMessages(text, ends, counts, _table_from_csv(text, sum(counts)))


def _table_from_csv(text: str, rows: int) -> pa.Table:
    """The Arrow rows of CSV text written by :func:`encode_messages`.

    Arrow's C parser reads back exactly what ``csv.writer`` wrote (strings stay
    strings, empty ones included) many times faster than converting each Python
    value with ``pa.array``.
    """
    if not rows:
        return _MESSAGE_SCHEMA.empty_table()
    table = pa_csv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pa_csv.ReadOptions(column_names=MESSAGE_COLUMNS, use_threads=False),
        parse_options=pa_csv.ParseOptions(delimiter=";", newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=_MESSAGE_SCHEMA,
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if table.num_rows != rows or table.schema != _MESSAGE_SCHEMA:
        raise BatchError(f"falha interna ao converter {rows} linhas de mensagens para Parquet")
    return table


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
        self._open_csv("mensagens.csv", MESSAGE_COLUMNS)
        self._open_csv("rejeitados.csv", REJECTED_COLUMNS)
        self._open_csv("adiados.csv", DEFERRED_COLUMNS)
        self._open_csv("ignorados.csv", SKIPPED_COLUMNS)

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
        text, table = encoded.select(keep)
        if not table.num_rows:
            return
        self._files["mensagens.csv"].write(text)
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

    def write_rejected(self, rows: Iterable[Rejection]) -> None:
        self._writers["rejeitados.csv"].writerows(r.as_row() for r in rows)

    def write_deferred(self, rows: Iterable[Deferred]) -> None:
        self._writers["adiados.csv"].writerows(r.as_row() for r in rows)

    def write_skipped(self, rows: Iterable[Skipped]) -> None:
        self._writers["ignorados.csv"].writerows(r.as_row() for r in rows)

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
