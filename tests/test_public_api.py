from __future__ import annotations

import subprocess
import sys

import cobranca_kit


def test_every_public_name_resolves() -> None:
    for name in cobranca_kit.__all__:
        assert getattr(cobranca_kit, name) is not None, name


def test_plain_import_does_not_load_heavy_faces() -> None:
    code = "import sys, cobranca_kit; print('openai' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
