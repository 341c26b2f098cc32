"""Preparing a workspace so a new user sees a complete run (``make run``, the notebook).

A workspace needs a portfolio and approved templates. :func:`prepare_workspace`
adds what is missing (a fictitious portfolio, the offline drafter's templates,
approved) and leaves what exists alone, so it is safe to call before every run.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cobranca_kit.batch.plan import BRT
from cobranca_kit.batch.regua import load_regua
from cobranca_kit.batch.sample import write_sample
from cobranca_kit.batch.seed import SeedReport, seed_experiment_variants, seed_library
from cobranca_kit.config import Config, load_config
from cobranca_kit.errors import BatchError

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "exemplo"
DEMO_PORTFOLIO = "carteira.csv"
DEMO_ROWS = 400


@dataclass
class Prepared:
    portfolio: Path
    made_portfolio: bool
    seed: SeedReport | None
    variants: SeedReport | None = None


def prepare_workspace(config: Config, portfolio: Path | None = None, rows: int = DEMO_ROWS) -> Prepared:
    """Make the sample portfolio if missing and seed the library if it has no approved template."""
    portfolio = portfolio or config.base_dir / DEMO_PORTFOLIO
    made = False
    if not portfolio.exists():
        write_sample(portfolio, rows, run_date=dt.datetime.now(BRT).date())
        made = True
    regua_path = config.path("regua")
    regua = load_regua(regua_path if regua_path.is_file() else None)
    library_path = config.path("biblioteca")
    seed = None
    if not _has_approved(library_path):
        seed = seed_library(
            library_path,
            regua,
            approver=config.aprovacao.aprovador_padrao or "exemplo (aprovação automática da demonstração)",
        )
    variants = None
    if any(step.experimento for step in regua.passos):
        variants = seed_experiment_variants(
            library_path,
            regua,
            approver=config.aprovacao.aprovador_padrao or "exemplo (aprovação automática da demonstração)",
        )
    return Prepared(portfolio, made, seed, variants)


def _has_approved(library_path: Path) -> bool:
    from cobranca_kit.library import Library

    return library_path.is_dir() and bool(Library(library_path).list(status="aprovado"))


def demo_workspace(folder: Path | None = None, rows: int = 200) -> Path:
    """A throw-away workspace (example config and régua, sample portfolio, seeded library)."""
    source = EXAMPLE_DIR / "cobranca.toml"
    if not source.is_file():
        raise BatchError(f"configuração de exemplo não encontrada: {source}")
    folder = folder or Path(tempfile.mkdtemp(prefix="cobranca-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / "cobranca.toml")
    if (EXAMPLE_DIR / "regua.yaml").is_file():
        shutil.copy(EXAMPLE_DIR / "regua.yaml", folder / "regua.yaml")
    prepare_workspace(load_config(folder / "cobranca.toml"), rows=rows)
    return folder
