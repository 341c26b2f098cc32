"""What the offline drafter can do with the user's free-text instructions.

A phrase bank cannot follow arbitrary requests, but a few common ones map onto
phrases it has (``instrucoes`` in ``frases.yaml``):

- a discount with its percentage ("desconto de 10%") adds the discount sentence;
- a date ("até 15/12", "até dia 20") adds how long the condition (or the request) lasts;
- instalments ("parcelar", "parcelamento") add the negotiation sentence at any stage;
- the document number ("número da fatura", "contrato") adds the reference line;
- "curto", "breve", "resumido" pick the shortest wording of every phrase;
- "sem emoji" is already true of every phrase.

Anything else (a tone change, words to avoid, facts the bank has no phrase for)
is reported back to the user in pt-BR, never silently dropped: the notes travel
with the draft (``DraftResult.notes`` -> ``CheckedDraft.notes``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from cobranca_kit.compliance.normalize import fold

_SPLIT = re.compile(r"[;\n]+|[.,](?!\d)|\be\b(?=\s+(?:mencion|cite|inclu|diga|ofere|use|deixe|fal))")
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%|(\d{1,2}(?:[.,]\d{1,2})?)\s*por\s*cento")
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DAY = re.compile(r"\bate\s+(?:o\s+)?dia\s+(\d{1,2})\b")

_DISCOUNT_WORDS = ("desconto", "abatimento")
_INSTALMENT_WORDS = ("parcel", "negoci", "nova data")
_REFERENCE_WORDS = ("numero da fatura", "numero do documento", "numero do contrato", "referencia", "contrato")
_SHORT_WORDS = ("curt", "breve", "resumid", "enxut", "menor", "objetiv")
_NO_EMOJI_WORDS = ("emoji", "emoticon")
_TONE_WORDS = {
    "formal": "profissional",
    "profissional": "profissional",
    "gentil": "amigavel",
    "amigavel": "amigavel",
    "descontraid": "amigavel",
    "leve": "amigavel",
    "firme": "firme",
    "direto": "firme",
    "sever": "firme",
    "empati": "empatico",
    "acolhed": "empatico",
    "compreensiv": "empatico",
}


@dataclass
class Instructions:
    """The instructions the offline drafter honours, and pt-BR notes for the user."""

    discount: str | None = None  # "10%"
    until: dt.date | None = None
    instalments: bool = False
    reference: bool = False
    short: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.discount or self.until or self.instalments or self.reference or self.short)


def _date(day: int, month: int, year: int | None, today: dt.date) -> dt.date | None:
    try:
        if year is None:
            candidate = dt.date(today.year, month, day)
            return candidate if candidate >= today else dt.date(today.year + 1, month, day)
        return dt.date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        return None


def _until(clause: str, today: dt.date) -> dt.date | None:
    m = _DATE.search(clause)
    if m:
        year = int(m.group(3)) if m.group(3) else None
        return _date(int(m.group(1)), int(m.group(2)), year, today)
    m = _DAY.search(clause)
    if m:
        day = int(m.group(1))
        found = _date(day, today.month, today.year, today)
        if found is not None and found < today:
            month, year = (1, today.year + 1) if today.month == 12 else (today.month + 1, today.year)
            found = _date(day, month, year, today)
        return found
    return None


def parse_instructions(text: str, today: dt.date | None = None) -> Instructions:
    """Read the free-text instructions: what the phrase bank can honour, and notes about the rest."""
    today = today or dt.date.today()
    out = Instructions()
    ignored: list[str] = []
    tone_requests: list[str] = []
    for raw in _SPLIT.split(text or ""):
        clause = raw.strip(" -*\t")
        if not clause:
            continue
        folded = fold(clause).lower()
        understood = False
        if any(w in folded for w in _DISCOUNT_WORDS):
            understood = True
            m = _PERCENT.search(folded)
            if m:
                out.discount = f"{(m.group(1) or m.group(2)).replace('.', ',')}%"
            else:
                out.notes.append(
                    "Desconto sem percentual: o rascunho offline não inventa condições. "
                    "Escreva o percentual, por exemplo 'desconto de 10%'."
                )
        elif _PERCENT.search(folded):
            understood = True
            m = _PERCENT.search(folded)
            assert m is not None
            out.discount = f"{(m.group(1) or m.group(2)).replace('.', ',')}%"
        until = _until(folded, today)
        if until is not None:
            understood = True
            if until < today:
                out.notes.append(f"A data {until:%d/%m/%Y} já passou: não foi usada.")
            else:
                out.until = until
        if any(w in folded for w in _INSTALMENT_WORDS):
            understood = out.instalments = True
        if any(w in folded for w in _REFERENCE_WORDS):
            understood = out.reference = True
        if any(w in folded for w in _SHORT_WORDS):
            understood = out.short = True
        if any(w in folded for w in _NO_EMOJI_WORDS) and ("sem" in folded or "nao" in folded):
            understood = True  # the bank has no emoji at all
        tones = {tone for word, tone in _TONE_WORDS.items() if word in folded}
        if tones and not understood:
            understood = True
            tone_requests.extend(sorted(tones))
        if not understood:
            ignored.append(clause)
    if tone_requests:
        from cobranca_kit.catalog import get_catalog

        labels = ", ".join(dict.fromkeys(get_catalog().label("tons", t) for t in tone_requests))
        out.notes.append(
            f"Pedido de tom nas instruções: o rascunho offline segue o tom escolhido no campo Tom. "
            f"Para este texto, escolha o tom {labels}."
        )
    if ignored:
        quoted = "; ".join(f"«{c}»" for c in ignored)
        out.notes.append(
            f"O rascunho offline (banco de frases) não sabe aplicar: {quoted}. Edite o texto gerado "
            "ou use um modelo de linguagem ([llm] no cobranca.toml)."
        )
    return out


__all__ = ["Instructions", "parse_instructions"]
