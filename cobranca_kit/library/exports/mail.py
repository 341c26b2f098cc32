"""E-mail export: a real ``EmailMessage`` (.eml) with text and HTML alternatives.

The creditor identification required by CDC art. 42-A (name, CNPJ, address)
closes both alternatives, taken from ``[empresa]`` of the workspace config.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from cobranca_kit.config import Config
from cobranca_kit.errors import RenderError
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library.errors import ExportError
from cobranca_kit.library.exports.common import creditor, require_channel
from cobranca_kit.library.models import Template
from cobranca_kit.library.render import compile_template, email_html, render_compiled

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PREVIEW_NOTE = "PRÉVIA: credor de exemplo; configure a seção [empresa] do cobranca.toml antes de enviar."


def identification_text(empresa: Mapping[str, Any]) -> str:
    """The CDC art. 42-A block: creditor name, CNPJ, address and contact."""
    return (
        f"{empresa['nome']} · CNPJ {empresa['cnpj']}\n"
        f"{empresa['endereco']}\n"
        f"Atendimento: {empresa['atendimento']}"
    )


def _address(value: str, what: str) -> Address:
    try:
        address = Address(addr_spec=value.strip())
    except (ValueError, IndexError, TypeError) as exc:
        raise ExportError(f"Endereço de e-mail inválido ({what}): '{value}'.", ["endereco_email"]) from exc
    if not address.domain or not address.username:
        raise ExportError(f"Endereço de e-mail inválido ({what}): '{value}'.", ["endereco_email"])
    return address


def email_message(
    template: Template,
    data: Mapping[str, Any] | None,
    config: Config | None,
    to: str,
    sender: str | None = None,
    row: int | None = None,
) -> EmailMessage:
    """Render an e-mail template for one debtor as a ready-to-send message.

    ``sender`` is the From address; by default the e-mail found in
    ``[empresa] atendimento``. Without ``[empresa]`` the sample creditor is used
    and the message is marked as a preview (never send it).
    """
    require_channel(template, "email")
    empresa, preview = creditor(config)
    values = dict(data) if data is not None else sample_debtor()
    values["empresa"] = empresa  # the message identifies the configured creditor
    parts = dict(render_compiled(compile_template(template), values, row))

    if sender is None:
        found = _EMAIL_RE.search(str(empresa.get("atendimento", "")))
        if not found:
            raise ExportError(
                "Informe o remetente: não há e-mail em [empresa] atendimento do cobranca.toml.", ["remetente"]
            )
        sender = found.group(0)
    from_addr = _address(sender, "remetente")
    to_addr = _address(to, "destinatário")

    subject = " ".join(parts["assunto"].split())
    if not subject:
        raise RenderError(f"Modelo {template.ref}: o assunto ficou vazio.")
    text = (
        f"{parts['corpo'].strip()}\n\n{parts['assinatura'].strip()}\n\n-- \n{identification_text(empresa)}\n"
    )
    if preview:
        text = f"[{PREVIEW_NOTE}]\n\n{text}"

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = Address(display_name=str(empresa["nome"]), addr_spec=from_addr.addr_spec)
    msg["To"] = to_addr.addr_spec
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=from_addr.domain)
    msg["X-Cobranca-Kit-Modelo"] = template.ref
    if preview:
        msg["X-Cobranca-Kit-Previa"] = "sim"
    msg.set_content(text)
    msg.add_alternative(email_html(list(parts.items()), empresa, preview=preview), subtype="html")
    return msg
