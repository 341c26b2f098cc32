"""cobranca-kit: draft, check, save and batch Brazilian collection messages.

The public API is re-exported here; submodules hold the details.
"""

import importlib
from typing import Any

from cobranca_kit.catalog import Catalog, get_catalog
from cobranca_kit.compliance import CheckContext, Finding, Report, check, rules_summary
from cobranca_kit.config import Config, load_config
from cobranca_kit.errors import (
    BatchError,
    CatalogError,
    CobrancaKitError,
    ComplianceError,
    ConfigError,
    DataFileError,
    DraftError,
    LibraryError,
    PlaceholderError,
    RenderError,
)
from cobranca_kit.fields import check_placeholders, get_fields, sample_debtor
from cobranca_kit.formatting import data, data_extenso, moeda, primeiro_nome
from cobranca_kit.script import (
    CallScript,
    CallStep,
    EmailScript,
    Script,
    SmsScript,
    WhatsAppScript,
    parse_script,
    script_from_parts,
)

__version__ = "0.1.0"

# Heavier faces load on first use, so ``import cobranca_kit`` (and the CLI) stay
# quick: the drafting backends pull in the openai SDK, the workbench ipywidgets.
_LAZY = {
    "DraftRequest": "cobranca_kit.drafting",
    "CheckedDraft": "cobranca_kit.drafting",
    "OfflineDrafter": "cobranca_kit.drafting",
    "OpenAIDrafter": "cobranca_kit.drafting",
    "get_drafter": "cobranca_kit.drafting",
    "draft_checked": "cobranca_kit.drafting",
    "draft_variants": "cobranca_kit.drafting",
    "draft_matrix": "cobranca_kit.drafting",
    "Library": "cobranca_kit.library",
    "Template": "cobranca_kit.library",
    "TemplateMeta": "cobranca_kit.library",
    "TemplateRef": "cobranca_kit.library",
    "render": "cobranca_kit.library",
    "Workbench": "cobranca_kit.workbench",
    "LibraryBrowser": "cobranca_kit.workbench",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    *_LAZY,
    "BatchError",
    "CallScript",
    "CallStep",
    "Catalog",
    "CatalogError",
    "CheckContext",
    "CobrancaKitError",
    "ComplianceError",
    "Config",
    "ConfigError",
    "DataFileError",
    "DraftError",
    "EmailScript",
    "Finding",
    "LibraryError",
    "PlaceholderError",
    "RenderError",
    "Report",
    "Script",
    "SmsScript",
    "WhatsAppScript",
    "check",
    "check_placeholders",
    "data",
    "data_extenso",
    "get_catalog",
    "get_fields",
    "load_config",
    "moeda",
    "parse_script",
    "primeiro_nome",
    "rules_summary",
    "sample_debtor",
    "script_from_parts",
]
