"""Named checks that need more than a pattern; rules of kind ``check`` refer to them by name.

Each check receives the target (channel, parts, context) and the rule's
``params`` and yields :class:`Hit` s; the rule supplies id, severity, message
and suggestion, so the wording stays in the YAML files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cobranca_kit.compliance.channels import (
    EMAIL_SUBJECT_WARN,
    WHATSAPP_SESSION_MAX,
    WHATSAPP_TEMPLATE_BODY_MAX,
    gsm_fold,
    sms_info,
)
from cobranca_kit.compliance.metrics import sample_render
from cobranca_kit.compliance.practices import PIX_PLACEHOLDER, caps_runs, pix_code_span, pix_stands_alone
from cobranca_kit.compliance.readability import flesch_pt, word_count, words

if TYPE_CHECKING:
    from cobranca_kit.compliance.engine import Target


@dataclass(frozen=True, slots=True)
class Hit:
    part: str | None
    start: int = 0
    end: int = 0
    detail: str | None = None
    severity: str | None = None


CheckFn = Callable[["Target", dict[str, Any]], Iterator[Hit]]
CHECKS: dict[str, CheckFn] = {}


def register(name: str) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        CHECKS[name] = fn
        return fn

    return deco


@register("sms_encoding")
def _sms_encoding(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    for part in target.parts:
        info = sms_info(part.text)
        if info.encoding != "UCS-2":
            continue
        first = min(part.text.index(c) for c in info.non_gsm)
        shown = ", ".join(info.non_gsm[:8])
        rendered = sms_info(sample_render(part.text)) if target.template else info
        detail = (
            f"Caracteres fora do GSM-7: {shown} ({rendered.segments} segmento(s) em UCS-2; "
            f"sem acentos: {sms_info(gsm_fold(sample_render(part.text))).segments}). "
            f"Versão sem acentos: {gsm_fold(part.text)}"
        )
        yield Hit(part.name, first, first + 1, detail)


@register("sms_segments")
def _sms_segments(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    limit = int(params.get("max_segments", 2))
    for part in target.parts:
        info = sms_info(sample_render(part.text) if target.template else part.text)
        if info.segments > limit:
            estimate = " (estimado com os dados de exemplo)" if target.template else ""
            detail = f"{info.segments} segmentos {info.encoding} de {info.characters} caracteres{estimate}."
            yield Hit(part.name, 0, 0, detail)


@register("whatsapp_length")
def _whatsapp_length(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    limit = WHATSAPP_TEMPLATE_BODY_MAX if target.template else WHATSAPP_SESSION_MAX
    kind = "corpo de modelo" if target.template else "mensagem de sessão"
    for part in target.parts:
        size = len(sample_render(part.text)) if target.template else len(part.text)
        if size > limit:
            yield Hit(part.name, 0, 0, f"{size} caracteres; o limite de {kind} é {limit}.")


_ONLY_PIX_RE = re.compile(
    r"\{\{-?\s{0,20}" + re.escape(PIX_PLACEHOLDER) + r"\s{0,20}(?:\|[^{}]{0,200})?-?\}\}"
)
#: A first message that is static, one line and at most this long becomes the template HEADER.
_HEADER_MAX = 60
_EXPRESSION_RE = re.compile(r"\{\{-?\s{0,20}([A-Za-z_][\w.]{0,80})[^{}]{0,300}?\}\}")
_CREDITOR_PREFIX = "empresa."


def meta_body_text(text: str) -> str:
    """A message as it reads in a Meta template: ``{{ divida.valor | moeda }}`` -> ``{{divida_valor}}``.

    Creditor fields are written into the template as fixed text (rendered with
    the sample data), as the library's WhatsApp export does.
    """

    def param(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable.startswith(_CREDITOR_PREFIX):
            return sample_render(match.group())
        return "{{" + variable.replace(".", "_") + "}}"

    return _EXPRESSION_RE.sub(param, text) if "{{" in text else text


def template_body_parts(script_parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The parts that would form one Meta template BODY, as the library's WhatsApp export builds it.

    A message that is only the Pix copia-e-cola placeholder is sent apart (as a
    session message), and a short static first line becomes the HEADER; the
    rest, joined by a blank line, is the body.
    """
    parts = [(name, text) for name, text in script_parts if not _ONLY_PIX_RE.fullmatch(text.strip())]
    if len(parts) > 1:
        first = parts[0][1].strip()
        if "{{" not in first and "{%" not in first and "\n" not in first and 0 < len(first) <= _HEADER_MAX:
            parts = parts[1:]
    return parts


