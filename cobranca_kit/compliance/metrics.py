"""Text metrics of a checked target: size, sentences, readability, SMS encoding."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from cobranca_kit.compliance.channels import sms_info
from cobranca_kit.compliance.readability import flesch_pt, sentence_count, words
from cobranca_kit.compliance.textstats import TextStats, text_stats
from cobranca_kit.fields import sample_debtor
from cobranca_kit.formatting import FILTERS

if TYPE_CHECKING:
    from cobranca_kit.compliance.engine import Target


#: Longer texts are not rendered for estimates (no real message is that long).
_RENDER_MAX = 20_000


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters.update(FILTERS)
    return env


@lru_cache(maxsize=1)
def _sample() -> dict[str, Any]:
    return sample_debtor()


@lru_cache(maxsize=4096)
def sample_render(text: str) -> str:
    """Render a template with the fictitious sample debtor, to estimate real length.

    Cached per text: drafts and library checks see the same templates again and
    again, and compiling Jinja dominates the cost of a check otherwise.

    Falls back to the raw text when the template does not render (the
    placeholder validation elsewhere reports why).
    """
    if ("{{" not in text and "{%" not in text) or len(text) > _RENDER_MAX:
        return text
    try:
        return _env().from_string(text).render(**_sample())
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError):
        return text


def text_metrics(text: str, stats: TextStats | None = None) -> dict[str, Any]:
    """Size, words, sentences and Flesch of ``text`` (``stats``: its ``text_stats``, when known)."""
    if stats is None and "{" not in text:
        stats = text_stats(text)
    if stats is not None:
        return {
            "characters": stats.characters,
            "words": stats.words,
            "sentences": stats.sentences,
            "flesch": stats.flesch,
        }
    return {
        "characters": len(text),
        "words": len(words(text)),
        "sentences": sentence_count(text),
        "flesch": flesch_pt(text),
    }


def compute_metrics(target: Target) -> dict[str, Any]:
    """Per part and overall metrics; SMS encoding/segments for SMS (estimated on a sample render)."""
    parts: dict[str, Any] = {}
    for part in target.parts:
        entry = text_metrics(part.text, part.stats)
        if target.channel == "sms":
            info = sms_info(sample_render(part.text) if target.template else part.text)
            entry["sms"] = info.to_dict() | {"estimated": target.template}
        parts[part.name] = entry
    if len(target.parts) == 1:
        overall = dict(parts[target.parts[0].name])
        overall.pop("sms", None)
    else:
        overall = text_metrics("\n\n".join(p.text for p in target.parts))
    overall["parts"] = len(target.parts)
    return {"channel": target.channel, "template": target.template, "overall": overall, "parts": parts}
