"""Outcomes end to end: the real batch assigns, simulated payments are imported (validated,
idempotent), the report attributes them and Thompson sampling reads them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv
from test_batch_experiments import add_v2, experiment_block, regua_with
from typer.testing import CliRunner

from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.regua import load_regua
from cobranca_kit.cli.main import app
from cobranca_kit.config import Experimentos
from cobranca_kit.errors import BatchError
from cobranca_kit.results.importing import import_outcomes
from cobranca_kit.results.report import build_report, report_frame, report_text
from cobranca_kit.results.simulate import Rates, ledger_assignments, write_outcome_files
from cobranca_kit.results.stats import PENDING, PROMOTE, REFERENCE

LATER = RUN_DATE + dt.timedelta(days=10)


@pytest.fixture
def ran(tmp_path: Path):
    cfg = make_workspace(tmp_path)
    add_v2(tmp_path)
    (tmp_path / "regua.yaml").write_text(regua_with(experiment_block(recebe="campeao")), encoding="utf-8")
    write_csv(tmp_path / "carteira.csv", [row(i, days=0) for i in range(1, 301)])
    settings = BatchSettings(carteira=tmp_path / "carteira.csv", data=RUN_DATE, hora=dt.time(7))
    result = run_batch(settings, cfg)
    return tmp_path, cfg, result


def _db(folder: Path) -> Path:
    return folder / "contatos.sqlite"


def test_payments_import_validates_rows_and_a_reimport_changes_nothing(ran) -> None:
    folder, _, _ = ran
    path = folder / "pagamentos.csv"
    path.write_text(
        "ID Devedor;EndToEndId;Data Pagamento;Valor Pago\n"
        "D1;E1;25/11/2026;1.234,56\n"
        "D2;;26/11/2026;100,00\n"
        "D2;;26/11/2026;100,00\n"  # a second, equal payment: kept (occurrence in the key)
        ";E9;25/11/2026;10,00\n"
        "D3;E3;31/02/2026;10,00\n"
        "D4;E4;25/11/2026;12,34,56\n"
        "D5;E5;25/11/2030;10,00\n"
        "D6;E6;25/11/2026;-5,00\n",
        encoding="utf-8",
    )
    report = import_outcomes(path, _db(folder), today=LATER)
    assert (report.kind, report.read, report.new, report.repeated) == ("pagamentos", 8, 3, 0)
    reasons = {r.line: (r.field, r.reason) for r in report.rejected}
    assert reasons[5][0] == "devedor_id" and "não identifica o devedor" in reasons[5][1]
    assert reasons[6][0] == "data_pagamento" and "31/02/2026" in reasons[6][1]
    assert reasons[7][0] == "valor"
    assert reasons[8][0] == "data_pagamento" and "futuro" in reasons[8][1]
    assert reasons[9][0] == "valor" and "positivo" in reasons[9][1]
    rejected = pd.read_csv(report.rejected_file, sep=";", encoding="utf-8-sig")
    assert list(rejected["linha"]) == [5, 6, 7, 8, 9]
    with sqlite3.connect(_db(folder)) as conn:
        before = conn.execute("SELECT * FROM pagamentos ORDER BY chave").fetchall()
    again = import_outcomes(path, _db(folder), today=LATER)
    assert (again.new, again.repeated) == (0, 3)
    with sqlite3.connect(_db(folder)) as conn:
        after = conn.execute("SELECT * FROM pagamentos ORDER BY chave").fetchall()
    assert before == after and len(after) == 3
    assert sorted(r[3] for r in after) == [10000, 10000, 123456]


def test_payments_from_xlsx_and_parquet_and_events_csv(ran) -> None:
    folder, _, _ = ran
    frame = pd.DataFrame(
        {"devedor_id": ["D1", "D2"], "data_pagamento": ["2026-11-25", "2026-11-26"], "valor": [10.5, 20]}
    )
    frame.to_excel(folder / "p.xlsx", index=False)
    frame.assign(devedor_id=["D7", "D8"]).to_parquet(folder / "p.parquet", index=False)
    assert import_outcomes(folder / "p.xlsx", _db(folder), today=LATER).new == 2
    assert import_outcomes(folder / "p.parquet", _db(folder), today=LATER).new == 2
    events = folder / "eventos.csv"
    events.write_text(
        "devedor_id,data,tipo,canal\nD1,25/11/2026,opt-out,whatsapp\nD2,25/11/2026,Reclamação,\nD3,25/11/2026,elogio,\n",
        encoding="utf-8",
    )
    report = import_outcomes(events, _db(folder), today=LATER)
    assert (report.kind, report.new) == ("eventos", 2)
    assert report.rejected[0].field == "tipo" and "elogio" in report.rejected[0].reason
    with sqlite3.connect(_db(folder)) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT tipo FROM eventos")) == ["descadastro", "reclamacao"]
    with pytest.raises(BatchError, match="coluna"):
        (folder / "x.csv").write_text("a;b\n1;2\n", encoding="utf-8")
        import_outcomes(folder / "x.csv", _db(folder), today=LATER)


def test_report_attributes_payments_within_the_window(ran) -> None:
    folder, _, result = ran
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    v2 = messages[messages["variante"] == "V2"]["devedor_id"].tolist()
    control = messages[messages["variante"] == "controle"]["devedor_id"].tolist()
    lines = ["devedor_id;data_pagamento;valor"]
    lines += [f"{d};{RUN_DATE + dt.timedelta(days=3):%d/%m/%Y};100,00" for d in v2[:10]]
    lines += [f"{d};{RUN_DATE + dt.timedelta(days=9):%d/%m/%Y};100,00" for d in v2[10:20]]  # day 9: outside 7
    lines += [
        f"{d};{RUN_DATE - dt.timedelta(days=1):%d/%m/%Y};50,00" for d in control[:5]
    ]  # before: not ours
    (folder / "pag.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_outcomes(folder / "pag.csv", _db(folder), today=LATER)
    rules = Experimentos(amostra_minima=30)
    early = build_report(_db(folder), rules, RUN_DATE + dt.timedelta(days=3))
    assert all(a.maduros == 0 for a in early[0].bracos)  # the window has not closed: nobody counted
    [rep] = build_report(_db(folder), rules, LATER, load_regua(folder / "regua.yaml"))
    arms = {a.variante: a for a in rep.bracos}
    assert list(arms) == ["controle", "V1", "V2"] and rep.controle == "controle"
    assert arms["V2"].pagos == 10 and arms["V2"].valor_recuperado == 1000.0
    assert arms["controle"].pagos == 0 and arms["controle"].veredito == REFERENCE
    assert arms["V2"].mensagens == arms["V2"].atribuidos == len(v2)
    lo, hi = arms["V2"].ic95_pagamento
    assert lo < 10 / len(v2) < hi
    assert arms["V1"].veredito in (PENDING, "sem diferença")
    text = report_text([rep])
    assert "experimento lembrete_hoje" in text and "veredito" in text
    assert set(report_frame([rep])["variante"]) == {"controle", "V1", "V2"}


def test_the_harm_baseline_arm_says_its_role_once(tmp_path: Path) -> None:
    """With a holdout that gets nothing, the first variant is the baseline for opt-outs
    and complaints; its reason says so once (the demo printed it twice)."""
    cfg = make_workspace(tmp_path)
    add_v2(tmp_path)
    (tmp_path / "regua.yaml").write_text(regua_with(experiment_block(recebe="nada")), encoding="utf-8")
    write_csv(tmp_path / "carteira.csv", [row(i, days=0) for i in range(1, 61)])
    run_batch(BatchSettings(carteira=tmp_path / "carteira.csv", data=RUN_DATE, hora=dt.time(7)), cfg)
    [rep] = build_report(_db(tmp_path), Experimentos(), LATER)
    arms = {a.variante: a for a in rep.bracos}
    assert arms["V1"].veredito == REFERENCE
    assert arms["V1"].motivo.count("referência para descadastros") == 1, arms["V1"].motivo


def test_simulated_outcomes_reach_a_verdict_end_to_end(tmp_path: Path) -> None:
    """The real batch + simulated files + import + report, with a planted effect large
    enough for 300 debtors per arm."""
    cfg = make_workspace(tmp_path)
    add_v2(tmp_path)
    (tmp_path / "regua.yaml").write_text(
        regua_with(experiment_block(controle=0.34, recebe="campeao")), encoding="utf-8"
    )
    write_csv(tmp_path / "carteira.csv", [row(i, days=0) for i in range(1, 1001)])
    run_batch(BatchSettings(carteira=tmp_path / "carteira.csv", data=RUN_DATE, hora=dt.time(7)), cfg)
    assigned = ledger_assignments(_db(tmp_path))
    assert len(assigned) == 1000
    files = write_outcome_files(
        assigned,
        tmp_path / "pag.csv",
        tmp_path / "ev.csv",
        effects={"V2": Rates(0.25, 0.0, 0.0)},
        bad_rows=1,
    )
    for path in (files.payments, files.events):
        assert len(import_outcomes(path, _db(tmp_path), today=LATER).rejected) == 1
    rules = Experimentos(amostra_minima=250)
    [rep] = build_report(_db(tmp_path), rules, LATER)
    arms = {a.variante: a for a in rep.bracos}
    assert arms["V2"].veredito == PROMOTE
    assert arms["V1"].veredito != PROMOTE


def test_thompson_weights_follow_the_outcomes_and_are_recorded(ran) -> None:
    folder, cfg, result = ran
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    v2 = messages[messages["variante"] == "V2"]["devedor_id"].tolist()
    pay = "\n".join(["devedor_id;data_pagamento;valor", *(f"{d};25/11/2026;10,00" for d in v2)])
    (folder / "pag.csv").write_text(pay + "\n", encoding="utf-8")
    import_outcomes(folder / "pag.csv", _db(folder), today=LATER)
    block = experiment_block().replace(
        "controle_recebe: nada", "controle_recebe: nada\n      alocacao: thompson"
    )
    (folder / "regua.yaml").write_text(regua_with(block), encoding="utf-8")
    write_csv(folder / "carteira.csv", [row(i, days=0) for i in range(1001, 1101)])
    settings = BatchSettings(carteira=folder / "carteira.csv", data=LATER, hora=dt.time(7))
    later = run_batch(settings, cfg)
    entry = json.loads((later.folder / "resumo.json").read_text(encoding="utf-8"))["experimentos"][0]
    assert entry["alocacao"] == "thompson"
    assert entry["pesos"]["controle"] == 0.2
    assert entry["pesos"]["V2"] > 0.7 and entry["pesos"]["V1"] >= 0.8 * 0.05 - 1e-9
    assert entry["base_thompson"]["V2"]["pagos"] == len(v2)
    rerun = run_batch(
        BatchSettings(carteira=folder / "carteira.csv", data=LATER, hora=dt.time(7), dry_run=True), cfg
    )
    assert rerun.summary["experimentos"][0]["pesos"] == entry["pesos"]  # same data, same weights


def test_cli_import_and_report(ran, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, _, _ = ran
    monkeypatch.chdir(folder)
    runner = CliRunner()
    out = runner.invoke(app, ["amostra", "--pagamentos", "p.csv", "--eventos", "e.csv", "--efeito", "V2=+10"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["resultados", "importar", "p.csv", "e.csv", "--data", LATER.isoformat()])
    assert out.exit_code == 0, out.output
    assert "pagamentos" in out.output and "eventos" in out.output
    out = runner.invoke(app, ["resultados", "relatorio", "--data", LATER.isoformat()])
    assert (
        out.exit_code == 0
        and "experimento lembrete_hoje" in out.output
        and "ainda sem conclusão" in out.output
    )
    out = runner.invoke(app, ["resultados", "relatorio", "--formato", "xml"])
    assert out.exit_code != 0


@pytest.mark.slow
def test_demo_ends_with_a_filled_results_report_then_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    example = Path(__file__).resolve().parents[1] / "exemplo"
    for name in ("cobranca.toml", "regua.yaml"):
        shutil.copy(example / name, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COBRANCA_CONFIG", raising=False)
    out = CliRunner().invoke(app, ["demo", "--linhas", "300", "--sem-caderno"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert "variantes de experimento aprovadas" in out.output
    assert any(line.startswith("resultados SIMULADOS") for line in lines)
    assert "experimento vencimento_texto (passo vence_hoje)" in out.output
    assert sum("veredito:" in line for line in lines) == 3  # controle, A, B
    assert (Path(lines[-1]) / "resumo.json").is_file()


def test_report_without_a_ledger_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="registro de contatos não encontrado"):
        build_report(tmp_path / "contatos.sqlite", Experimentos(), LATER)


def test_dry_run_with_thompson_leaves_the_ledger_file_untouched(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path)  # a ledger from runs without experiments: none of their tables
    add_v2(tmp_path)
    write_csv(tmp_path / "carteira.csv", [row(i, days=0) for i in range(1, 21)])
    run_batch(BatchSettings(carteira=tmp_path / "carteira.csv", data=RUN_DATE, hora=dt.time(7)), cfg)
    block = experiment_block().replace(
        "controle_recebe: nada", "controle_recebe: nada\n      alocacao: thompson"
    )
    (tmp_path / "regua.yaml").write_text(regua_with(block), encoding="utf-8")
    before = _db(tmp_path).read_bytes()
    dry = run_batch(
        BatchSettings(carteira=tmp_path / "carteira.csv", data=LATER, hora=dt.time(7), dry_run=True), cfg
    )
    assert dry.summary["experimentos"][0]["ativo"]
    assert _db(tmp_path).read_bytes() == before


def _brcode(txid: str) -> str:
    def field(tag: str, value: str) -> str:
        return f"{tag}{len(value):02d}{value}"

    account = field("00", "BR.GOV.BCB.PIX") + field("01", "chave@exemplo.com.br")
    return (
        field("00", "01")
        + field("26", account)
        + field("52", "0000")
        + field("53", "986")
        + field("58", "BR")
        + field("59", "CONECTA FIBRA")
        + field("60", "CAMPINAS")
        + field("62", field("05", txid))
        + "6304ABCD"
    )


def test_payments_with_only_a_pix_txid_are_matched_through_the_portfolio(ran, monkeypatch) -> None:
    from cobranca_kit.results.importing import pix_txid, txids_from_portfolio

    folder, _, _ = ran
    assert pix_txid(_brcode("COBD1X")) == "COBD1X" and pix_txid("lixo") is None
    portfolio = folder / "carteira_pix.csv"
    portfolio.write_text(
        "id;nome;cpf_cnpj;uf;valor;vencimento;pix_copia_e_cola\n"
        f"D1;Fulana;529.982.247-25;SP;10,00;24/11/2026;{_brcode('COBD1X')}\n"
        f"D2;Beltrano;529.982.247-25;SP;10,00;24/11/2026;{_brcode('COBD2Y')}\n",
        encoding="utf-8",
    )
    assert txids_from_portfolio(portfolio) == {"COBD1X": "D1", "COBD2Y": "D2"}
    payments = folder / "pix.csv"
    payments.write_text(
        "txid;data_pagamento;valor\nCOBD2Y;25/11/2026;10,00\nCOBZZZ;25/11/2026;10,00\n", encoding="utf-8"
    )
    monkeypatch.chdir(folder)
    out = CliRunner().invoke(
        app,
        ["resultados", "importar", "pix.csv", "--carteira", "carteira_pix.csv", "--data", LATER.isoformat()],
    )
    assert out.exit_code == 0, out.output
    assert "1 nova " in out.output and "1 rejeitada" in out.output
    with sqlite3.connect(_db(folder)) as conn:
        assert conn.execute("SELECT devedor_id, txid FROM pagamentos").fetchall() == [("D2", "COBD2Y")]


def test_import_summary_agrees_in_number() -> None:
    from cobranca_kit.results.importing import ImportReport

    one = ImportReport(Path("eventos.csv"), "eventos", read=1, new=1)
    assert one.text() == "eventos.csv (eventos): 1 linha = 1 nova + 0 já importadas + 0 rejeitadas"
