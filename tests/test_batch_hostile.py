"""A hostile portfolio: template syntax in debtor data, stray quotes, spreadsheet formulas,
files that are not CSV, reused ids, absurd values. Every row is accounted for, the run
always completes, and the files a team opens in Excel hold no live formula."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_helpers import HEADER, RUN_DATE, make_workspace, row, use_description_template, write_csv
from typer.testing import CliRunner

from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.portfolio import MAX_RECORD_LINES, csv_blocks, read_raw_chunks
from cobranca_kit.batch.verdicts import VERDICTS_FILE
from cobranca_kit.cli.main import app
from cobranca_kit.csvsafe import csv_safe
from cobranca_kit.drafting import matrix_report

SEVEN = dt.time(7, 0)
FORMULA = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?[0-9]+([.,][0-9]+)*$")
OTHER_CPF = "111.444.777-35"  # valid, not the one of batch_helpers.row


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _run(folder: Path, cfg, portfolio: Path, **kw):
    settings = BatchSettings(carteira=portfolio, data=RUN_DATE, hora=SEVEN, **kw)
    return run_batch(settings, cfg)


def _live_formulas(path: Path) -> list[str]:
    """Cells a spreadsheet would run as a formula."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [c for r in csv.reader(fh, delimiter=";") for c in r]
    return [c for c in cells if FORMULA.match(c) and not NUMBER.match(c)]


@pytest.fixture
def ws(tmp_path: Path):
    cfg = make_workspace(tmp_path)
    use_description_template(tmp_path)  # the WhatsApp message prints divida.descricao
    return tmp_path, cfg


# ----------------------------------------------------------------- 1. template syntax


@pytest.mark.parametrize("syntax", ["{{ empresa.nome }}", "{% if x %}", "{# nota", "{{", "}} {%- endif %}"])
def test_template_syntax_in_debtor_data_is_printed_literally(ws, syntax: str) -> None:
    folder, cfg = ws
    rows = [
        row(1, descricao=f"plano {syntax}"),
        row(2).replace("Fulana de Tal 2", f"{syntax} Silva"),
        row(3, days=7, email="ana@exemplo.com.br").replace("Fulana de Tal 3", f"Ana {syntax}"),
        row(4).replace("/f/4", f"/f/4?{syntax}"),
        row(5),
    ]
    result = _run(folder, cfg, write_csv(folder / "c.csv", rows))
    lines = result.summary["linhas"]
    assert (lines["lidas"], lines["aceitas"], lines["rejeitadas"]) == (5, 5, 0)
    texts = {
        m["devedor_id"]: m["texto"] for m in _read(result.folder / "mensagens.csv") if m["parte"] != "assunto"
    }
    assert f"plano {syntax}" in texts["D1"]
    assert f"f/4?{syntax}" in texts["D4"]
    assert set(texts) == {"D1", "D2", "D3", "D4", "D5"}


# ----------------------------------------------------------------- 3. stray quotes


def test_a_stray_quote_sets_aside_its_own_line_and_the_rest_is_read(ws) -> None:
    folder, cfg = ws
    rows = [row(i) for i in range(1, 51)]
    rows[9] = rows[9].replace("Fulana", '"Fulana')  # line 11: a quote that never closes
    result = _run(folder, cfg, write_csv(folder / "c.csv", rows))
    lines = result.summary["linhas"]
    assert (lines["lidas"], lines["aceitas"], lines["rejeitadas"]) == (50, 49, 1)
    [rejected] = _read(result.folder / "rejeitados.csv")
    assert rejected["linha"] == "11" and rejected["devedor_id"] == "D10"
    assert "aspas sem fechamento na linha 11" in rejected["motivo"]
    assert len({m["devedor_id"] for m in _read(result.folder / "mensagens.csv")}) == 49


