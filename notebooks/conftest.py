"""pytest hooks for running these notebooks under ``pytest --nbval-lax``.

nbval starts one kernel per notebook when the notebook's first cell is set up;
the kernel inherits this process's environment. So, around the set-up of every
notebook cell, point ``COBRANCA_CONFIG`` at a throw-away workspace (its own
``cobranca.toml`` with ``[pastas]`` inside a temporary folder) and force the
offline backend: notebooks never touch the real workspace, the network or a key.
The variables are restored right after, so other tests never see them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_WORKSPACE: Path | None = None

WORKSPACE_TOML = (Path(__file__).resolve().parents[1] / "tests" / "data" / "cobranca_teste.toml").read_text(
    encoding="utf-8"
)


def notebook_workspace() -> Path:
    """The temporary workspace folder (created once per session)."""
    global _WORKSPACE
    if _WORKSPACE is None:
        _WORKSPACE = Path(tempfile.mkdtemp(prefix="cobranca-notebooks-"))
        (_WORKSPACE / "cobranca.toml").write_text(WORKSPACE_TOML, encoding="utf-8")
    return _WORKSPACE


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if item.path.suffix != ".ipynb":
        yield
        return
    saved = {key: os.environ.get(key) for key in ("COBRANCA_CONFIG", "COBRANCA_BACKEND")}
    os.environ["COBRANCA_CONFIG"] = str(notebook_workspace() / "cobranca.toml")
    os.environ["COBRANCA_BACKEND"] = "offline"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def pytest_unconfigure(config: pytest.Config) -> None:
    if _WORKSPACE is not None:
        shutil.rmtree(_WORKSPACE, ignore_errors=True)
