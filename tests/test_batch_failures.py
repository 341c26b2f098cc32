"""What ``executar`` says when the workspace, the disk, the ledger or the kernel fails:
a pt-BR ``erro:`` line and exit code 2, never a traceback; bad inputs are found
before the notebook starts and leave no run folder."""

from __future__ import annotations

import csv
import errno
import json
import sqlite3
from pathlib import Path

import nbformat
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv
from typer.testing import CliRunner

from cobranca_kit.batch.outputs import RunWriter
from cobranca_kit.batch.pipeline import BatchSettings
from cobranca_kit.batch.run import NOTEBOOK_PATH, NotebookFailed, run_notebook
from cobranca_kit.cli.main import app
from cobranca_kit.config import load_config
from cobranca_kit.errors import BatchError

runner = CliRunner()
MODES = {"caderno": [], "sem_caderno": ["--sem-caderno"]}


def _ws(tmp: Path) -> Path:
    make_workspace(tmp)
    write_csv(tmp / "carteira.csv", [row(1), row(2)])
    return tmp


def _executar(ws: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ws)
    return runner.invoke(
        app, ["executar", "--carteira", "carteira.csv", "--data", RUN_DATE.isoformat(), *args]
    )


def _plain_error(result) -> str:  # type: ignore[no-untyped-def]
    """The CLI's error line, after checking it ends stderr (after progress bars) with exit code 2."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    text = result.stderr.strip().splitlines()[-1]
    assert text.startswith("erro: "), result.stderr
    assert "Traceback" not in result.output and not isinstance(result.exception, (OSError, sqlite3.Error))
    return text


def _runs(ws: Path) -> list[str]:
    return sorted(p.name for p in (ws / "runs").iterdir()) if (ws / "runs").is_dir() else []


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_corrupt_ledger_is_named_plainly_in_both_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    ws = _ws(tmp_path)
    (ws / "contatos.sqlite").write_bytes(b"isto nao e um banco sqlite " * 100)
    text = _plain_error(_executar(ws, monkeypatch, *MODES[mode]))
    assert f"registro de contatos {ws / 'contatos.sqlite'}" in text and "corrompido" in text
    assert not [name for name in _runs(ws) if not name.endswith(".falhou")]  # nothing published


@pytest.mark.parametrize("mode", sorted(MODES))
def test_missing_inputs_are_found_before_the_notebook_and_leave_no_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    ws = _ws(tmp_path)
    text = _plain_error(
        runner.invoke(app, ["executar", "--carteira", str(ws / "falta.csv"), "--config", str(ws / "cobranca.toml"), *MODES[mode]])
    )  # fmt: skip
    assert "carteira não encontrada" in text
    assert _runs(ws) == []
    bare = tmp_path / "sem_config"
    bare.mkdir()
    write_csv(bare / "carteira.csv", [row(1)])
    text = _plain_error(_executar(bare, monkeypatch, *MODES[mode]))
    assert "falta a seção [empresa]" in text
    assert _runs(bare) == []


def test_a_full_disk_is_said_in_portuguese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)

    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device", str(self.dir / "mensagens.csv"))

    monkeypatch.setattr(RunWriter, "write_encoded", full)
    text = _plain_error(_executar(ws, monkeypatch, "--sem-caderno"))
    assert "disco cheio ao gravar" in text and "mensagens.csv" in text
    assert [name for name in _runs(ws) if not name.endswith(".falhou")] == []


def test_a_read_only_workspace_is_said_in_portuguese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file system refuses every write (chmod is no test: root may write anyway)."""
    ws = _ws(tmp_path)
    original = Path.mkdir

    def read_only(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.is_relative_to(ws):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    for args in MODES.values():
        text = _plain_error(_executar(ws, monkeypatch, *args))
        assert "somente leitura" in text and str(ws / "runs") in text


def test_a_batch_error_in_the_kernel_keeps_its_message_and_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _ws(tmp_path)
    (ws / "carteira.csv").write_text("", encoding="utf-8")  # found, but empty: the kernel says so
    text = _plain_error(_executar(ws, monkeypatch))
    assert "arquivo vazio ou sem cabeçalho" in text and "caderno executado guardado em" in text
    assert "célula" not in text


def test_a_dead_kernel_is_said_in_portuguese_and_discards_the_run(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    cfg = load_config(ws / "cobranca.toml")
    nb = nbformat.read(NOTEBOOK_PATH, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    dying = tmp_path / "morre.ipynb"
    nbformat.write(nb, dying)
    with pytest.raises(BatchError) as info:
        run_notebook(
            BatchSettings(carteira=ws / "carteira.csv", data=RUN_DATE, run_id="morta"),
            cfg,
            notebook=dying,
            progress=False,
            html=False,
        )
    assert not isinstance(info.value, NotebookFailed) and info.value.exit_code == 2
    assert "o kernel do caderno parou" in str(info.value)
    assert _runs(ws) == ["morta.falhou"]
    with sqlite3.connect(ws / "contatos.sqlite") as conn:
        assert conn.execute("SELECT status FROM execucoes WHERE run_id = 'morta'").fetchone() == ("falhou",)
        assert conn.execute("SELECT COUNT(*) FROM contatos").fetchone() == (0,)


def _whatsapp_template(ws: Path) -> Path:
    return ws / "biblioteca" / "nenhuma-amigavel-whatsapp-vencimento" / "v1.yaml"


@pytest.mark.parametrize("damage", ["corrompido", "nao_monta"])
def test_a_broken_approved_template_moving_debtors_to_another_channel_is_recorded_and_warned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    ws = _ws(tmp_path)
    path = _whatsapp_template(ws)
    if damage == "corrompido":
        path.write_text("formato: 1\nmeta: [isto não fecha\n", encoding="utf-8")
    else:  # still an approved template file, but its text cannot be compiled
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("{{ divida.valor | moeda }}", "{{ divida.valor | moeda "), encoding="utf-8"
        )
    result = _executar(ws, monkeypatch, "--sem-caderno")
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip().splitlines()[-1])
    with (folder / "decisoes.csv").open(encoding="utf-8-sig") as fh:
        decisions = list(csv.DictReader(fh, delimiter=";"))
    assert [(d["devedor_id"], d["canal_usado"]) for d in decisions] == [("D1", "sms"), ("D2", "sms")]
    assert all(d["motivo"].startswith("whatsapp: ") for d in decisions)
    summary = json.loads((folder / "resumo.json").read_text(encoding="utf-8"))["decisoes"]
    assert summary["outro_canal"] == 2 and sum(summary["por_motivo"].values()) == 2
    if damage == "corrompido":
        assert [p["arquivo"] for p in summary["biblioteca_com_problemas"]] == [str(path)]
        assert f"aviso: arquivo da biblioteca ignorado: {path}" in result.stderr
    else:
        assert "não pode ser montado" in decisions[0]["motivo"]
    assert "aviso: 2 devedor(es) em outro canal que o primeiro da régua" in result.stderr


def test_a_clean_run_decides_nothing_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)
    result = _executar(ws, monkeypatch, "--sem-caderno")
    assert result.exit_code == 0 and "aviso" not in result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert (folder / "decisoes.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "linha;devedor_id;passo;estagio;canal_usado;motivo"
    ]
    summary = json.loads((folder / "resumo.json").read_text(encoding="utf-8"))["decisoes"]
    assert summary["outro_canal"] == 0 and summary["biblioteca_com_problemas"] == []


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_ledger_that_cannot_be_created_is_said_in_portuguese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    ws = _ws(tmp_path)
    (ws / "ocupado").write_text("um arquivo, não uma pasta", encoding="utf-8")
    with (ws / "cobranca.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[pastas]\nledger = "ocupado/contatos.sqlite"\n')
    text = _plain_error(_executar(ws, monkeypatch, *MODES[mode]))
    assert f"não foi possível reservar o registro de contatos {ws / 'ocupado' / 'contatos.sqlite'}" in text
    assert "um arquivo está onde deveria haver uma pasta" in text
    assert _runs(ws) == []
