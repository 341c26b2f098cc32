"""What every channel export needs: the right channel and the creditor's data."""

from __future__ import annotations

from typing import Any

from cobranca_kit.config import Config
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library.errors import ExportError
from cobranca_kit.library.models import Template

CHANNEL_EXPORTS = {
    "whatsapp": "modelo da Meta",
    "sms": "SMS",
    "email": ".eml",
    "telefone": "roteiro em Markdown",
}


def require_channel(template: Template, channel: str) -> None:
    """Raise ``ExportError`` (rule ``canal_errado``) when ``template`` is for another channel."""
    if template.channel != channel:
        raise ExportError(
            f"{template.ref} é um modelo de {template.channel}; só modelos de {channel} viram "
            f"{CHANNEL_EXPORTS[channel]}.",
            ["canal_errado"],
        )


def creditor(config: Config | None) -> tuple[dict[str, Any], bool]:
    """The creditor from ``[empresa]``, or the sample creditor and ``True`` (preview only)."""
    if config is not None and config.empresa is not None:
        return config.empresa.model_dump(), False
    return dict(sample_debtor()["empresa"]), True
