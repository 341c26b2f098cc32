"""Batch runs: portfolio in, checked and scheduled messages out.

``run_batch(BatchSettings(...))`` plans a portfolio without the notebook;
``run_notebook`` runs ``notebooks/02_conjunto_mensagens.ipynb`` with papermill
(what ``cobranca-kit executar`` does). The steps live in their own modules:
``portfolio`` (read and validate), ``regua`` (the schedule file), ``plan``
(per debtor), ``ledger`` (contact history), ``outputs`` (the run folder).
"""

from cobranca_kit.batch.ledger import Contact, Ledger
from cobranca_kit.batch.pipeline import BatchSettings, RunResult, run_batch
from cobranca_kit.batch.portfolio import Debtor, Rejection, read_raw_chunks, validate_row
from cobranca_kit.batch.regua import Regua, load_regua
from cobranca_kit.batch.run import NotebookFailed, NotebookRun, run_notebook
from cobranca_kit.batch.sample import write_sample
from cobranca_kit.batch.seed import seed_library

__all__ = [
    "BatchSettings",
    "Contact",
    "Debtor",
    "Ledger",
    "NotebookFailed",
    "NotebookRun",
    "Regua",
    "Rejection",
    "RunResult",
    "load_regua",
    "read_raw_chunks",
    "run_batch",
    "run_notebook",
    "seed_library",
    "validate_row",
    "write_sample",
]
