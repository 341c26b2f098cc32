"""Channel facts: SMS encoding and segments, WhatsApp body limits, e-mail subject length.

SMS: GSM 03.38 has 128 basic characters; ten more (``^{}\\[~]|€`` and form
feed) need an escape and count double. One character outside both tables
(``ã``, ``ç``, ``õ``, ``á``, ``ê``...) switches the whole message to UCS-2:
70 characters in one segment, 67 per segment when split (160/153 for GSM-7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cobranca_kit.compliance.normalize import fold

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

SMS_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
WHATSAPP_TEMPLATE_BODY_MAX = 1024
WHATSAPP_SESSION_MAX = 4096
EMAIL_SUBJECT_WARN = 50


@dataclass(frozen=True, slots=True)
class SmsInfo:
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    characters: int
    #: characters that forced UCS-2 (empty for GSM-7)
    non_gsm: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"encoding": self.encoding, "segments": self.segments, "characters": self.characters}


def sms_info(text: str) -> SmsInfo:
    """Encoding, segment count and length in encoding units of an SMS text."""
    non_gsm = sorted({c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED})
    if non_gsm:
        # UCS-2 counts UTF-16 code units (an emoji takes two).
        units = len(text.encode("utf-16-le")) // 2
        encoding: Literal["GSM-7", "UCS-2"] = "UCS-2"
    else:
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        encoding = "GSM-7"
    single, multi = SMS_LIMITS[encoding]
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = math.ceil(units / multi)
    return SmsInfo(encoding=encoding, segments=segments, characters=units, non_gsm=tuple(non_gsm))


def gsm_fold(text: str) -> str:
    """Suggest a GSM-7 version: accents folded (case kept), typographic quotes made plain."""
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENDED:
            out.append(char)
            continue
        folded = fold(char)
        if char.isupper():
            folded = folded.upper()
        # Emoji and other symbols have no GSM-7 form: the suggestion leaves them out.
        out.append(folded if (folded in GSM_BASIC or folded in GSM_EXTENDED) else "")
    return "".join(out)
