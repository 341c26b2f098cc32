"""The papermill wrapper and the CLI commands (executar, amostra, demo)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv
from typer.testing import CliRunner

from cobranca_kit.batch.ledger import Ledger
from cobranca_kit.batch.pipeline import BatchSettings
from cobranca_kit.batch.run import NOTEBOOK_PATH, NotebookFailed, parse_parameter, run_notebook
from cobranca_kit.cli.main import app
from cobranca_kit.errors import BatchError

EXAMPLE = Path(__file__).resolve().parents[1] / "exemplo"
runner = CliRunner()


def test_committed_notebook_is_clean_and_parameterised() -> None:
    nb = nbformat.read(NOTEBOOK_PATH, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("carteira", "data", "hora", "regua", "biblioteca", "saida", "simulacao", "canais"):
        assert f"\n{name} = " in "\n" + tagged[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "ipywidgets" not in "".join(c.source for c in code)


@pytest.mark.slow
def test_notebook_run_publishes_folder_with_notebook_and_html(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path)
    portfolio = write_csv(
        tmp_path / "carteira.csv", [row(1), row(2, cpf="1"), row(3, days=7, email="a@b.com.br")]
    )
    run = run_notebook(BatchSettings(carteira=portfolio, data=RUN_DATE), cfg, progress=False)
    folder = run.folder
    assert folder.parent == tmp_path / "runs" and not list(folder.parent.glob(".*"))
    for name in (
        "mensagens.csv",
        "mensagens.parquet",
        "rejeitados.csv",
        "adiados.csv",
        "resumo.json",
        "whatsapp_payloads.jsonl",
        "parametros.yaml",
        "02_conjunto_mensagens.ipynb",
        "02_conjunto_mensagens.html",
    ):
        assert (folder / name).is_file(), name
    assert run.summary["linhas"] == {
        "lidas": 3,
        "aceitas": 2,
        "rejeitadas": 1,
        "conferencia": "lidas = aceitas + rejeitadas",
    }
    html = (folder / "02_conjunto_mensagens.html").read_text(encoding="utf-8")
    assert html.count("data:image/png") >= 3  # stage/channel, send times, rejections
    with Ledger(tmp_path / "contatos.sqlite", "leitura", RUN_DATE, dry_run=True) as ledger:
        assert (run.run_id, RUN_DATE.isoformat(), "concluida") in ledger.runs()
        assert ledger.count(run.run_id) == 2


@pytest.mark.slow
def test_failing_cell_keeps_the_notebook_and_discards_contacts(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path)
    nb = nbformat.read(NOTEBOOK_PATH, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('gráfico quebrado')"))
    broken = tmp_path / "quebrado.ipynb"
    nbformat.write(nb, broken)
    portfolio = write_csv(tmp_path / "carteira.csv", [row(1)])
    with pytest.raises(NotebookFailed) as info:
        run_notebook(
            BatchSettings(carteira=portfolio, data=RUN_DATE, run_id="r1"),
            cfg,
            notebook=broken,
            progress=False,
        )
    message = str(info.value)
    assert "célula" in message and "RuntimeError" in message and "r1.falhou" in message
    assert info.value.exit_code != 0
    runs = tmp_path / "runs"
    assert not (runs / "r1").exists()
    assert (runs / "r1.falhou" / "quebrado.ipynb").is_file()
    assert not (runs / "r1.falhou" / "resumo.json").exists()
    with Ledger(tmp_path / "contatos.sqlite", "leitura", RUN_DATE, dry_run=True) as ledger:
        assert ledger.count() == 0 and ("r1", RUN_DATE.isoformat(), "falhou") in ledger.runs()


def test_parameters_from_the_command_line() -> None:
    settings = BatchSettings(carteira=Path("c.csv"))
    parse_parameter(settings, "colunas.documento", "CPF_CNPJ")
    parse_parameter(settings, "canais", "whatsapp,email")
    parse_parameter(settings, "processos", "2")
    parse_parameter(settings, "hora", "09:30")
    assert settings.colunas == {"documento": "CPF_CNPJ"}
    assert settings.canais == ["whatsapp", "email"] and settings.processos == 2
    assert settings.hora is not None and settings.hora.hour == 9
    with pytest.raises(BatchError, match="parâmetro desconhecido"):
        parse_parameter(settings, "cor", "azul")
    with pytest.raises(BatchError, match="valor inválido"):
        parse_parameter(settings, "data", "amanhã")


def test_cli_executar_without_notebook_and_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COBRANCA_CONFIG", raising=False)
    portfolio = tmp_path / "erp.csv"
    rows = [row(1)]
    write_csv(portfolio, rows)
    text = portfolio.read_text(encoding="utf-8").replace("cpf_cnpj", "DOC_FISCAL")
    portfolio.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "executar",
            "--carteira",
            str(portfolio),
            "--data",
            RUN_DATE.isoformat(),
            "--hora",
            "07:00",
            "--sem-caderno",
            "-p",
            "colunas.documento",
            "DOC_FISCAL",
        ],
    )
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip().splitlines()[-1])
    assert folder.is_dir() and (folder / "resumo.json").is_file()
    with (folder / "mensagens.csv").open(encoding="utf-8-sig") as fh:
        assert [r["devedor_id"] for r in csv.DictReader(fh, delimiter=";")] == ["D1"]
    bad = runner.invoke(app, ["executar", "--carteira", "nao_existe.csv", "--sem-caderno"])
    assert bad.exit_code != 0 and "carteira não encontrada" in bad.output
    bad = runner.invoke(app, ["executar", "--carteira", str(portfolio), "-p", "cor"])
    assert bad.exit_code != 0 and "CHAVE e VALOR" in bad.output


def test_cli_amostra(tmp_path: Path) -> None:
    target = tmp_path / "carteira.csv"
    result = runner.invoke(app, ["amostra", "--linhas", "25", "--saida", str(target)])
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8").splitlines()) == 26


@pytest.mark.slow
def test_demo_in_a_copy_of_the_example_works_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "exemplo"
    ws.mkdir()
    shutil.copy(EXAMPLE / "cobranca.toml", ws)
    shutil.copy(EXAMPLE / "regua.yaml", ws)
    monkeypatch.chdir(ws)
    monkeypatch.delenv("COBRANCA_CONFIG", raising=False)
    first = runner.invoke(app, ["demo", "--linhas", "80", "--sem-caderno"])
    assert first.exit_code == 0, first.output
    assert "modelos de exemplo aprovados" in first.output
    folder = Path(first.output.strip().splitlines()[-1])
    summary = json.loads((folder / "resumo.json").read_text(encoding="utf-8"))
    assert summary["contagens"]["por_status"]["agendada"] > 0
    second = runner.invoke(app, ["demo", "--linhas", "80", "--sem-caderno"])
    assert second.exit_code == 0, second.output
    assert "modelos de exemplo aprovados" not in second.output  # library already seeded
    later = Path(second.output.strip().splitlines()[-1])
    assert later != folder and later.is_dir()
    again = json.loads((later / "resumo.json").read_text(encoding="utf-8"))["contagens"]["por_status"]
    assert again["agendada"] == 0 and again["ja_planejada"] == summary["contagens"]["por_status"]["agendada"]
