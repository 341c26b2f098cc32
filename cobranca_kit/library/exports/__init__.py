"""Channel exports of library templates (WhatsApp Cloud API, .eml, SMS, call Markdown)."""

from cobranca_kit.library.exports.call import call_markdown
from cobranca_kit.library.exports.mail import email_message
from cobranca_kit.library.exports.sms import sms_export
from cobranca_kit.library.exports.whatsapp import (
    WhatsAppDelivery,
    WhatsAppExport,
    meta_template_name,
    whatsapp_delivery,
    whatsapp_export,
    whatsapp_pix_followup,
    whatsapp_problems,
    whatsapp_send_payload,
    whatsapp_template,
)

__all__ = [
    "WhatsAppDelivery",
    "WhatsAppExport",
    "call_markdown",
    "email_message",
    "meta_template_name",
    "sms_export",
    "whatsapp_delivery",
    "whatsapp_export",
    "whatsapp_pix_followup",
    "whatsapp_problems",
    "whatsapp_send_payload",
    "whatsapp_template",
]
