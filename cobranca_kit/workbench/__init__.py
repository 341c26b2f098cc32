"""ipywidgets faces of the package: the drafting workbench and the library browser.

The widgets only wire controls to drafting, compliance and library functions;
results land in widget values (``HTML.value``, ``Textarea.value``) so the
notebooks, Voilà and headless tests all see the same state.

Names are imported on first use, so the pure helpers (``preview``, ``safe``)
load without pulling in the drafting backends.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CobrancaApp": "cobranca_kit.workbench.suite",
    "Workbench": "cobranca_kit.workbench.app",
    "DraftCard": "cobranca_kit.workbench.cards",
    "LibraryBrowser": "cobranca_kit.workbench.library_browser",
    "friendly_message": "cobranca_kit.workbench.safe",
    "safe_callback": "cobranca_kit.workbench.safe",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