def test_a_quote_open_at_the_end_of_the_file_or_over_many_lines(tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 201)]
    rows[-1] = rows[-1].replace("Fulana", '"Fulana')  # open when the file ends
    rows[20] = rows[20].replace("Fulana", '"Fulana')  # line 22, closed at the end of line 23...
    rows[21] = rows[21] + '"'  # ... whose own quote then swallows rows up to line 102
    rows[100] = row(101, descricao='"x')  # line 102: open over whole rows
    rows[150:150] = [row(151).replace("Fulana", '"Fulana')] + ["texto solto"] * (MAX_RECORD_LINES + 5)
    path = write_csv(tmp_path / "c.csv", rows)
    chunks = list(read_raw_chunks(path, chunk_rows=64))
    got = {line: chunk.row(i) for chunk in chunks for i, line in enumerate(chunk.lines)}
    assert sorted(got) == list(range(2, len(rows) + 2))  # every line is a row of its own
    bad = {line: r["__erro__"] for line, r in got.items() if "__erro__" in r}
    loose = set(range(153, 153 + MAX_RECORD_LINES + 5))  # rows of one column
    assert set(bad) == {22, 23, 102, 152, len(rows) + 1} | loose
    assert "o arquivo terminou" in bad[len(rows) + 1]
    assert "passou de 50 linhas" in bad[152]
    assert "entraram no campo" in bad[22]
    assert all(f"aspas sem fechamento na linha {line}:" in bad[line] for line in (22, 23, 102, 152))
    assert all("colunas" in bad[line] for line in loose)
    assert got[22]["id"] == "D21" and got[24]["id"] == "D23" and "__erro__" not in got[24]


def test_a_cell_over_the_csv_field_limit_is_one_rejected_line(tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 6)]
    rows[2] = row(3, descricao="x" * 200_000)
    path = write_csv(tmp_path / "c.csv", rows)
    for chunks in (list(read_raw_chunks(path)), [b.chunk() for b in csv_blocks(path, None, 2)]):
        got = {line: chunk.row(i) for chunk in chunks for i, line in enumerate(chunk.lines)}
        assert sorted(got) == [2, 3, 4, 5, 6]
        assert "campo com mais de 131.072 caracteres na linha 4" in got[4]["__erro__"]
        assert got[4]["id"] == "D3" and "__erro__" not in got[5]


def test_cells_with_line_breaks_are_still_one_row(tmp_path: Path) -> None:
    rows = [row(1), row(2, descricao='"primeira linha\nsegunda; linha\nterceira"'), row(3)]
    chunks = list(read_raw_chunks(write_csv(tmp_path / "c.csv", rows)))
    assert [line for c in chunks for line in c.lines] == [2, 3, 6]
    assert chunks[0].row(1)["descricao"] == "primeira linha\nsegunda; linha\nterceira"
    assert not chunks[0].error_rows()


# ----------------------------------------------------------------- 4. formulas


def test_formula_cells_are_neutralised_in_every_csv_and_kept_in_parquet(ws) -> None:
    folder, cfg = ws
    rows = [
        row(1, descricao="=HYPERLINK(1)").replace("D1;", "=2+5;"),
        row(2, descricao="@SUM(A1)").replace("Fulana de Tal 2", "-2+3 Silva"),
        row(3, descricao="+1 mes"),
        row(4, cpf="111").replace("D4;", "=cmd|' /C calc'!A0;"),  # rejected
        row(5, days=3).replace("D5;", "\tD5;"),
        row(6, objecao="nao_reconhece_divida").replace("D6;", "@D6;"),  # ignored (suspended)
    ]
    result = _run(folder, cfg, write_csv(folder / "c.csv", rows))
    for name in ("mensagens.csv", "rejeitados.csv", "ignorados.csv", "adiados.csv"):
        assert not _live_formulas(result.folder / name), name
    messages = _read(result.folder / "mensagens.csv")
    assert "'=2+5" in {m["devedor_id"] for m in messages}
    assert [r["devedor_id"] for r in _read(result.folder / "rejeitados.csv")] == ["'=cmd|' /C calc'!A0"]
    assert [r["devedor_id"] for r in _read(result.folder / "ignorados.csv")] == ["'@D6"]
    assert all(m["destino"].startswith("+55") for m in messages)  # a plain number stays as it is
    table = pq.read_table(result.folder / "mensagens.parquet").to_pylist()
    assert "=2+5" in {m["devedor_id"] for m in table}


def test_csv_safe_follows_owasp(tmp_path: Path) -> None:
    for risky in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\tx", "\rx", "-", "+"):
        assert csv_safe(risky) == "'" + risky
    for fine in ("+5511987654321", "-12,50", "1.234,56", "texto", "", "a=b", 12):
        assert csv_safe(fine) == fine
    # the drafting matrix summary is a CSV too (an LLM error text can start with "=")
    summary = pd.DataFrame({"erro": ["=HYPERLINK(1)", None], "modelo": ["@m", "gpt"], "rodadas": [1, 2]})
    path = matrix_report.write_summary_csv(summary, tmp_path / "matriz.jsonl")
    assert not _live_formulas_comma(path)
    assert pd.read_csv(path)["erro"].tolist()[0] == "'=HYPERLINK(1)"


