"""Optional LLM judge: a second opinion with a pt-BR rubric, only when an endpoint is configured.

The rubric (``prompts/juiz.j2``) embeds the rule catalog through ``rules_summary``
(one home for the rules' wording). The answer is validated with pydantic: a
category among the legal ones, an excerpt that must occur in the text, a reason.
Only text the user typed (``verificar --juiz``) or templates are ever sent; the
batch never calls the judge, so no debtor's data leaves the machine.
"""

from __future__ import annotations

import os
from typing import Literal

import openai
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from openai import OpenAI
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobranca_kit.compliance.rules import LEGAL_CATEGORIES
from cobranca_kit.compliance.summary import rules_summary
from cobranca_kit.config import Config, load_config
from cobranca_kit.datafiles import describe_validation_error
from cobranca_kit.drafting.openai_backend import DEFAULT_BASE_URL, LOCAL_KEY, extract_json
from cobranca_kit.drafting.prompts import prompts_dir
from cobranca_kit.errors import ComplianceError, DataFileError

PROMPT_FILE = "juiz.j2"


class JudgeError(ComplianceError):
    """The judge could not answer (no endpoint, endpoint down, unusable answer): exit code 2."""

    exit_code = 2


class JudgeVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    abusiva: bool
    categoria: Literal[LEGAL_CATEGORIES] | None = None  # type: ignore[valid-type]
    trecho: str = ""
    motivo: str

    @model_validator(mode="after")
    def _consistent(self) -> JudgeVerdict:
        if self.abusiva and self.categoria is None:
            raise ValueError("mensagem julgada abusiva sem 'categoria'")
        return self


def endpoint_configured() -> bool:
    """An endpoint is configured when OPENAI_BASE_URL or OPENAI_API_KEY is in the environment."""
    return bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


def judge_prompt(text: str, config: Config | None = None) -> str:
    folder = prompts_dir(config)
    try:
        env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, autoescape=False)
        return (
            env.get_template(PROMPT_FILE)
            .render(regras=rules_summary(), categorias=list(LEGAL_CATEGORIES), texto=text)
            .strip()
        )
    except TemplateError as exc:
        raise DataFileError(folder / PROMPT_FILE, f"erro no modelo Jinja: {exc}") from exc


def judge(text: str, config: Config | None = None) -> JudgeVerdict:
    """Ask the configured endpoint for a verdict on ``text``; every failure is a :class:`JudgeError`."""
    if not endpoint_configured():
        raise JudgeError(
            "juiz LLM indisponível: defina OPENAI_BASE_URL (servidor compatível) ou OPENAI_API_KEY"
        )
    config = config if config is not None else load_config()
    llm = config.llm
    base_url = (os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    client = OpenAI(
        base_url=base_url,
        api_key=os.environ.get("OPENAI_API_KEY") or LOCAL_KEY,
        timeout=llm.timeout_s,
        max_retries=llm.tentativas,
    )
    model = os.environ.get("COBRANCA_MODELO") or llm.modelo
    try:
        answer = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": judge_prompt(text, config)}],
            temperature=0,
            max_tokens=400,
        )
    except openai.APITimeoutError as exc:
        raise JudgeError(f"o juiz LLM em {base_url} não respondeu em {llm.timeout_s:g} s") from exc
    except openai.APIError as exc:
        raise JudgeError(f"o juiz LLM em {base_url} falhou: {exc}") from exc
    except ValueError as exc:  # the SDK lets a malformed HTTP body through as JSONDecodeError
        raise JudgeError(f"o juiz LLM em {base_url} deu uma resposta ilegível (não é JSON da API)") from exc
    content = answer.choices[0].message.content if answer.choices else None
    if not content:
        raise JudgeError(f"o juiz LLM em {base_url} respondeu vazio")
    try:
        data = extract_json(content)
    except ValueError as exc:
        raise JudgeError(f"o juiz LLM respondeu sem JSON válido: {content[:200]!r}") from exc
    try:
        verdict = JudgeVerdict.model_validate(data)
    except ValidationError as exc:
        problem = "; ".join(describe_validation_error(exc, data))
        raise JudgeError(f"resposta do juiz LLM inválida: {problem}") from exc
    if verdict.trecho and verdict.trecho not in text:
        raise JudgeError(f"o juiz LLM citou um trecho que não está na mensagem: {verdict.trecho!r}")
    return verdict
