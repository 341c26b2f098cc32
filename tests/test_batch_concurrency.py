"""Runs at the same time on one workspace, runs killed half-way, and what they leave behind.

Real processes are started and killed here; every wait is bounded.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv

from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.run import NOTEBOOK_PATH, run_notebook
from cobranca_kit.batch.runlock import RunLock
from cobranca_kit.config import load_config

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
WAIT_S = 90  # bound of every wait for another process


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}


def _cli(ws: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cobranca_kit.cli.main", "executar", "--carteira", "carteira.csv",
         "--data", RUN_DATE.isoformat(), "--hora", "09:00", *args],
        cwd=ws, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _script(tmp: Path, body: str) -> subprocess.Popen[str]:
    path = tmp / "roda.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(path)],
        cwd=tmp,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"esperou demais: {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, ended but not yet reaped, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _messages(folder: Path) -> list[dict[str, str]]:
    with (folder / "mensagens.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _statuses(ledger: Path) -> dict[str, str]:
    with sqlite3.connect(ledger) as conn:
        return dict(conn.execute("SELECT run_id, status FROM execucoes"))


def _workspace(tmp: Path, rows: int = 40) -> Path:
    ws = tmp / "ws"
    ws.mkdir()
    make_workspace(ws)
    write_csv(ws / "carteira.csv", [row(i, email=f"p{i}@b.com.br") for i in range(rows)])
    return ws


@pytest.mark.slow
def test_a_second_run_waits_for_the_first_and_contacts_nobody_twice(tmp_path: Path) -> None:
    """Default (papermill) mode: the first run is held after planning, before it is
    published; a second ``executar`` must not plan the same contacts meanwhile."""
    ws = _workspace(tmp_path)
    cfg = load_config(ws / "cobranca.toml")
    gate, paused = tmp_path / "pode_seguir", tmp_path / "pausado"
    nb = nbformat.read(NOTEBOOK_PATH, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import pathlib, time\n"
            f"pathlib.Path({str(paused)!r}).touch()\n"
            f"for _ in range({WAIT_S * 20}):\n"
            f"    if pathlib.Path({str(gate)!r}).exists():\n"
            "        break\n"
            "    time.sleep(0.05)"
        )
    )
    held = tmp_path / "com_pausa.ipynb"
    nbformat.write(nb, held)
    first: dict[str, object] = {}

    def run_first() -> None:
        try:
            first["run"] = run_notebook(
                BatchSettings(carteira=ws / "carteira.csv", data=RUN_DATE), cfg, notebook=held, html=False,
                progress=False,
            )  # fmt: skip
        except BaseException as exc:  # reported by the assertions below
            first["error"] = exc

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        _wait_for(lambda: paused.exists() or "error" in first, "a primeira execução planejar")
        second = _cli(ws)
        lines: list[str] = []  # its stderr, read here while it runs

        def read_err() -> None:
            assert second.stderr is not None
            for line in second.stderr:
                lines.append(line)

        reader = threading.Thread(target=read_err, daemon=True)
        reader.start()
        _wait_for(
            lambda: second.poll() is not None or any("espera" in line for line in lines),
            "a segunda execução esperar ou terminar",
        )
    finally:
        gate.touch()
        thread.join(WAIT_S)
    assert second.stdout is not None
    out = second.stdout.read()
    second.wait(WAIT_S)
    reader.join(WAIT_S)
    assert "error" not in first, first.get("error")
    assert second.returncode == 0, "".join(lines)
    assert any("está em andamento" in line and "espera" in line for line in lines)
    run_one = first["run"]
    folder_two = Path(out.strip().splitlines()[-1])
    assert len(_messages(run_one.folder)) == 40  # type: ignore[attr-defined]
    assert _messages(folder_two) == []
    with (folder_two / "ignorados.csv").open(encoding="utf-8-sig") as fh:
        skipped = list(csv.DictReader(fh, delimiter=";"))
    assert len(skipped) == 40 and {s["categoria"] for s in skipped} == {"ja_planejada"}
    assert set(_statuses(ws / "contatos.sqlite").values()) == {"concluida"}


@pytest.mark.slow
def test_a_run_killed_after_publishing_counts_and_a_rerun_contacts_nobody_twice(tmp_path: Path) -> None:
    """Killed between publishing the folder and marking the run complete (papermill mode)."""
    ws = _workspace(tmp_path, rows=12)
    killer = _script(
        ws,
        """
        import os, signal
        from cobranca_kit.batch import run
        from cobranca_kit.batch.pipeline import BatchSettings
        from cobranca_kit.config import load_config
        from batch_helpers import RUN_DATE

        def killed(path, run_id, status):
            if status == "concluida":
                os.kill(os.getpid(), signal.SIGKILL)

        run.mark_run = killed
        run.run_notebook(BatchSettings(carteira="carteira.csv", data=RUN_DATE), load_config("cobranca.toml"),
                         progress=False, html=False)
        """,
    )
    killer.communicate(timeout=WAIT_S)
    assert killer.returncode == -signal.SIGKILL
    published = [p for p in (ws / "runs").iterdir() if not p.name.startswith(".")]
    assert len(published) == 1 and (published[0] / "resumo.json").is_file()
    assert _statuses(ws / "contatos.sqlite") == {published[0].name: "em_andamento"}

    rerun = _cli(ws, "--sem-caderno")
    out, err = rerun.communicate(timeout=WAIT_S)
    assert rerun.returncode == 0, err
    assert f"execução {published[0].name} interrompida depois de publicada" in err
    assert _messages(Path(out.strip().splitlines()[-1])) == []
    assert "ja_planejada 12" in out
    assert set(_statuses(ws / "contatos.sqlite").values()) == {"concluida"}


def test_a_run_killed_while_planning_is_cleaned_up_and_its_contacts_are_not_counted(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, rows=12)
    killer = _script(
        ws,
        """
        import os, signal
        from cobranca_kit.batch.ledger import Ledger
        from cobranca_kit.batch.pipeline import BatchSettings, run_batch
        from cobranca_kit.config import load_config
        from batch_helpers import RUN_DATE

        original = Ledger.record
        def record_then_die(self, contacts):
            original(self, contacts)
            os.kill(os.getpid(), signal.SIGKILL)

        Ledger.record = record_then_die
        run_batch(BatchSettings(carteira="carteira.csv", data=RUN_DATE, run_id="morta"), load_config("cobranca.toml"))
        """,
    )
    killer.communicate(timeout=WAIT_S)
    assert killer.returncode == -signal.SIGKILL
    assert (ws / "runs" / ".morta.parcial").is_dir()
    assert _statuses(ws / "contatos.sqlite") == {"morta": "em_andamento"}

    rerun = _cli(ws, "--sem-caderno")
    out, err = rerun.communicate(timeout=WAIT_S)
    assert rerun.returncode == 0, err
    assert "execução morta interrompida antes de publicada" in err
    assert len(_messages(Path(out.strip().splitlines()[-1]))) == 12  # the killed run contacted nobody
    assert not (ws / "runs" / ".morta.parcial").exists()
    assert (ws / "runs" / "morta.falhou" / "interrompida.txt").is_file()
    assert _statuses(ws / "contatos.sqlite")["morta"] == "falhou"
    with sqlite3.connect(ws / "contatos.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM contatos WHERE run_id = 'morta'").fetchone() == (0,)


@pytest.mark.parametrize("mode", ["sem_caderno", "caderno"])
def test_killing_a_run_with_processes_ends_its_workers_and_leaves_no_personal_data(
    tmp_path: Path, mode: str
) -> None:
    """``--processos 2``: the worker is held inside a piece when the run is killed."""
    ws = _workspace(tmp_path, rows=60)
    pids = tmp_path / "pids"
    pids.mkdir()
    # Loaded in every Python process of the run (the kernel too) through PYTHONPATH.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""
            import os, time
            MAIN = os.getpid()

            def _patch():
                from cobranca_kit.batch import pipeline
                from cobranca_kit.batch.plan import Planner
                pipeline.MIN_ROWS_PER_PROCESS = 1
                pipeline.WORKER_TASK_ROWS = 5
                original = Planner.plan_chunk

                def slow(self, chunk):
                    if os.getpid() != MAIN:  # a worker: say who it is, then hold the piece
                        open(os.path.join({str(pids)!r}, str(os.getpid())), "w").close()
                        time.sleep({WAIT_S})
                    return original(self, chunk)

                Planner.plan_chunk = slow

            import builtins
            _import = builtins.__import__
            def _hooked(name, *a, **k):
                module = _import(name, *a, **k)
                if name == "cobranca_kit.batch.pipeline" and not getattr(builtins, "_slow_done", False):
                    builtins._slow_done = True
                    _patch()
                return module
            builtins.__import__ = _hooked
            """
        ),
        encoding="utf-8",
    )
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env["PYTHONPATH"]])
    args = ["--processos", "2"] + (["--sem-caderno"] if mode == "sem_caderno" else [])
    run = subprocess.Popen(
        [sys.executable, "-m", "cobranca_kit.cli.main", "executar", "--carteira", "carteira.csv",
         "--data", RUN_DATE.isoformat(), "--hora", "09:00", *args],
        cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: any(pids.iterdir()) or run.poll() is not None, "um trabalhador começar um pedaço")
        assert run.poll() is None
        spill = list((ws / "runs").glob(".*.pedacos"))
        assert len(spill) == 1  # the pieces wait inside the workspace, not in a shared temp folder
        os.kill(run.pid, signal.SIGKILL)
        run.wait(WAIT_S)
        workers = [int(p.name) for p in pids.iterdir()]
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "os trabalhadores terminarem")
        _wait_for(lambda: not spill[0].exists(), "os pedaços serem apagados")
    finally:
        if run.poll() is None:
            run.kill()
        for p in pids.iterdir():
            if _alive(int(p.name)):
                os.kill(int(p.name), signal.SIGKILL)


