"""Best-practice helpers on raw text: shouting in capitals, the Pix code standing alone."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cobranca_kit.compliance.tokens import token_findall

#: Acronyms written in capitals on purpose (never shouting).
ACRONYMS = frozenset(
    [
        "CPF",
        "CNPJ",
        "PIX",
        "SPC",
        "SERASA",
        "CEP",
        "SMS",
        "RG",
        "CNH",
        "LTDA",
        "SA",
        "ME",
        "EPP",
        "BR",
        "CDC",
        "PROCON",
        "QR",
        "URL",
        "SAC",
        "PDF",
        "OK",
        "ID",
        "PF",
        "PJ",
        "UF",
        "SP",
        "RJ",
        "MG",
        "ES",
        "AM",
        "AL",
        "BA",
        "PE",
        "CE",
        "RS",
        "PR",
        "SC",
        "GO",
        "DF",
        "MT",
        "MS",
        "PA",
        "TO",
        "RO",
        "RR",
        "AP",
        "AC",
        "PI",
        "MA",
        "RN",
        "PB",
        "SE",
        "IPTU",
        "IPVA",
        "FGTS",
        "INSS",
        "CET",
        "IOF",
        "TED",
        "DOC",
        "BB",
        "CEF",
        "S/A",
    ]
)
_JINJA_RE = re.compile(r"\{\{[^{}]{0,400}\}\}|\{%[^{}]{0,400}%\}|\{#[^{}]{0,400}#\}")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
CAPS_WORD_RE = re.compile(r"(?<![^\W\d_])[A-ZÀ-ÖØ-Þ]{2,}(?![^\W\d_])")
_GAP_RE = re.compile(r"[\s,.;:!?\-]*")
#: A Pix "copia e cola" (EMV BR Code) starts with 000201 and is long.
PIX_CODE_RE = re.compile(r"000201[0-9A-Za-z.@:/\-*]{40,}")
PIX_PLACEHOLDER = "pagamento.pix_copia_e_cola"
_PIX_PLACEHOLDER_RE = re.compile(r"\{\{-?\s{0,20}" + re.escape(PIX_PLACEHOLDER) + r"[^{}]{0,200}\}\}")


def caps_runs(text: str, min_words: int = 2, min_letters: int = 9) -> Iterator[tuple[int, int]]:
    """Spans of runs of words written in capitals (acronyms and placeholders ignored)."""
    # per token is the same: no match holds whitespace, and the lookarounds only refuse letters
    shouted = [w for w in token_findall(CAPS_WORD_RE, text) if w not in ACRONYMS]
    if len(shouted) < min_words:  # fast path: most messages have no shouting at all
        return
    masked = _JINJA_RE.sub(lambda m: " " * len(m.group()), text)
    run: list[tuple[int, int]] = []
    letters = 0
    prev_end = -1

    def flush() -> Iterator[tuple[int, int]]:
        if len(run) >= min_words and letters >= min_letters:
            yield run[0][0], run[-1][1]

    for m in _WORD_RE.finditer(masked):
        word = m.group()
        shouting = word.isupper() and word not in ACRONYMS
        contiguous = prev_end >= 0 and _GAP_RE.fullmatch(masked, prev_end, m.start()) is not None
        if shouting and (contiguous or not run):
            run.append(m.span())
            letters += len(word)
        else:
            yield from flush()
            run, letters = ([m.span()], len(word)) if shouting else ([], 0)
        prev_end = m.end()
    yield from flush()


def pix_code_span(text: str) -> tuple[int, int] | None:
    """Where the Pix code (placeholder or literal EMV code) sits in ``text``."""
    m = _PIX_PLACEHOLDER_RE.search(text)
    if m is None:
        m = PIX_CODE_RE.search(text)
    return m.span() if m else None


def pix_stands_alone(text: str) -> bool:
    span = pix_code_span(text)
    if span is None:
        return True
    rest = text[: span[0]] + text[span[1] :]
    return not rest.strip()
