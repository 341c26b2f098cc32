"""Notebooks are committed stripped: no outputs, no execution counts, no saved
widget state, and the ``python3`` kernelspec (JupyterLab asks for a kernel otherwise)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def notebook_problems(path: Path) -> list[str]:
    """pt-BR list of what keeps ``path`` from being a clean, committable notebook."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    spec = nb.metadata.get("kernelspec", {})
    if spec.get("name") != "python3":
        problems.append(f"kernelspec deveria ser 'python3', está {spec.get('name')!r}")
    if "widgets" in nb.metadata:
        problems.append("metadata.widgets (estado de widgets salvo): rode nbstripout")
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"célula {i} tem saídas: rode nbstripout")
        if cell.get("execution_count") is not None:
            problems.append(f"célula {i} tem execution_count: rode nbstripout")
    return problems


def test_there_are_notebooks() -> None:
    names = {p.name for p in NOTEBOOKS}
    assert {"01_bancada.ipynb", "04_biblioteca.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped(path: Path) -> None:
    assert notebook_problems(path) == []


def test_checker_spots_outputs_and_missing_kernelspec(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)]
    nb.cells = [cell]
    path = tmp_path / "sujo.ipynb"
    nbformat.write(nb, path)
    problems = notebook_problems(path)
    assert any("kernelspec" in p for p in problems)
    assert any("saídas" in p for p in problems)
    assert any("execution_count" in p for p in problems)
