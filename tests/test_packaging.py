"""The two ways to install (pip/venv and conda) must name the same dependencies, and
the prompts must travel inside the wheel."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _names(reqs: list[str]) -> dict[str, str]:
    out = {}
    for raw in reqs:
        req = Requirement(raw)
        out[req.name.lower().replace("_", "-")] = str(req.specifier)
    return out


def test_environment_yml_matches_pyproject() -> None:
    project = _pyproject()["project"]
    expected = _names(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == "cobranca-kit"
    assert "python=3.11" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = _names([r for r in pip_section if not r.startswith("-e")])
    assert listed == expected, "environment.yml e pyproject.toml divergem"
    assert "-e .[dev]" in pip_section


def test_card_packages_are_dependencies() -> None:
    project = _pyproject()["project"]
    names = set(_names(project["dependencies"] + project["optional-dependencies"]["dev"]))
    card = {"jupyterlab", "ipywidgets", "openai", "jinja2", "textstat", "papermill", "pytest", "nbval"}
    assert card <= names


@pytest.mark.slow
def test_wheel_carries_prompts_and_data(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    builder = WheelBuilder(str(ROOT))
    wheel = Path(next(iter(builder.build(directory=str(tmp_path), versions=["standard"]))))
    names = zipfile.ZipFile(wheel).namelist()
    for prompt in ("sistema.j2", "rascunho.j2", "revisao.j2"):
        assert f"cobranca_kit/_prompts/{prompt}" in names, "a pasta prompts/ precisa ir dentro do pacote"
    assert "cobranca_kit/data/catalog.yaml" in names
    assert "cobranca_kit/_notebooks/02_conjunto_mensagens.ipynb" in names  # cobranca-kit executar
    assert "cobranca_kit/data/fields.yaml" in names


@pytest.mark.slow
def test_installed_wheel_finds_its_prompts(tmp_path: Path) -> None:
    import subprocess
    import sys

    from hatchling.builders.wheel import WheelBuilder

    wheel = next(iter(WheelBuilder(str(ROOT)).build(directory=str(tmp_path / "dist"), versions=["standard"])))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), wheel],
        check=True,
    )
    code = (
        "import cobranca_kit; from cobranca_kit.drafting import prompts_dir, load_prompts;"
        "print(cobranca_kit.__file__); print(prompts_dir()); load_prompts()"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    module_file, folder = out.stdout.split()
    assert module_file.startswith(str(target))
    assert folder == str(target / "cobranca_kit" / "_prompts")