def template_body_size(parts: list[tuple[str, str]]) -> int:
    """Characters of the Meta template body that ``parts`` (from ``template_body_parts``) form."""
    return len("\n\n".join(meta_body_text(text).strip() for _, text in parts))


def whatsapp_template_body_size(messages: list[str]) -> int:
    """Body size, in a Meta template, of a WhatsApp script given as its messages (for drafters)."""
    return template_body_size(template_body_parts([(f"mensagem_{i}", m) for i, m in enumerate(messages, 1)]))


@register("whatsapp_template_body")
def _whatsapp_template_body(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    """Whole script: the messages joined into one template body must fit Meta's body limit."""
    if len(target.parts) < 2:  # a single message is covered by the per-message limit
        return
    limit = int(params.get("max_chars", WHATSAPP_TEMPLATE_BODY_MAX))
    parts = template_body_parts([(p.name, p.text) for p in target.parts])
    if len(parts) < 2:  # a single message is covered by the per-message limit
        return
    size = template_body_size(parts)
    if size > limit:
        names = [name for name, _ in parts]
        listed = ", ".join(names[:-1]) + " e " + names[-1]
        yield Hit(
            None,
            0,
            0,
            f"As mensagens {listed}, unidas por uma linha em branco, somam {size} caracteres no modelo; "
            f"o corpo de um modelo da Meta aceita {limit}.",
        )


@register("email_subject")
def _email_subject(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    limit = int(params.get("max_chars", EMAIL_SUBJECT_WARN))
    subject = next((p for p in target.parts if p.name == "assunto"), None)
    if subject is None or not subject.text.strip():
        yield Hit(None, 0, 0, "O e-mail não tem assunto.")
        return
    size = len(sample_render(subject.text)) if target.template else len(subject.text)
    if "\n" in subject.text.strip():
        yield Hit("assunto", 0, len(subject.text), "O assunto tem quebra de linha.")
    elif size > limit:
        yield Hit("assunto", limit, len(subject.text), f"O assunto tem {size} caracteres (máximo {limit}).")


def _step_kind(part_name: str) -> str:
    m = re.match(r"^passo_\d+_([a-z_]+)$", part_name)
    return m.group(1) if m else ""


_STEP_LABELS = {
    "abertura": "abertura (saudação)",
    "identificacao": "identificação de quem liga e do credor",
    "confirmacao_titular": "confirmação de que fala com o titular",
    "situacao": "situação do débito",
    "opcoes": "opções de pagamento ou negociação",
    "encerramento": "encerramento",
}


@register("call_structure")
def _call_structure(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    required: list[str] = list(params.get("required", list(_STEP_LABELS)))
    kinds = [_step_kind(p.name) for p in target.parts]
    missing = [k for k in required if k not in kinds]
    if missing:
        labels = "; ".join(_STEP_LABELS.get(k, k) for k in missing)
        yield Hit(None, 0, 0, f"Etapas ausentes: {labels}.")
    order = [k for k in params.get("order", []) if k in kinds]
    positions = [kinds.index(k) for k in order]
    if positions != sorted(positions):
        yield Hit(None, 0, 0, f"Ordem esperada: {' → '.join(order)}.")


@register("debt_before_confirmation")
def _debt_before_confirmation(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    """In a call, nothing about the debt before the person is confirmed as the debtor (LGPD).

    A context that states the recipient is the debtor (``relation="devedor"``: the person on
    the line is confirmed, e.g. a single utterance judged mid-call) has met the requirement.
    """
    if target.context.relation == "devedor":
        return
    debt = [re.compile(p, re.IGNORECASE) for p in params.get("patterns", [])]
    confirmed = [re.compile(p, re.IGNORECASE) for p in params.get("confirmation", [])]
    prefixes = tuple(params.get("placeholders", []))
    for part in target.parts:
        if _step_kind(part.name) == "confirmacao_titular":
            return
        if any(name.startswith(prefixes) for name in part.placeholders) and prefixes:
            yield Hit(part.name, 0, 0, "A dívida aparece antes da confirmação do titular.")
            continue
        # a confirmation asked (or recorded) in the same part before the debt counts as the step
        first = min((m.start() for regex in confirmed if (m := regex.search(part.norm.text))), default=None)
        for regex in debt:
            m = regex.search(part.norm.text)
            if m and first is not None and first < m.start():
                return
            if m:
                start, end = part.norm.span(*m.span())
                yield Hit(part.name, start, end, "A dívida aparece antes da confirmação do titular.")
                break


@register("caps_shouting")
def _caps_shouting(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    min_words = int(params.get("min_words", 2))
    min_letters = int(params.get("min_letters", 9))
    for part in target.parts:
        if part.stats is not None and part.stats.shouted < min_words:
            continue  # too few words in capitals for a run (caps_runs would stop there too)
        for start, end in caps_runs(part.text, min_words, min_letters):
            yield Hit(part.name, start, end)


@register("pix_alone")
def _pix_alone(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    for part in target.parts:
        span = pix_code_span(part.text)
        if span is not None and not pix_stands_alone(part.text):
            yield Hit(part.name, span[0], span[1])


@register("flesch_min")
def _flesch_min(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    minimum = float(params.get("min", 50))
    min_words = int(params.get("min_words", 20))
    skip = set(params.get("skip_parts", []))
    kept = [p for p in target.parts if p.name not in skip]
    stats = kept[0].stats if len(kept) == 1 else None
    if stats is not None:
        n_words, score = stats.words, stats.flesch
    else:
        text = "\n\n".join(p.text for p in kept)
        n_words = len(words(text))
        score = flesch_pt(text) if n_words >= min_words else 0.0
    if n_words < min_words:
        return
    if score < minimum:
        yield Hit(target.single_part, 0, 0, f"Índice Flesch {score:.0f} (mínimo recomendado {minimum:.0f}).")


_SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")


@register("long_sentence")
def _long_sentence(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    maximum = int(params.get("max_words", 35))
    for part in target.parts:
        if part.stats is not None and part.stats.longest_sentence_bound <= maximum:
            continue  # no sentence of this part can have more words
        for m in _SENTENCE_RE.finditer(part.text):
            if m.end() - m.start() <= maximum:  # every word takes at least one character
                continue
            count = word_count(m.group())
            if count > maximum:
                start = m.start() + (len(m.group()) - len(m.group().lstrip()))
                yield Hit(part.name, start, m.end(), f"Frase com {count} palavras (máximo {maximum}).")


@register("recipient_relation")
def _recipient_relation(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    """A message to someone who is not (or not yet known to be) the debtor that speaks of the debt.

    ``params.termos``: folded regexes that mean "the debt" (debt, installment, bill, amount...);
    ``params.desconhecido``: the severity for an unidentified recipient (a third party blocks).
    """
    relation = target.context.relation
    if relation is None or relation == "devedor":
        return
    regex = _debt_terms(tuple(params["termos"]))
    for part in target.parts:
        m = regex.search(part.norm.text)
        if m is None:
            continue
        start, end = part.norm.span(*m.span())
        who = "um terceiro" if relation == "terceiro" else "alguém ainda não identificado como o devedor"
        severity = None if relation == "terceiro" else params.get("desconhecido", "warn")
        yield Hit(part.name, start, end, f"(destinatário: {who})", severity)
        return


@lru_cache(maxsize=8)
def _debt_terms(terms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(terms) + ")")


@register("send_time")
def _send_time(target: Target, params: dict[str, Any]) -> Iterator[Hit]:
    """The stated send time falls outside the debtor's send window (``[envio]``, holidays)."""
    when = target.context.sent_at
    if when is None:  # before the import: every check without a send time passes here
        return
    from cobranca_kit.compliance.schedule import allowed_send_time, next_allowed_slot

    if allowed_send_time(when, target.context.uf):
        return
    slot = next_allowed_slot(when, target.context.uf)
    detail = f"(envio em {when:%d/%m/%Y %H:%M}; próxima janela: {slot:%d/%m/%Y %H:%M})"
    yield Hit(None, 0, 0, detail)
