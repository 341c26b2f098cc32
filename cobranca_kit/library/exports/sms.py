"""SMS export: the plain text with its encoding and segment count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cobranca_kit.compliance import sms_info
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library.exports.common import require_channel
from cobranca_kit.library.models import Template
from cobranca_kit.library.render import compile_template, render_compiled


def sms_export(
    template: Template, data: Mapping[str, Any] | None = None, row: int | None = None
) -> dict[str, Any]:
    """The rendered SMS (sample debtor when ``data`` is None) with encoding and segments.

    A single accented letter switches the whole SMS to UCS-2 (70 characters per
    segment instead of 160), so the figures are computed on the final text.
    """
    require_channel(template, "sms")
    values = data if data is not None else sample_debtor()
    text = dict(render_compiled(compile_template(template), values, row))["texto"].strip()
    info = sms_info(text)
    return {
        "template": template.ref,
        "text": text,
        "encoding": info.encoding,
        "segments": info.segments,
        "characters": info.characters,
        "non_gsm": list(info.non_gsm),
        "preview": data is None,
    }
