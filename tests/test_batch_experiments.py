"""A/B experiments in régua steps: validation, deterministic assignment recorded in the
run folder and the ledger, never a text that is not approved."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import REGUA_YAML, RUN_DATE, make_workspace, row, write_csv

from cobranca_kit.batch import pipeline as pipeline_module
from cobranca_kit.batch.experiments import unit_draw
from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.batch.regua import load_regua
from cobranca_kit.errors import DataFileError
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import WhatsAppScript

TEMPLATE = "nenhuma-amigavel-whatsapp-vencimento"
V2_TEXT = (
    "Oi, {{ cliente.primeiro_nome }}. Lembrete da {{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, "
    "{{ empresa.endereco }}: a fatura de {{ divida.valor | moeda }} vence hoje, "
    "{{ divida.vencimento | data }}. Link oficial: {{ pagamento.link }}. Atendimento: {{ empresa.atendimento }}."
)


def experiment_block(
    controle: float = 0.2, recebe: str = "nada", variants: tuple[str, ...] = ("v1", "v2")
) -> str:
    lines = [
        "    experimento:",
        "      id: lembrete_hoje",
        f"      controle: {controle}",
        f"      controle_recebe: {recebe}",
    ]
    lines.append("      variantes:")
    lines += [f"        - {{modelo: {TEMPLATE}@{v}, nome: {v.upper()}}}" for v in variants]
    return "\n".join(lines) + "\n"


def regua_with(block: str) -> str:
    anchor = "    tom: amigavel\n"
    return REGUA_YAML.replace(anchor, anchor + block, 1)


def add_v2(tmp: Path, approve: bool = True) -> None:
    library = Library(tmp / "biblioteca")
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="vencimento", autor="t")
    ref = library.save(WhatsAppScript(mensagens=[V2_TEXT]), meta)
    assert str(ref) == f"{TEMPLATE}@v2"
    if approve:
        library.approve(ref.id, ref.version, "teste")


@pytest.fixture
def ws(tmp_path: Path):
    cfg = make_workspace(tmp_path)
    add_v2(tmp_path)
    (tmp_path / "regua.yaml").write_text(regua_with(experiment_block()), encoding="utf-8")
    rows = [row(i, days=0 if i % 4 else 7, email=f"p{i}@b.com.br") for i in range(1, 121)]
    write_csv(tmp_path / "carteira.csv", rows)
    return tmp_path, cfg


def _run(folder: Path, cfg, processes: int = 1, **kw):
    settings = BatchSettings(
        carteira=folder / "carteira.csv",
        data=RUN_DATE,
        hora=dt.time(7),
        processos=processes,
        chunk_rows=7,
        **kw,
    )
    return run_batch(settings, cfg)


def test_experiment_block_is_validated_with_field_names(tmp_path: Path) -> None:
    path = tmp_path / "regua.yaml"
    path.write_text(regua_with(experiment_block(controle=0, variants=("v1",))), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"experimento.*dois braços"):
        load_regua(path)
    path.write_text(regua_with(experiment_block().replace("@v2", "-v2")), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"passos\[1\]\.experimento\.variantes\[2\]\.modelo"):
        load_regua(path)
    path.write_text(regua_with(experiment_block().replace("nada", "tudo")), encoding="utf-8")
    with pytest.raises(DataFileError, match="controle_recebe"):
        load_regua(path)
    path.write_text(regua_with(experiment_block()), encoding="utf-8")
    assert load_regua(path).passos[0].experimento.id == "lembrete_hoje"


def test_assignment_is_recorded_in_the_run_folder_and_the_ledger(ws) -> None:
    folder, cfg = ws
    result = _run(folder, cfg)
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    today = messages[messages["passo"] == "vence_hoje"]
    assert set(today["experimento"]) == {"lembrete_hoje"}
    assert set(today["variante"]) == {"V1", "V2"}
    assert (today["modelo_versao"] == today["variante"].str[1]).all()  # V1 -> v1, V2 -> v2
    assert set(messages[messages["passo"] != "vence_hoje"]["experimento"]) == {""}
    skipped = pd.read_csv(result.folder / "ignorados.csv", sep=";", dtype=str)
    holdout = skipped[skipped["categoria"] == "controle_experimento"]
    assert len(holdout) > 0
    # the arm is the hash of (experiment, debtor): computed here independently
    for debtor, variant in zip(today["devedor_id"], today["variante"], strict=True):
        u = unit_draw("lembrete_hoje", debtor)
        assert u >= 0.2 and variant == ("V1" if u < 0.6 else "V2")
    assert all(unit_draw("lembrete_hoje", d) < 0.2 for d in holdout["devedor_id"])
    summary = json.loads((result.folder / "resumo.json").read_text(encoding="utf-8"))
    entry = summary["experimentos"][0]
    assert entry["ativo"] and entry["pesos"] == {"controle": 0.2, "V1": 0.4, "V2": 0.4}
    assert sum(entry["atribuidos"].values()) == len(today) + len(holdout)
    with sqlite3.connect(folder / "contatos.sqlite") as conn:
        rows = conn.execute("SELECT devedor_id, variante, enviada FROM experimento_atribuicoes").fetchall()
    assert len(rows) == len(today) + len(holdout)
    assert {(d, v) for d, v, _ in rows} == {
        *zip(today["devedor_id"], today["variante"], strict=True),
        *((d, "controle") for d in holdout["devedor_id"]),
    }


def test_assignment_is_stable_across_reruns_and_process_counts(
    ws, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_module, "MIN_ROWS_PER_PROCESS", 1)
    folder, cfg = ws
    first = _run(folder, cfg, dry_run=True)
    second = _run(folder, cfg, processes=2, dry_run=True)
    assert second.summary["processos_usados"] == 2

    def arms(result) -> list[tuple[str, str]]:
        frame = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
        return sorted(zip(frame["devedor_id"], frame["variante"], strict=True))

    assert arms(first) == arms(second)
    assert (first.folder / "ignorados.csv").read_bytes() == (second.folder / "ignorados.csv").read_bytes()


def test_controle_campeao_sends_the_champion_and_labels_it(ws) -> None:
    folder, cfg = ws
    (folder / "regua.yaml").write_text(regua_with(experiment_block(recebe="campeao")), encoding="utf-8")
    result = _run(folder, cfg)
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    control = messages[messages["variante"] == "controle"]
    assert len(control) > 0
    assert set(control["modelo_versao"]) == {"2"}  # the champion: latest approved version


def test_unapproved_variant_turns_the_experiment_off_never_sends_it(ws, capsys) -> None:
    folder, cfg = ws
    library = Library(folder / "biblioteca")
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="vencimento", autor="t")
    library.save(WhatsAppScript(mensagens=[V2_TEXT + " Até logo."]), meta)  # v3, a draft
    (folder / "regua.yaml").write_text(
        regua_with(experiment_block(variants=("v1", "v2", "v3"))), encoding="utf-8"
    )
    result = _run(folder, cfg)
    entry = result.summary["experimentos"][0]
    assert not entry["ativo"] and "v3" in entry["motivo"] and "rascunho" in entry["motivo"]
    assert "desligado" in capsys.readouterr().err
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    assert set(messages["experimento"]) == {""}
    assert "3" not in set(messages["modelo_versao"])


def test_variant_failing_the_checker_turns_the_experiment_off(ws, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, cfg = ws
    from cobranca_kit.batch import experiments

    real = experiments.variant_problem

    def fake(library, step, variant):  # the checker's rules changed since approval
        problem, channel = real(library, step, variant)
        return (problem or ("reprovada (regra nova)" if variant.modelo.endswith("@v2") else None)), channel

    monkeypatch.setattr(experiments, "variant_problem", fake)
    result = _run(folder, cfg)
    assert not result.summary["experimentos"][0]["ativo"]
    messages = pd.read_csv(result.folder / "mensagens.csv", sep=";", dtype=str, keep_default_na=False)
    assert set(messages["experimento"]) == {""}