def test_a_run_finds_the_lock_free_again_after_an_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, rows=3)
    cfg = load_config(ws / "cobranca.toml")
    with pytest.raises(Exception, match="carteira não encontrada"):
        run_batch(BatchSettings(carteira=ws / "falta.csv", data=RUN_DATE), cfg)
    result = run_batch(BatchSettings(carteira=ws / "carteira.csv", data=RUN_DATE, espera_s=0), cfg)
    assert result.summary["contagens"]["por_status"]["agendada"] == 3


def test_a_run_that_cannot_wait_says_which_run_holds_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cobranca_kit.cli.main import app

    ws = _workspace(tmp_path, rows=3)
    monkeypatch.chdir(ws)
    with RunLock(ws / "contatos.sqlite", "outra-execucao"):
        result = CliRunner().invoke(
            app, ["executar", "--carteira", "carteira.csv", "--sem-caderno", "--espera", "0"]
        )
    assert result.exit_code == 2
    assert "a execução outra-execucao (processo" in result.stderr and "esta execução espera" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("erro: a execução outra-execucao")
    assert not (ws / "runs").exists() or not any((ws / "runs").iterdir())


def test_start_up_removes_pieces_left_by_a_killed_run(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, rows=3)
    left = ws / "runs" / ".2026-11-24_0900_000000.pedacos"
    left.mkdir(parents=True)
    (left / "123-1.pedaco").write_bytes(b"D1;Fulana;11987654321")
    result = run_batch(
        BatchSettings(carteira=ws / "carteira.csv", data=RUN_DATE), load_config(ws / "cobranca.toml")
    )
    assert not left.exists()
    assert sorted(p.name for p in (ws / "runs").iterdir()) == [result.run_id]


@pytest.mark.parametrize("mode", ["sem_caderno", "caderno"])
def test_the_run_id_is_chosen_with_the_lock_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Two runs started in the same second must not pick the same id (and folder)."""
    from filelock import FileLock, Timeout

    from cobranca_kit.batch import pipeline, run
    from cobranca_kit.batch.runlock import lock_path

    ws = _workspace(tmp_path, rows=2)
    held: list[bool] = []
    original = pipeline.new_run_id

    def probing(*args, **kwargs):  # type: ignore[no-untyped-def]
        probe = FileLock(str(lock_path(ws / "contatos.sqlite")))
        try:
            probe.acquire(timeout=0)
        except Timeout:
            held.append(True)
        else:
            probe.release()
            held.append(False)
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "new_run_id", probing)
    monkeypatch.setattr(run, "new_run_id", probing)
    settings = BatchSettings(carteira=ws / "carteira.csv", data=RUN_DATE)
    cfg = load_config(ws / "cobranca.toml")
    if mode == "caderno":
        run_notebook(settings, cfg, progress=False, html=False)
    else:
        run_batch(settings, cfg)
    assert held == [True]
