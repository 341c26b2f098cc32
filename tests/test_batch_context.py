"""The batch judges each message with what its text cannot carry: who the contact is
(the portfolio's ``relacao`` column) and when the message is planned to go out."""

from __future__ import annotations

import csv
import datetime as dt
import json
import typing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from batch_helpers import HEADER, RUN_DATE, make_workspace, row

import cobranca_kit.compliance as compliance
from cobranca_kit.batch import fastvalidate as fv
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.portfolio import RELATIONS, RawChunk, validate_row
from cobranca_kit.compliance import CheckContext

SEVEN = dt.time(7, 0)
BRT = ZoneInfo("America/Sao_Paulo")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _write(path: Path, rows: list[str], relations: list[str] | None = None) -> Path:
    """The helpers' portfolio, with a ``relacao`` column when ``relations`` is given."""
    if relations is None:
        lines = [HEADER, *rows]
    else:
        lines = [HEADER + ";relacao", *(f"{r};{rel}" for r, rel in zip(rows, relations, strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(tmp: Path, cfg, rows: list[str], relations: list[str] | None = None, run_id: str | None = None):
    portfolio = _write(tmp / "carteira.csv", rows, relations)
    settings = BatchSettings(carteira=portfolio, data=RUN_DATE, hora=SEVEN, dry_run=True, run_id=run_id)
    return run_batch(settings, cfg)


def _summary(result) -> dict:
    return json.loads((result.folder / "resumo.json").read_text(encoding="utf-8"))


@pytest.fixture
def ws(tmp_path: Path):
    return tmp_path, make_workspace(tmp_path)


# ----------------------------------------------------------------- recipient relation


def test_relations_are_those_the_checker_knows() -> None:
    annotation = CheckContext.model_fields["relation"].annotation
    literal = next(a for a in typing.get_args(annotation) if a is not type(None))
    assert set(RELATIONS) == set(typing.get_args(literal))


def test_third_parties_and_unconfirmed_contacts_get_no_collection_message(ws) -> None:
    folder, cfg = ws
    rows = [row(i, email=f"d{i}@exemplo.com.br") for i in range(1, 6)]
    result = _run(folder, cfg, rows, ["devedor", "terceiro", "desconhecido", "", "Terceiro"])
    sent = {m["devedor_id"] for m in _read(result.folder / "mensagens.csv")}
    assert sent == {"D1", "D4"}  # the debtor, and a blank cell (the debtor by default)
    ignored = {r["devedor_id"]: r for r in _read(result.folder / "ignorados.csv")}
    assert set(ignored) == {"D2", "D3", "D5"}
    assert ignored["D2"]["categoria"] == ignored["D5"]["categoria"] == "terceiro"
    assert "terceiro" in ignored["D2"]["motivo"] and "CDC42-TERCEIROS-DESTINATARIO" in ignored["D2"]["motivo"]
    assert ignored["D3"]["categoria"] == "contato_nao_confirmado"
    assert "confirme o contato" in ignored["D3"]["motivo"]
    counts = _summary(result)["contagens"]
    assert counts["por_status"]["ignorada"] == 3 and counts["por_status"]["agendada"] == 2
    assert counts["ignorados_por_categoria"] == {"terceiro": 2, "contato_nao_confirmado": 1}


def test_the_report_names_the_relation_categories(ws) -> None:
    from cobranca_kit.batch.report_view import CATEGORY_LABELS

    folder, cfg = ws
    _run(folder, cfg, [row(1), row(2)], ["terceiro", "desconhecido"])
    categories = {r["categoria"] for r in _read(folder / "runs" / _latest(folder) / "ignorados.csv")}
    assert categories == {"terceiro", "contato_nao_confirmado"}
    assert all(c in CATEGORY_LABELS for c in categories)


def _latest(folder: Path) -> str:
    return max((p for p in (folder / "runs").iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime).name


def test_an_unknown_relation_is_a_rejected_row_naming_line_and_field(ws) -> None:
    folder, cfg = ws
    result = _run(folder, cfg, [row(1), row(2)], ["primo", "devedor"])
    rejected = _read(result.folder / "rejeitados.csv")
    assert [(r["linha"], r["devedor_id"], r["campo"]) for r in rejected] == [("2", "D1", "relacao")]
    assert "relação desconhecida: 'primo'" in rejected[0]["motivo"]
    assert "devedor, terceiro, desconhecido" in rejected[0]["motivo"]
    assert {m["devedor_id"] for m in _read(result.folder / "mensagens.csv")} == {"D2"}


def test_a_portfolio_without_the_column_is_all_debtors(ws) -> None:
    folder, cfg = ws
    result = _run(folder, cfg, [row(1), row(2)])
    assert {m["devedor_id"] for m in _read(result.folder / "mensagens.csv")} == {"D1", "D2"}


def test_chunk_validation_reads_relations_as_row_validation_does() -> None:
    values = [
        "devedor",
        "terceiro",
        "desconhecido",
        "",
        None,
        " Terceiro ",
        "DESCONHECIDO",
        "primo",
        3,
        "tércero",
    ]
    rows = [
        {
            "id": f"D{i}",
            "nome": "Ana",
            "documento": "529.982.247-25",
            "uf": "SP",
            "valor": "10,00",
            "vencimento": "01/11/2026",
            "relacao": value,
        }
        for i, value in enumerate(values)
    ]
    chunk = RawChunk(lines=list(range(2, len(rows) + 2)), rows=rows)
    got = fv.validate_rows(chunk, RUN_DATE)
    expected = [validate_row(raw, line, RUN_DATE) for line, raw in zip(chunk.lines, rows, strict=True)]
    assert got == expected
    relations = [getattr(r, "relacao", None) for r in got]
    assert relations[:7] == [
        "devedor",
        "terceiro",
        "desconhecido",
        "devedor",
        "devedor",
        "terceiro",
        "desconhecido",
    ]
    assert [getattr(r, "field", None) for r in got[7:]] == ["relacao"] * 3


# ----------------------------------------------------------------- planned send time


def _schedule_at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    """A scheduling fault (a window the scheduler got wrong): every planned slot is ``when``."""
    monkeypatch.setattr(compliance, "next_allowed_slot", lambda *args, **kwargs: when)


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2026, 11, 24, 23, 30, tzinfo=BRT),  # Tuesday night
        dt.datetime(2026, 11, 29, 10, 0, tzinfo=BRT),  # Sunday
        dt.datetime(2026, 11, 20, 10, 0, tzinfo=BRT),  # Dia da Consciência Negra (national holiday)
    ],
)
def test_a_message_planned_outside_the_window_is_set_aside(
    ws, monkeypatch: pytest.MonkeyPatch, when: dt.datetime
) -> None:
    folder, cfg = ws
    _schedule_at(monkeypatch, when)
    result = _run(folder, cfg, [row(1), row(2, uf="RJ")])
    assert _read(result.folder / "mensagens.csv") == []
    ignored = _read(result.folder / "ignorados.csv")
    assert {r["devedor_id"] for r in ignored} == {"D1", "D2"}
    assert {r["categoria"] for r in ignored} == {"fora_da_janela"}
    reason = ignored[0]["motivo"]
    assert "CDC42-INTRUSAO-HORARIO-ENVIO" in reason and f"{when:%d/%m/%Y %H:%M}" in reason
    assert "próxima janela" in reason
    assert _summary(result)["contagens"]["ignorados_por_categoria"] == {"fora_da_janela": 2}


def test_the_window_is_the_debtor_state(ws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saturday 10h: inside the default window (SP), outside Rio de Janeiro's (no Saturdays)."""
    folder, cfg = ws
    _schedule_at(monkeypatch, dt.datetime(2026, 11, 28, 10, 0, tzinfo=BRT))
    result = _run(folder, cfg, [row(1), row(2, uf="RJ")])
    assert {m["devedor_id"] for m in _read(result.folder / "mensagens.csv")} == {"D1"}
    ignored = _read(result.folder / "ignorados.csv")
    assert [(r["devedor_id"], r["categoria"]) for r in ignored] == [("D2", "fora_da_janela")]
    assert "(RJ)" in ignored[0]["motivo"]
    assert "próxima janela: 30/11/2026 09:00" in ignored[0]["motivo"]  # Monday, RJ's window opens at 9h


# ----------------------------------------------------------------- kept verdicts never hide context


def test_kept_verdicts_never_hide_the_context(ws, monkeypatch: pytest.MonkeyPatch, count_checks) -> None:
    folder, cfg = ws
    rows = [row(1), row(2)]
    first = _run(folder, cfg, rows, ["devedor", "devedor"], run_id="primeira")
    assert (
        len(_read(first.folder / "mensagens.csv")) == 2 and count_checks
    )  # templates checked, verdicts kept
    count_checks.clear()
    second = _run(folder, cfg, rows, ["devedor", "terceiro"], run_id="segunda")
    assert count_checks == []  # answered from the kept verdicts...
    assert {m["devedor_id"] for m in _read(second.folder / "mensagens.csv")} == {"D1"}  # ...yet judged
    _schedule_at(monkeypatch, dt.datetime(2026, 11, 29, 10, 0, tzinfo=BRT))
    third = _run(folder, cfg, rows, ["devedor", "devedor"], run_id="terceira")
    assert count_checks == []
    assert _read(third.folder / "mensagens.csv") == []
    assert {r["categoria"] for r in _read(third.folder / "ignorados.csv")} == {"fora_da_janela"}


def test_a_kept_verdict_key_changes_with_any_situational_context(tmp_path: Path) -> None:
    from cobranca_kit.batch.plan import _kept_key
    from cobranca_kit.library import Library

    make_workspace(tmp_path)
    template = Library(tmp_path / "biblioteca").list(status="aprovado")[0]
    base = CheckContext(stage="vencimento", objection="nenhuma", template=True)
    keys = {
        _kept_key(template, base.model_copy(update=change), "modelo")
        for change in (
            {},
            {"relation": "terceiro"},
            {"relation": "desconhecido"},
            {"sent_at": dt.datetime(2026, 11, 29, 10, 0, tzinfo=BRT)},
            {"uf": "RJ"},
        )
    }
    assert len(keys) == 5


def test_the_rules_the_planner_cites_are_blocking_rules_of_the_catalog() -> None:
    from cobranca_kit.batch.plan import RELATION_RULE, SEND_TIME_RULE
    from cobranca_kit.compliance import load_rules

    rules = load_rules()
    assert rules.get(RELATION_RULE).check == "recipient_relation"
    assert rules.get(SEND_TIME_RULE).check == "send_time"
    assert rules.get(SEND_TIME_RULE).severity == "block"
