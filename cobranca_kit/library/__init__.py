"""The template library: versioned, approved, reusable Jinja2 templates.

* ``Library``: the folder of YAML files (save, get, list, find, approve, archive, diff);
* ``render``: sandboxed rendering for one debtor, compiled once per version;
* exports: WhatsApp Cloud API template and send payloads, ``.eml``, SMS, call Markdown.
"""

from cobranca_kit.library.errors import ApprovalRefused, ExportError
from cobranca_kit.library.exports import (
    WhatsAppDelivery,
    WhatsAppExport,
    call_markdown,
    email_message,
    meta_template_name,
    sms_export,
    whatsapp_delivery,
    whatsapp_export,
    whatsapp_pix_followup,
    whatsapp_problems,
    whatsapp_send_payload,
    whatsapp_template,
)
from cobranca_kit.library.models import (
    Origin,
    Template,
    TemplateMeta,
    TemplateRef,
    check_id,
    default_id,
    parse_ref,
)
from cobranca_kit.library.render import RenderedScript, compile_template, render
from cobranca_kit.library.store import Library, SaveOutcome

__all__ = [
    "ApprovalRefused",
    "ExportError",
    "Library",
    "Origin",
    "RenderedScript",
    "SaveOutcome",
    "Template",
    "TemplateMeta",
    "TemplateRef",
    "WhatsAppDelivery",
    "WhatsAppExport",
    "call_markdown",
    "check_id",
    "compile_template",
    "default_id",
    "email_message",
    "meta_template_name",
    "parse_ref",
    "render",
    "sms_export",
    "whatsapp_delivery",
    "whatsapp_export",
    "whatsapp_pix_followup",
    "whatsapp_problems",
    "whatsapp_send_payload",
    "whatsapp_template",
]