def _live_formulas_comma(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [c for r in csv.reader(fh) for c in r if FORMULA.match(c) and not NUMBER.match(c)]


# ----------------------------------------------------------------- 9. files that are not CSV


def test_files_that_are_not_csv_text_get_a_pt_br_error_saying_what_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import Workbook

    make_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COBRANCA_CONFIG", raising=False)
    utf16 = write_csv(tmp_path / "utf16.csv", [row(1)], encoding="utf-16")
    book = Workbook()
    book.active.append(HEADER.split(";"))
    book.save(tmp_path / "planilha.csv")
    runner = CliRunner()
    for path, what in ((utf16, "UTF-16"), (tmp_path / "planilha.csv", "planilha do Excel (XLSX")):
        result = runner.invoke(
            app, ["executar", "--carteira", str(path), "--sem-caderno", "--data", "2026-11-24"]
        )
        assert result.exit_code == 2, result.output
        assert what in result.output and "Traceback" not in result.output


# ----------------------------------------------------------------- 10. reused ids, absurd values


def test_reused_ids_and_absurd_values_are_set_aside_with_reasons(ws) -> None:
    folder, cfg = ws
    rows = [row(i) for i in range(1, 9)]
    rows[3] = row(4).replace("D4;", "D2;")  # same id, same person: a second debt, kept
    rows[5] = row(6, cpf=OTHER_CPF).replace("D6;", "D3;")  # same id, another person
    rows[6] = row(7, valor="100.000.000,01")
    rows[7] = row(8, venc="31/12/9999")
    for chunk_rows in (20_000, 2):  # the first row of an id may be in an earlier piece
        result = _run(folder, cfg, write_csv(folder / "c.csv", rows), chunk_rows=chunk_rows)
        lines = result.summary["linhas"]
        assert (lines["lidas"], lines["aceitas"], lines["rejeitadas"]) == (8, 5, 3)
        rejected = {r["linha"]: r for r in _read(result.folder / "rejeitados.csv")}
        assert set(rejected) == {"7", "8", "9"}
        assert rejected["7"]["campo"] == "id" and "já usado na linha 4" in rejected["7"]["motivo"]
        assert rejected["8"]["campo"] == "valor" and "implausível" in rejected["8"]["motivo"]
        assert rejected["9"]["campo"] == "vencimento" and "improvável" in rejected["9"]["motivo"]
        assert "D3" not in {
            m["devedor_id"] for m in _read(result.folder / "mensagens.csv") if m["linha"] == "7"
        }


# ----------------------------------------------------------------- 11. the verdict cache


def test_kept_verdicts_hold_hashes_not_descriptions(ws) -> None:
    folder, cfg = ws
    long_text = "mensalidade " + "x" * 500_000 + " fim-da-descricao"  # over the CSV field limit
    records = [row(1, descricao=long_text).split(";"), row(2, descricao="curta").split(";")]
    columns = {name: [r[k] for r in records] for k, name in enumerate(HEADER.split(";"))}
    pq.write_table(pa.table(columns), folder / "c.parquet")
    result = _run(folder, cfg, folder / "c.parquet")
    assert result.summary["linhas"]["aceitas"] == 2
    cache = next(folder.rglob(VERDICTS_FILE))
    text = cache.read_text(encoding="utf-8")
    assert "fim-da-descricao" not in text and "curta" not in text
    assert len(text) < 10_000
    kept = json.loads(text)["veredictos"]
    assert all(len(key) < 200 for key in kept)


# ----------------------------------------------------------------- all of it, 10k rows


def _hostile_portfolio(path: Path, n: int, seed: int) -> tuple[int, dict[int, tuple[str, str]]]:
    """Write ``n`` records mixing every trap; returns (data rows, line -> (field, part of the reason))."""
    rng = random.Random(seed)
    descriptions = ["plano 300 mega", "{{ empresa.nome }}", "{% if %}", "{# x", "=1+1", "@SUM(A1)", ""]
    lines = [HEADER]
    rejected: dict[int, tuple[str, str]] = {}
    good_ids: list[str] = []
    data = 0
    i = 0
    written = 1  # physical lines so far (the header)

    def add(entry: str) -> None:
        nonlocal written
        lines.append(entry)
        written += entry.count("\n") + 1

    while i < n:
        i += 1
        roll = rng.random()
        line = written + 1  # the physical line this record starts on
        days = rng.choice([0, 0, 0, 7, 3])
        email = "ana@exemplo.com.br" if rng.random() < 0.3 else ""
        desc = rng.choice(descriptions)
        if roll < 0.03:
            add(rng.choice(["", ";;;  ;", "   "]))  # blank lines: not rows
            i -= 1
            continue
        data += 1
        if roll < 0.06:  # a stray quote, followed by a plain good row
            add(row(i, days=days).replace("Fulana", '"Fulana'))
            rejected[line] = ("(linha)", "aspas sem fechamento")
            i += 1
            data += 1
            add(row(i, days=days))
            good_ids.append(f"D{i}")
        elif roll < 0.09:
            add(row(i, cpf=rng.choice(["111.111.111-11", "529.982.247-24", "12"])))
            rejected[line] = ("documento", "CPF")
        elif roll < 0.12:
            add(row(i, phone=rng.choice(["(00) 1234", "abc", "11 1234"])))
            rejected[line] = ("telefone", "telefone inválido")
        elif roll < 0.15:
            add(row(i, valor=rng.choice(["1e30", "100.000.000,01", "999999999999"])))
            rejected[line] = ("valor", "valor")
        elif roll < 0.17:
            add(row(i, venc=rng.choice(["31/12/9999", "01/01/2099"])))
            rejected[line] = ("vencimento", "vencimento improvável")
        elif roll < 0.19 and good_ids:  # an id of an accepted row, another person
            add(row(i, cpf=OTHER_CPF).replace(f"D{i};", f"{rng.choice(good_ids)};", 1))
            rejected[line] = ("id", "já usado na linha")
        elif roll < 0.21:
            add(f"D{i};só três;colunas")
            rejected[line] = ("(linha)", "a linha tem 3 colunas")
        elif roll < 0.23:  # a legitimate cell with line breaks: one row over three lines
            add(row(i, days=days, descricao='"linha 1\nlinha; 2\nlinha 3"'))
            good_ids.append(f"D{i}")
        elif roll < 0.26:  # formulas in the id and the name
            ident = rng.choice(["=2+5", "@x", "-1+1", "+A1"]) + str(i)
            add(row(i, days=days, descricao=desc).replace(f"D{i};Fulana", f"{ident};@Fulana", 1))
        else:
            add(row(i, days=days, email=email, descricao=desc))
            good_ids.append(f"D{i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, rejected


def test_a_hostile_portfolio_runs_to_the_end_with_every_row_accounted_for(ws) -> None:
    folder, cfg = ws
    path = folder / "hostil.csv"
    data, expected_rejected = _hostile_portfolio(path, 10_000, seed=12)
    result = _run(folder, cfg, path, chunk_rows=1500, write_eml=False)
    out = result.folder
    lines = result.summary["linhas"]
    assert lines["lidas"] == data == lines["aceitas"] + lines["rejeitadas"]
    rejected = _read(out / "rejeitados.csv")
    got = {int(r["linha"]): r for r in rejected}
    assert len(got) == len(rejected) == lines["rejeitadas"]
    assert {line: r["campo"] for line, r in got.items()} == {k: v[0] for k, v in expected_rejected.items()}
    for line, (_field, reason) in expected_rejected.items():
        assert reason in got[line]["motivo"], (line, got[line])
    # every accepted row has one outcome: a message, a deferral, a skip or no step today
    outcome = {int(m["linha"]) for m in _read(out / "mensagens.csv")}
    for name in ("adiados.csv", "ignorados.csv"):
        outcome |= {int(r["linha"]) for r in _read(out / name)}
    assert len(outcome) + result.summary["contagens"]["por_status"]["sem_etapa_hoje"] == lines["aceitas"]
    assert not outcome & set(got)
    for name in ("mensagens.csv", "rejeitados.csv", "ignorados.csv", "adiados.csv"):
        assert not _live_formulas(out / name), name
