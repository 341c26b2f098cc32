"""One export file per template version, named after it: what the library view's
"Exportar" button writes for the sending platform of the template's channel."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cobranca_kit.config import Config
from cobranca_kit.library.exports.call import call_markdown
from cobranca_kit.library.exports.mail import email_message
from cobranca_kit.library.exports.sms import sms_export
from cobranca_kit.library.exports.whatsapp import whatsapp_export
from cobranca_kit.library.models import Template

PREVIEW_EMAIL = "cliente@exemplo.com.br"
EXPORT_FOLDER = "exportacoes"


@dataclass(frozen=True)
class ExportFile:
    """The text to write, its file suffix and what the file itself cannot say."""

    text: str
    suffix: str
    notes: list[str] = field(default_factory=list)


def export_file(template: Template, config: Config | None = None) -> ExportFile:
    """WhatsApp: the Cloud API template JSON; SMS: JSON; e-mail: a preview ``.eml``; call: Markdown.

    Raises ``ExportError`` (pt-BR, naming the rule) when the platform would refuse it.
    """
    channel = template.channel
    if channel == "whatsapp":
        export = whatsapp_export(template, config)
        text = json.dumps(export.template, ensure_ascii=False, indent=2) + "\n"
        return ExportFile(text, ".json", [f"entrega do Pix: {export.pix_delivery}", *export.notes])
    if channel == "sms":
        return ExportFile(json.dumps(sms_export(template), ensure_ascii=False, indent=2) + "\n", ".json")
    if channel == "email":
        return ExportFile(email_message(template, None, config, PREVIEW_EMAIL).as_string(), ".eml")
    return ExportFile(call_markdown(template), ".md")


def write_export(template: Template, folder: Path, config: Config | None = None) -> tuple[Path, ExportFile]:
    """Write ``export_file`` to ``folder/<id>_vN<suffix>`` and return the path."""
    export = export_file(template, config)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{template.id}_v{template.version}{export.suffix}"
    path.write_text(export.text, encoding="utf-8")
    return path, export
