"""Compliance verdicts kept between runs: reused while nothing they depend on changed,
dropped when the checker changes, never a reason for a run to fail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from batch_helpers import RUN_DATE, make_workspace, row, use_description_template, write_csv

from cobranca_kit.batch import verdicts as verdicts_module
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.verdicts import VERDICTS_FILE, VerdictStore, template_key
from cobranca_kit.library import Library

FILES = ("mensagens.csv", "ignorados.csv", "rejeitados.csv", "adiados.csv")
COERCIVE = "mensalidade escolar, se não pagar vamos bloquear as provas do seu filho"


def _workspace(tmp: Path):
    """The test workspace, its due-date WhatsApp template printing the free-text description."""
    cfg = make_workspace(tmp)
    use_description_template(tmp)
    return cfg


def _rows() -> list[str]:
    rows = [row(i, descricao="mensalidade de novembro") for i in range(1, 5)]
    rows += [row(i, descricao=COERCIVE, email=f"e{i}@b.com.br") for i in range(5, 8)]
    rows += [row(8, days=7, email="d8@b.com.br"), row(9, cpf="111")]
    return rows


def _run(tmp: Path, cfg, run_id: str):
    path = write_csv(tmp / "carteira.csv", _rows())
    settings = BatchSettings(carteira=path, data=RUN_DATE, hora=dt.time(7), dry_run=True, run_id=run_id)
    return run_batch(settings, cfg)


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_a_second_run_answers_from_kept_verdicts_and_decides_the_same(
    tmp_path: Path, count_checks: list[bool]
) -> None:
    cfg = _workspace(tmp_path)
    first = _run(tmp_path, cfg, "primeira")
    assert count_checks.count(True) >= 2 and count_checks.count(False) == 2  # templates; two descriptions
    kept = json.loads((tmp_path / ".cache" / VERDICTS_FILE).read_text(encoding="utf-8"))
    assert kept["impressao"] == verdicts_module.checker_fingerprint()
    blocked = [v for v in kept["veredictos"].values() if v]
    assert len(blocked) == 1 and "fere regras bloqueantes" in blocked[0]  # the coercive description
    count_checks.clear()
    second = _run(tmp_path, cfg, "segunda")
    assert count_checks == []  # nothing checked again
    assert _files(second.folder) == _files(first.folder)
    sent = {
        m.split(";")[0] for m in (second.folder / "mensagens.csv").read_text("utf-8-sig").splitlines()[1:]
    }
    assert {"D1", "D4", "D5"} <= sent  # D5 (coercive description) still went by another channel


def test_kept_verdicts_are_dropped_when_the_checker_changes(
    tmp_path: Path, count_checks: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _workspace(tmp_path)
    first = _run(tmp_path, cfg, "primeira")
    checks_first = len(count_checks)
    count_checks.clear()
    monkeypatch.setattr(verdicts_module, "checker_fingerprint", lambda: "uma regra mudou")
    second = _run(tmp_path, cfg, "segunda")
    assert len(count_checks) == checks_first  # every verdict computed again
    assert _files(second.folder) == _files(first.folder)
    kept = json.loads((tmp_path / ".cache" / VERDICTS_FILE).read_text(encoding="utf-8"))
    assert kept["impressao"] == "uma regra mudou"


def test_the_fingerprint_follows_the_rule_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "cobranca_kit"
    (package / "compliance" / "rules").mkdir(parents=True)
    rule = package / "compliance" / "rules" / "ameaca.yaml"
    rule.write_text("regras: []\n", encoding="utf-8")
    (package / "LEIA-ME.md").write_text("não entra", encoding="utf-8")
    monkeypatch.setattr(verdicts_module.cobranca_kit, "__file__", str(package / "__init__.py"))
    verdicts_module.checker_fingerprint.cache_clear()
    try:
        before = verdicts_module.checker_fingerprint()
        (package / "LEIA-ME.md").write_text("mudou, mas não é regra", encoding="utf-8")
        verdicts_module.checker_fingerprint.cache_clear()
        assert verdicts_module.checker_fingerprint() == before
        rule.write_text("regras: [outra]\n", encoding="utf-8")
        verdicts_module.checker_fingerprint.cache_clear()
        assert verdicts_module.checker_fingerprint() != before
    finally:
        verdicts_module.checker_fingerprint.cache_clear()


def test_a_changed_template_text_has_another_key(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    template = Library(tmp_path / "biblioteca").list(status="aprovado")[0]
    same = template.model_copy()
    edited = template.model_copy(update={"parts": [(n, t + " ") for n, t in template.parts]})
    context = ("modelo", "vencimento", "nenhuma", [])
    assert template_key(template, *context) == template_key(same, *context)
    assert template_key(template, *context) != template_key(edited, *context)
    assert template_key(template, *context) != template_key(template, "modelo", "atraso_curto", "nenhuma", [])


def test_a_broken_cache_file_is_rebuilt_and_never_stops_a_run(tmp_path: Path) -> None:
    cfg = _workspace(tmp_path)
    cache = tmp_path / ".cache"
    cache.mkdir()
    (cache / VERDICTS_FILE).write_text("{isto não é json", encoding="utf-8")
    result = _run(tmp_path, cfg, "com-cache-quebrado")
    assert result.summary["contagens"]["por_status"]["agendada"] >= 7
    assert json.loads((cache / VERDICTS_FILE).read_text(encoding="utf-8"))["veredictos"]


def test_the_store_merges_writers_keeps_the_newest_and_reports_what_it_cannot_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache" / VERDICTS_FILE
    one, two = VerdictStore(path, "impressao"), VerdictStore(path, "impressao")
    one.put("a", "")
    two.put("b", "modelo reprovado")
    assert one.save() and two.save()
    again = VerdictStore(path, "impressao")
    assert (again.get("a"), again.get("b"), again.get("c")) == ("", "modelo reprovado", None)
    assert again.reused == 2 and again.computed == 0
    assert VerdictStore(path, "outra impressao").get("a") is None  # another checker: nothing kept
    monkeypatch.setattr(verdicts_module, "MAX_ENTRIES", 3)
    for key in "cdef":
        again.put(key, "")
    assert again.save()
    assert sorted(json.loads(path.read_text(encoding="utf-8"))["veredictos"]) == ["d", "e", "f"]
    blocker = tmp_path / "um-arquivo"
    blocker.write_text("", encoding="utf-8")
    stuck = VerdictStore(blocker / VERDICTS_FILE, "impressao")  # its folder is a file
    stuck.put("a", "")
    assert stuck.save() is False
    assert VerdictStore(None).save() is False
