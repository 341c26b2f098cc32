"""The contact ledger: runs, completion, dry runs and failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cobranca_kit.batch.ledger import Contact, Ledger, mark_run

DAY = dt.date(2026, 11, 24)
TZ = dt.timezone(dt.timedelta(hours=-3))


def _contact(debtor: str = "D1", step: str = "vence_hoje", hour: int = 9) -> Contact:
    return Contact(debtor, "FAT-1", step, "whatsapp", dt.datetime(2026, 11, 24, hour, tzinfo=TZ))


def test_only_completed_runs_count(tmp_path: Path) -> None:
    path = tmp_path / "contatos.sqlite"
    with Ledger(path, "r1", DAY) as ledger:
        ledger.record([_contact()])
        assert ledger.history(["D1"]) == {}  # its own contacts are not history yet
        ledger.complete()
    with Ledger(path, "r2", DAY) as ledger:
        history = ledger.history(["D1", "D2"])
        assert set(history) == {"D1"}
        assert history["D1"].done_steps == {("FAT-1", "vence_hoje")}
        assert history["D1"].run_for("FAT-1", "vence_hoje") == "r1"
        assert history["D1"].contacts == (dt.datetime(2026, 11, 24, 9, tzinfo=TZ),)


def test_unfinished_or_failed_runs_leave_no_contacts_behind(tmp_path: Path) -> None:
    path = tmp_path / "contatos.sqlite"
    with Ledger(path, "interrompida", DAY) as ledger:
        ledger.record([_contact()])  # never completed
    try:
        with Ledger(path, "quebrou", DAY) as ledger:
            ledger.record([_contact("D2")])
            raise RuntimeError("falha no meio")
    except RuntimeError:
        pass
    with Ledger(path, "r3", DAY) as ledger:
        assert ledger.history(["D1", "D2"]) == {}
        assert ledger.count("quebrou") == 0
        assert {r[0]: r[2] for r in ledger.runs()} == {
            "interrompida": "em_andamento",
            "quebrou": "falhou",
            "r3": "em_andamento",
        }


def test_dry_run_creates_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "contatos.sqlite"
    with Ledger(path, "simulacao", DAY, dry_run=True) as ledger:
        ledger.record([_contact()])
        ledger.complete()
    assert not path.exists()
    with Ledger(path, "r1", DAY) as ledger:
        ledger.record([_contact()])
        ledger.complete()
    before = path.read_bytes()
    with Ledger(path, "simulacao2", DAY, dry_run=True) as ledger:
        assert "D1" in ledger.history(["D1"])  # reads history
        ledger.record([_contact("D9")])
        ledger.complete()
    assert path.read_bytes() == before


def test_wrapper_can_complete_or_fail_a_run_later(tmp_path: Path) -> None:
    path = tmp_path / "contatos.sqlite"
    for run_id in ("ok", "ruim"):
        with Ledger(path, run_id, DAY) as ledger:
            ledger.record([_contact(run_id)])
    mark_run(path, "ok", "concluida")
    mark_run(path, "ruim", "falhou")
    with Ledger(path, "depois", DAY) as ledger:
        assert set(ledger.history(["ok", "ruim"])) == {"ok"}
        assert ledger.count("ruim") == 0
