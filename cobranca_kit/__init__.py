"""cobranca-kit: draft, check, save and batch Brazilian collection messages.

The public API is re-exported here; submodules hold the details.
"""

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

__all__ = [
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
