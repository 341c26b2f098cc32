"""Schema and balance of the held-out evaluation corpus (tests/data/corpus/reservado.jsonl).

These tests check only the file itself; no checker score is asserted on it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "data" / "corpus" / "reservado.jsonl"

LABELS = {"abusiva", "conforme"}
CATEGORIES = {
    "ameaca",
    "coacao",
    "constrangimento",
    "terceiros",
    "intrusao",
    "afirmacao_falsa",
    "insulto",
    "pressao",
}
REGISTERS = {"formal", "informal"}
CHANNELS = {"whatsapp", "sms", "email", "telefone"}
RELATIONS = {"devedor", "terceiro", "desconhecido"}
REQUIRED = {"texto", "rotulo", "registro", "fonte"}
OPTIONAL = {"categoria", "canal", "relacao", "enviado_em", "nota"}

MIN_LINES = 600
MIN_LABEL_SHARE = 0.40
MIN_PER_CATEGORY = 15


def _load() -> list[dict[str, Any]]:
    records = []
    with CORPUS.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            assert line.strip(), f"linha {number} vazia"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                pytest.fail(f"linha {number}: JSON inválido ({exc})")
            assert isinstance(record, dict), f"linha {number}: não é um objeto"
            record["_linha"] = number
            records.append(record)
    return records


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _load()


def _problems(record: dict[str, Any]) -> list[str]:
    problems = []
    keys = set(record) - {"_linha"}
    if missing := REQUIRED - keys:
        problems.append(f"faltam campos {sorted(missing)}")
    if extra := keys - REQUIRED - OPTIONAL:
        problems.append(f"campos desconhecidos {sorted(extra)}")
    texto = record.get("texto")
    if not isinstance(texto, str) or not texto.strip():
        problems.append("texto vazio")
    if not isinstance(record.get("fonte"), str) or not record["fonte"].strip():
        problems.append("fonte vazia")
    rotulo = record.get("rotulo")
    if rotulo not in LABELS:
        problems.append(f"rotulo inválido {rotulo!r}")
    if rotulo == "abusiva" and record.get("categoria") not in CATEGORIES:
        problems.append(f"categoria inválida {record.get('categoria')!r}")
    if rotulo == "conforme" and "categoria" in record:
        problems.append("mensagem conforme com categoria")
    if record.get("registro") not in REGISTERS:
        problems.append(f"registro inválido {record.get('registro')!r}")
    if "canal" in record and record["canal"] not in CHANNELS:
        problems.append(f"canal inválido {record['canal']!r}")
    if "relacao" in record and record["relacao"] not in RELATIONS:
        problems.append(f"relacao inválida {record['relacao']!r}")
    if "enviado_em" in record:
        try:
            datetime.fromisoformat(record["enviado_em"])
        except (TypeError, ValueError):
            problems.append(f"enviado_em inválido {record['enviado_em']!r}")
    if "nota" in record and not (isinstance(record["nota"], str) and record["nota"].strip()):
        problems.append("nota vazia")
    return problems


def test_every_line_has_a_valid_schema(records: list[dict[str, Any]]) -> None:
    bad = {r["_linha"]: p for r in records if (p := _problems(r))}
    assert not bad, f"linhas com problemas: {bad}"


def test_schema_check_catches_bad_records() -> None:
    good = {"texto": "Olá", "rotulo": "conforme", "registro": "formal", "fonte": "equipe"}
    assert _problems(good) == []
    assert _problems({**good, "rotulo": "abusiva"})  # abusive without category
    assert _problems({**good, "categoria": "ameaca"})  # compliant with category
    assert _problems({**good, "registro": "coloquial"})
    assert _problems({**good, "canal": "fax"})
    assert _problems({**good, "enviado_em": "ontem à noite"})
    assert _problems({**good, "extra": 1})


def test_size_and_label_balance(records: list[dict[str, Any]]) -> None:
    assert len(records) >= MIN_LINES
    labels = Counter(r["rotulo"] for r in records)
    for label in LABELS:
        assert labels[label] / len(records) >= MIN_LABEL_SHARE, labels


def test_both_registers_in_each_label(records: list[dict[str, Any]]) -> None:
    pairs = Counter((r["rotulo"], r["registro"]) for r in records)
    for label in LABELS:
        for register in REGISTERS:
            assert pairs[(label, register)] > 0, (label, register, pairs)


def test_every_category_has_enough_examples(records: list[dict[str, Any]]) -> None:
    categories = Counter(r["categoria"] for r in records if r["rotulo"] == "abusiva")
    short = {c: categories[c] for c in CATEGORIES if categories[c] < MIN_PER_CATEGORY}
    assert not short, f"categorias com menos de {MIN_PER_CATEGORY} exemplos: {short}"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def test_no_duplicates_after_normalising(records: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    duplicates = []
    for record in records:
        key = _normalise(record["texto"])
        if key in seen:
            duplicates.append((seen[key], record["_linha"]))
        seen.setdefault(key, record["_linha"])
    assert not duplicates, f"linhas repetidas (primeira, repetida): {duplicates}"
