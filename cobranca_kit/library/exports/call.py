"""Call script export: Markdown an agent can read during the call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cobranca_kit.library.exports.common import require_channel
from cobranca_kit.library.models import Template
from cobranca_kit.library.render import compile_template, render_compiled
from cobranca_kit.script import CALL_STEP_LABELS

STEP_LABELS = CALL_STEP_LABELS
_PART = re.compile(r"^passo_(\d+)_([a-z_]+)$")
_EXPR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def _label(part: str) -> str:
    match = _PART.match(part)
    if not match:
        return part
    return f"{match.group(1)}. {STEP_LABELS.get(match.group(2), match.group(2))}"


def call_markdown(template: Template, data: Mapping[str, Any] | None = None, row: int | None = None) -> str:
    """The call script as Markdown; without ``data`` the placeholders stay visible as ``[campo]``."""
    require_channel(template, "telefone")
    title = template.meta.titulo or template.id
    lines = [f"# {title}", "", f"Modelo `{template.ref}` ({template.status})", ""]
    if data is None:
        parts = [(name, _EXPR.sub(lambda m: f"**[{m.group(1)}]**", text)) for name, text in template.parts]
    else:
        parts = render_compiled(compile_template(template), data, row)
    for name, text in parts:
        lines += [f"## {_label(name)}", "", text.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"
