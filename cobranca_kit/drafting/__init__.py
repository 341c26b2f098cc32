"""Drafting: prompts, backends (OpenAI-compatible and offline phrase bank), the
draft-check-revise loop and matrix drafting."""

from cobranca_kit.drafting.base import DraftResult, Revision
from cobranca_kit.drafting.cache import ResponseCache
from cobranca_kit.drafting.loop import (
    CheckedDraft,
    RoundRecord,
    adraft_checked,
    check_script,
    draft_checked,
    draft_variants,
)
from cobranca_kit.drafting.matrix import (
    adraft_matrix,
    draft_matrix,
    load_results,
    matrix_requests,
    summary_frame,
)
from cobranca_kit.drafting.offline import OfflineDrafter, load_phrasebank
from cobranca_kit.drafting.openai_backend import EndpointError, OpenAIDrafter
from cobranca_kit.drafting.prompts import PromptSet, load_prompts, prompt_version, prompts_dir
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.drafting.select import chosen_backend, get_drafter

__all__ = [
    "CheckedDraft",
    "DraftRequest",
    "DraftResult",
    "EndpointError",
    "OfflineDrafter",
    "OpenAIDrafter",
    "PromptSet",
    "ResponseCache",
    "Revision",
    "RoundRecord",
    "adraft_checked",
    "adraft_matrix",
    "check_script",
    "chosen_backend",
    "draft_checked",
    "draft_matrix",
    "draft_variants",
    "get_drafter",
    "load_phrasebank",
    "load_prompts",
    "load_results",
    "matrix_requests",
    "prompt_version",
    "prompts_dir",
    "summary_frame",
]
