"""The batch notebook's tables and charts (cobranca_kit.batch.report), checked against the
run folder's own CSV files, headless (Agg backend)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv
from matplotlib.figure import Figure

from cobranca_kit.batch import report
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.run import notebook_parameters
from cobranca_kit.errors import BatchError

matplotlib.use("Agg")  # headless: no display needed, nothing is shown

ROWS = [
    row(1),  # D0 -> WhatsApp
    row(2, uf="AM"),  # D0 -> WhatsApp, another time zone
    row(3, days=7, email="ana@exemplo.com.br"),  # D+7 -> e-mail (three parts, one message)
    row(4, days=7, email="bia@exemplo.com.br", uf="RJ"),
    row(5, optout="não quer WhatsApp"),  # D0 -> SMS
    row(6, cpf="111"),  # rejected: document
    row(7, cpf="222"),  # rejected: document
    row(8, phone="123"),  # rejected: phone
    row(9, days=6 * 365),  # rejected: time-barred
    row(10, objecao="nao_reconhece_divida"),  # ignored: suspended
    row(11, phone="", email=""),  # ignored: no channel
    row(12, last="24/11/2026 07:30"),  # deferred: contacted today already
    row(13, days=3),  # no step today
]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> report.RunData:
    folder = tmp_path_factory.mktemp("relatorio")
    cfg = make_workspace(folder)
    portfolio = write_csv(folder / "carteira.csv", ROWS)
    settings = BatchSettings(carteira=portfolio, data=RUN_DATE, hora=dt.time(7, 0), dry_run=True)
    return report.load_run(run_batch(settings, cfg).folder)


def _message_keys(run: report.RunData) -> list[dict[str, str]]:
    """One CSV row per message (the CSV has one row per part), read without pandas."""
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in _read(run.folder / "mensagens.csv"):
        seen.setdefault((r["devedor_id"], r["linha"], r["passo"]), r)
    return list(seen.values())


def test_load_run_collapses_parts_into_messages(run: report.RunData) -> None:
    parts = _read(run.folder / "mensagens.csv")
    messages = _message_keys(run)
    assert len(parts) > len(messages)  # the e-mails have subject, body and signature
    assert len(run.messages) == len(messages) == run.summary["contagens"]["por_status"]["agendada"]
    assert list(run.messages.columns) == report.MESSAGE_REPORT_COLUMNS
    assert len(run.rejected) == len(_read(run.folder / "rejeitados.csv")) == 4
    assert len(run.deferred) == len(_read(run.folder / "adiados.csv")) == 1
    assert len(run.ignored) == len(_read(run.folder / "ignorados.csv")) == 2
    assert run.summary == json.loads((run.folder / "resumo.json").read_text(encoding="utf-8"))


def test_status_table_counts_every_outcome_with_its_label(run: report.RunData) -> None:
    from cobranca_kit.batch.report_view import STATUS_LABELS, status_table

    table = status_table(run.summary)
    counts = run.summary["contagens"]["por_status"]
    assert dict(zip(table["Situação"], table["Devedores"], strict=True)) == {
        STATUS_LABELS[k]: v for k, v in counts.items()
    }
    assert counts["rejeitada"] == 4 and counts["adiada"] == 1


def test_messages_by_stage_channel_counts_match_the_csv(run: report.RunData) -> None:
    table = report.messages_by_stage_channel(run.messages)
    expected = Counter((m["estagio"], m["canal"]) for m in _message_keys(run))
    got = {(stage, channel): int(n) for (stage, channel), n in table.stack().items() if n}
    assert got == dict(expected)
    assert list(table.index) == ["vencimento", "atraso_curto"]  # régua order, not alphabetical
    assert int(table.to_numpy().sum()) == len(run.messages)


def test_stage_channel_chart_stacks_the_table(run: report.RunData) -> None:
    table = report.messages_by_stage_channel(run.messages)
    fig = report.stage_channel_chart(table)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "Mensagens por estágio e canal"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.index)
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == len(run.messages)
    assert fig.number not in plt.get_fignums()  # closed: a notebook shows it only where displayed


def test_send_time_histogram_counts_local_hours(run: report.RunData) -> None:
    expected = Counter(int(m["agendado_para"][11:13]) for m in _message_keys(run))
    assert Counter(report.send_hours(run.messages).tolist()) == expected
    assert len(expected) >= 2  # the AM debtor is scheduled at another local hour
    fig = report.send_time_histogram(run.messages)
    bars = fig.axes[0].patches
    assert len(bars) == 24
    assert {round(b.get_x()): int(b.get_height()) for b in bars if b.get_height()} == dict(expected)


def test_rejections_by_reason_match_the_csv(run: report.RunData) -> None:
    reasons = report.rejections_by_reason(run.rejected)
    expected = Counter((r["categoria"], r["campo"]) for r in _read(run.folder / "rejeitados.csv"))
    assert reasons.to_dict() == dict(expected)
    assert list(reasons) == sorted(reasons)  # fewest first
    assert reasons[("invalida", "documento")] == 2
    fig = report.rejections_chart(reasons)
    ax = fig.axes[0]
    assert [int(p.get_width()) for p in ax.patches] == list(reasons)
    assert fig.get_size_inches()[1] == pytest.approx(0.4 * len(reasons) + 1)


def test_deferred_and_ignored(run: report.RunData) -> None:
    line, by_category = report.deferred_and_ignored(run)
    assert line == "Adiados por limite de contatos: 1; ignorados hoje (com motivo): 2"
    expected = Counter(r["categoria"] for r in _read(run.folder / "ignorados.csv"))
    assert by_category["devedores"].to_dict() == dict(expected) == {"suspensa": 1, "sem_canal": 1}


def test_load_run_names_the_missing_file(run: report.RunData, tmp_path: Path) -> None:
    copy = tmp_path / "copia"
    shutil.copytree(run.folder, copy)
    (copy / "ignorados.csv").unlink()
    with pytest.raises(BatchError, match=r"ignorados\.csv não encontrado"):
        report.load_run(copy)
    with pytest.raises(BatchError, match=r"resumo\.json não encontrado"):
        report.load_run(tmp_path / "nao-existe")


def test_parameters_written_by_executar_give_back_the_settings(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path)
    settings = BatchSettings(
        carteira=tmp_path / "carteira.csv",
        data=RUN_DATE,
        hora=dt.time(9, 30),
        dry_run=True,
        canais=["email", "sms"],
        colunas={"documento": "CPF_CNPJ"},
        processos=2,
    )
    staging = tmp_path / "runs" / ".parcial"
    params = notebook_parameters(settings, cfg, "exec-1", staging)
    setup = report.settings_from_parameters(**params)
    got = setup.settings
    assert setup.demo_folder is None and setup.config.source == cfg.source
    assert (got.carteira, got.data, got.hora) == (settings.carteira.resolve(), RUN_DATE, dt.time(9, 30))
    assert (got.dry_run, got.canais, got.colunas, got.processos) == (
        True,
        ["email", "sms"],
        settings.colunas,
        2,
    )
    assert (
        got.biblioteca == (tmp_path / "biblioteca").resolve() and got.saida == (tmp_path / "runs").resolve()
    )
    assert got.ledger == (tmp_path / "contatos.sqlite").resolve()
    assert (got.run_id, got.staging, got.publish) == ("exec-1", staging.resolve(), False)


def test_empty_parameters_mean_defaults(workspace: Path) -> None:
    got = report.settings_from_parameters(carteira="carteira.csv").settings
    assert (got.data, got.hora, got.regua, got.biblioteca, got.canais, got.colunas) == (
        None,
        None,
        None,
        None,
        None,
        {},
    )
    assert (got.dry_run, got.run_id, got.staging, got.publish) == (False, None, None, True)


@pytest.mark.parametrize(
    ("name", "value", "hint"), [("data", "24/11/2026", "AAAA-MM-DD"), ("hora", "8h", "HH:MM")]
)
def test_bad_date_or_time_parameter_is_a_pt_br_error(
    workspace: Path, name: str, value: str, hint: str
) -> None:
    with pytest.raises(BatchError, match=f"parâmetro '{name}' inválido: '{value}' \\(use {hint}\\)"):
        report.settings_from_parameters(carteira="carteira.csv", **{name: value})


@pytest.mark.slow
def test_without_portfolio_a_demo_workspace_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the demo folder lands in tmp_path
    setup = report.settings_from_parameters(simulacao=False)
    assert setup.demo_folder is not None and setup.demo_folder.parent == tmp_path
    assert setup.settings.carteira == setup.demo_folder / "carteira.csv" and setup.settings.carteira.is_file()
    assert setup.settings.dry_run is True  # a demonstration never writes a contact ledger
    assert setup.config.source == setup.demo_folder / "cobranca.toml"
