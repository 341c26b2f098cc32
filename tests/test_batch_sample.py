"""The fictitious portfolio generator and the example-library seeding."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from cobranca_kit.batch.portfolio import read_raw_chunks, validate_chunk
from cobranca_kit.batch.regua import load_regua
from cobranca_kit.batch.sample import write_sample
from cobranca_kit.batch.seed import Combo, regua_combos
from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import UFS

DAY = dt.date(2026, 11, 24)


def test_sample_is_valid_mostly_and_covers_states_and_stages(tmp_path: Path) -> None:
    path = write_sample(tmp_path / "carteira.csv", 600, run_date=DAY, seed=7)
    accepted, rejected = [], []
    for chunk in read_raw_chunks(path):
        a, r = validate_chunk(chunk, DAY)
        accepted += a
        rejected += r
    assert len(accepted) + len(rejected) == 600
    assert {d.uf for d in accepted} == set(UFS)
    stages = {get_catalog().stage_for_days((DAY - d.vencimento).days) for d in accepted}
    assert {"pre_vencimento", "vencimento", "atraso_curto", "atraso_medio", "atraso_longo"} <= stages
    categories = Counter(r.category for r in rejected)
    assert categories["invalida"] >= 3 and categories["prescrita"] >= 3
    assert len(rejected) < 0.15 * 600
    assert all(d.telefone is None or d.telefone.startswith("+55") for d in accepted)


def test_sample_is_reproducible_and_writes_other_formats(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a.csv", 50, run_date=DAY, seed=1).read_bytes()
    b = write_sample(tmp_path / "b.csv", 50, run_date=DAY, seed=1).read_bytes()
    assert a == b
    frame = pd.read_parquet(write_sample(tmp_path / "c.parquet", 20, run_date=DAY))
    assert len(frame) == 20 and "cpf_cnpj" in frame.columns


def test_seed_combos_follow_the_regua_and_its_overrides() -> None:
    combos = regua_combos(load_regua())
    assert Combo("nenhuma", "amigavel", "whatsapp", "pre_vencimento") in combos
    assert Combo("nenhuma", "firme", "email", "atraso_medio") in combos
    assert Combo("sem_condicoes", "empatico", "whatsapp", "atraso_curto") in combos
    assert (
        Combo("sem_condicoes", "empatico", "sms", "atraso_curto") not in combos
    )  # override: whatsapp, email
    assert not any(c.objecao in ("ja_paguei", "nao_reconhece_divida") for c in combos)  # suspended
    assert len(combos) == len(set(combos))


def test_seeded_example_templates_have_readable_titles(tmp_path: Path) -> None:
    from cobranca_kit.batch.seed import seed_library
    from cobranca_kit.library import Library

    regua = load_regua(Path(__file__).parents[1] / "exemplo" / "regua.yaml")
    seed_library(tmp_path / "biblioteca", regua)
    titles = [t.meta.titulo for t in Library(tmp_path / "biblioteca").list()]
    assert titles and all(t.startswith("Exemplo: ") and "_" not in t for t in titles), titles
