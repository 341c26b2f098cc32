"""Channel-like HTML views of a rendered script: WhatsApp bubbles, an SMS screen,
an e-mail with its subject and the steps of a call script.

Pure functions from ``(channel, parts)`` to an HTML string, so they are tested
without a browser and reused by the library browser.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cobranca_kit.compliance import sms_info
from cobranca_kit.fields import sample_debtor
from cobranca_kit.formatting import contagem
from cobranca_kit.script import CALL_STEP_LABELS

if TYPE_CHECKING:
    from cobranca_kit.library import WhatsAppDelivery

STEP_LABELS = CALL_STEP_LABELS

_STEP_RE = re.compile(r"^passo_(\d+)_([a-z_]+)$")

PREVIEW_CSS = """
<style>
.cobranca-prev { font-family: system-ui, sans-serif; font-size: 14px; max-width: 520px; }
.cobranca-prev-wa { background: #efe7dd; padding: 10px; border-radius: 8px; }
.cobranca-bolha { background: #dcf8c6; border-radius: 8px; padding: 6px 10px; margin: 6px 0 6px 40px;
  white-space: pre-wrap; word-break: break-word; box-shadow: 0 1px 1px rgba(0,0,0,.15); }
.cobranca-prev-sms { background: #f2f2f7; padding: 10px; border-radius: 12px; }
.cobranca-sms { background: #e5e5ea; border-radius: 14px; padding: 8px 12px; white-space: pre-wrap;
  word-break: break-word; margin-right: 40px; }
.cobranca-prev-meta { color: #666; font-size: 12px; margin-top: 4px; }
.cobranca-prev-email { border: 1px solid #ccc; border-radius: 6px; }
.cobranca-email-head { background: #f5f5f5; padding: 8px 10px; border-bottom: 1px solid #ccc; }
.cobranca-email-body { padding: 10px; white-space: pre-wrap; word-break: break-word; }
.cobranca-email-sign { padding: 0 10px 10px; color: #444; white-space: pre-wrap; }
.cobranca-prev-call ol { padding-left: 22px; margin: 0; }
.cobranca-prev-call li { margin: 6px 0; }
.cobranca-passo { font-weight: 600; color: #2b5797; }
.cobranca-fala { white-space: pre-wrap; }
</style>
"""


def _esc(text: str) -> str:
    return html.escape(text)


def whatsapp_html(parts: Iterable[tuple[str, str]]) -> str:
    bubbles = "".join(f'<div class="cobranca-bolha">{_esc(t)}</div>' for _, t in parts)
    return f'<div class="cobranca-prev cobranca-prev-wa">{bubbles}</div>'


def sms_html(parts: Iterable[tuple[str, str]]) -> str:
    text = "\n".join(t for _, t in parts)
    info = sms_info(text)
    encoding = getattr(info, "encoding", "?")
    segments = getattr(info, "segments", "?")
    meta = f"{len(text)} caracteres · codificação {encoding} · {contagem(segments, 'segmento') if isinstance(segments, int) else segments}"
    return (
        f'<div class="cobranca-prev cobranca-prev-sms"><div class="cobranca-sms">{_esc(text)}</div>'
        f'<div class="cobranca-prev-meta">{_esc(meta)}</div></div>'
    )


def email_html(parts: Iterable[tuple[str, str]], sender: str | None = None) -> str:
    d = dict(parts)
    head = f"<div><b>Assunto:</b> {_esc(d.get('assunto', ''))}</div>"
    if sender:
        head = f"<div><b>De:</b> {_esc(sender)}</div>" + head
    return (
        f'<div class="cobranca-prev cobranca-prev-email"><div class="cobranca-email-head">{head}</div>'
        f'<div class="cobranca-email-body">{_esc(d.get("corpo", ""))}</div>'
        f'<div class="cobranca-email-sign">{_esc(d.get("assinatura", ""))}</div></div>'
    )


def call_html(parts: Iterable[tuple[str, str]]) -> str:
    items = []
    for name, text in parts:
        m = _STEP_RE.match(name)
        kind = m.group(2) if m else name
        label = STEP_LABELS.get(kind, kind.replace("_", " ").capitalize())
        items.append(
            f'<li><div class="cobranca-passo">{_esc(label)}</div><div class="cobranca-fala">{_esc(text)}</div></li>'
        )
    return f'<div class="cobranca-prev cobranca-prev-call"><ol>{"".join(items)}</ol></div>'


def preview_html(channel: str, parts: Iterable[tuple[str, str]], sender: str | None = None) -> str:
    """The rendered parts as they would look on ``channel`` (CSS included)."""
    parts = list(parts)
    if channel == "whatsapp":
        body = whatsapp_html(parts)
    elif channel == "sms":
        body = sms_html(parts)
    elif channel == "email":
        body = email_html(parts, sender)
    elif channel == "telefone":
        body = call_html(parts)
    else:
        raise ValueError(f"canal desconhecido: {channel}")
    return PREVIEW_CSS + body


def preview_data(
    stage: str | None, empresa: Mapping[str, Any] | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """The sample debtor a preview renders: dates that fit ``stage`` and ``today``
    (see :func:`cobranca_kit.fields.sample_debtor`), and the configured creditor if any."""
    data = sample_debtor(stage, today)
    if empresa is not None:
        data["empresa"] = dict(empresa)
    return data


WHATSAPP_SENT_CSS = """
<style>
.cobranca-wa-modelo .cobranca-wa-cabecalho { font-weight: 700; margin-bottom: 4px; }
.cobranca-wa-modelo .cobranca-wa-rodape { color: #555; font-size: 12px; margin-top: 6px; }
.cobranca-wa-botoes { margin: -2px 0 6px 40px; }
.cobranca-wa-botao { background: #fff; color: #0b5394; text-align: center; border-radius: 8px;
  padding: 5px; margin-top: 2px; font-weight: 600; box-shadow: 0 1px 1px rgba(0,0,0,.15); }
.cobranca-wa-legenda { color: #374151; font-size: 12px; margin: 8px 0 2px; }
</style>
"""


def whatsapp_sent_html(delivery: WhatsAppDelivery) -> str:
    """What the debtor gets on WhatsApp (a ``WhatsAppDelivery``): one template message,
    then, only after a reply, the Pix code as a session message.

    The bubbles are the messages actually sent, never one per part of the script.
    """
    header = delivery.header
    head = f'<div class="cobranca-wa-cabecalho">{_esc(header)}</div>' if header else ""
    template = (
        f'<div class="cobranca-bolha cobranca-wa-modelo">{head}<div>{_esc(delivery.body)}</div>'
        f'<div class="cobranca-wa-rodape">{_esc(delivery.footer)}</div></div>'
    )
    buttons = "".join(f'<div class="cobranca-wa-botao">{_esc(b)}</div>' for b in delivery.buttons)
    out = [
        '<div class="cobranca-wa-legenda">O cliente recebe <b>1 mensagem</b> '
        "(o modelo aprovado pela Meta, com rodapé e botões):</div>",
        template,
        f'<div class="cobranca-wa-botoes">{buttons}</div>',
    ]
    if delivery.pix_followup:
        out += [
            '<div class="cobranca-wa-legenda">Só se o cliente responder (mensagem de sessão, '
            "enviada pelo atendimento dentro de 24 horas):</div>",
            f'<div class="cobranca-bolha cobranca-wa-sessao">{_esc(delivery.pix_followup)}</div>',
        ]
    return (
        PREVIEW_CSS + WHATSAPP_SENT_CSS + f'<div class="cobranca-prev cobranca-prev-wa">{"".join(out)}</div>'
    )
