"""Drafting with any OpenAI-compatible endpoint through the ``openai`` SDK.

Structured output is asked with the channel's Script schema
(``chat.completions.parse``); servers that reject ``json_schema`` (llama.cpp
answers HTTP 500) fall back to ``json_object`` and then to plain text with JSON
extraction. Every answer is validated again with pydantic, whatever the mode.
Every failure ends as a :class:`DraftError` with a pt-BR message naming the
endpoint; nothing here lets an SDK exception escape.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import AsyncOpenAI, OpenAI
from pydantic import ValidationError

from cobranca_kit.config import Config, load_config
from cobranca_kit.datafiles import describe_validation_error
from cobranca_kit.drafting.base import DraftResult, Revision, Usage, add_usage, empty_usage
from cobranca_kit.drafting.cache import ResponseCache, cache_disabled_by_env, cache_key
from cobranca_kit.drafting.prompts import PromptSet
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.errors import CobrancaKitError, DraftError
from cobranca_kit.fields import get_fields
from cobranca_kit.script import SCRIPT_TYPES, CallScript, CallStep, Script

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_KEY = "sem-chave"  # local servers want some key; never a real one
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
# Structured-output mode that worked per endpoint (base URL), shared by every drafter of the
# process: in ``auto`` a server that rejected json_schema is not asked with it again.
_LEARNED_MODES: dict[str, str] = {}


def is_local(base_url: str) -> bool:
    """True for a server on this machine (llama.cpp, Ollama, vLLM on localhost)."""
    return (urlsplit(base_url).hostname or "") in LOCAL_HOSTS


MODES = ("json_schema", "json_object", "texto")
_FENCE_RE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class EndpointError(DraftError):
    """The endpoint could not be used (down, timeout, rate limit, HTTP error): exit code 2."""


class InvalidOutput(Exception):
    """The model answered, but not with a usable script (worth one re-ask)."""

    def __init__(self, problem: str, content: str | None, usage: Usage) -> None:
        super().__init__(problem)
        self.problem = problem
        self.content = content
        self.usage = usage


class ModeRejected(Exception):
    """The server refused the response_format of this mode (try the next one)."""

    def __init__(self, error: DraftError) -> None:
        super().__init__(str(error))
        self.error = error


def extract_json(text: str) -> Any:
    """The first JSON object in a model's text (bare, fenced or surrounded by prose)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for candidate in _FENCE_RE.findall(text):
        try:
            return json.loads(candidate.strip())
        except json.JSONDecodeError:
            continue
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        return json.loads(text[start : end + 1])
    raise json.JSONDecodeError("nenhum objeto JSON encontrado", text, 0)


def _usage_of(body: dict[str, Any]) -> Usage:
    usage = empty_usage()
    usage["calls"] = 1
    raw = body.get("usage") or {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = raw.get(key)
        if isinstance(value, int):
            usage[key] = value
    return usage


@lru_cache(maxsize=1)
def _schema_fingerprint() -> str:
    """Hash of the placeholder schema: a cached script validated under it needs no re-validation."""
    names = "\n".join(get_fields().names()).encode("utf-8")
    return hashlib.sha256(names).hexdigest()[:16]


def _construct_script(data: dict[str, Any]) -> Script:
    """Rebuild a script stored by this cache without re-parsing its placeholders."""
    channel = data["channel"]
    if channel == "telefone":
        steps = [CallStep.model_construct(etapa=s["etapa"], fala=s["fala"]) for s in data["passos"]]
        return CallScript.model_construct(channel=channel, passos=steps)
    fields = {k: v for k, v in data.items() if k in SCRIPT_TYPES[channel].model_fields}
    return SCRIPT_TYPES[channel].model_construct(**fields)


class OpenAIDrafter:
    """Drafts with the chat completions API of an OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self,
        config: Config | None = None,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        cache: bool | None = None,
        prompts: PromptSet | None = None,
    ) -> None:
        self.config = config if config is not None else load_config()
        llm = self.config.llm
        self.model = model or os.environ.get("COBRANCA_MODELO") or llm.modelo
        env_url = os.environ.get("OPENAI_BASE_URL")
        self.base_url = (base_url or env_url or DEFAULT_BASE_URL).rstrip("/")
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if self.base_url == DEFAULT_BASE_URL:
                raise DraftError(
                    "Backend 'openai' escolhido, mas não há OPENAI_API_KEY nem OPENAI_BASE_URL no ambiente. "
                    "Defina a chave (export OPENAI_API_KEY=...) ou o endereço de um servidor compatível, "
                    "ou use COBRANCA_BACKEND=offline."
                )
            key = LOCAL_KEY
        self._key = key
        self.timeout_s = llm.timeout_s
        # A local server that timed out is busy generating: asking again only queues a second
        # generation behind the first. No retries there unless [llm] tentativas says so.
        explicit = "tentativas" in llm.model_fields_set
        self.retries = llm.tentativas if explicit or not is_local(self.base_url) else 0
        self.temperature = llm.temperatura
        self.max_tokens = llm.max_tokens
        self.setting = llm.saida_estruturada
        self.mode = (
            _LEARNED_MODES.get(self.base_url, "json_schema") if self.setting == "auto" else self.setting
        )
        self.prompts = prompts or PromptSet.load(self.config)
        use_cache = llm.cache if cache is None else cache
        self.cache = (
            ResponseCache(self.config.path("cache")) if use_cache and not cache_disabled_by_env() else None
        )
        self.client = OpenAI(
            base_url=self.base_url, api_key=key, timeout=self.timeout_s, max_retries=self.retries
        )
        self._aclient: AsyncOpenAI | None = None
        self._aclient_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAIDrafter(model={self.model!r}, base_url={self.base_url!r}, mode={self.mode!r})"

    @property
    def prompt_version(self) -> str:
        return self.prompts.version

    # -- public API -------------------------------------------------------------------------

    def draft(self, request: DraftRequest, variant: int = 0, revision: Revision | None = None) -> DraftResult:
        messages, key = self._prepare(request, variant, revision)
        hit = self._cached(key)
        if hit is not None:
            return hit
        started = time.perf_counter()
        usage = empty_usage()
        try:
            script, mode = self._with_reask(request, messages, variant, usage)
        except DraftError as exc:
            exc.usage = usage  # type: ignore[attr-defined]
            raise
        return self._finish(key, script, usage, time.perf_counter() - started, mode)

    async def adraft(
        self, request: DraftRequest, variant: int = 0, revision: Revision | None = None
    ) -> DraftResult:
        messages, key = self._prepare(request, variant, revision)
        hit = self._cached(key)
        if hit is not None:
            return hit
        started = time.perf_counter()
        usage = empty_usage()
        try:
            script, mode = await self._awith_reask(request, messages, variant, usage)
        except DraftError as exc:
            exc.usage = usage  # type: ignore[attr-defined]
            raise
        return self._finish(key, script, usage, time.perf_counter() - started, mode)

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.close()
            self._aclient = None
            self._aclient_loop = None

    def models(self) -> list[str]:
        """Model ids the endpoint offers (``GET /models``), to check it is reachable."""
        try:
            return [m.id for m in self.client.models.list()]
        except openai.OpenAIError as exc:
            raise self._api_error(exc) from exc

    # -- steps ------------------------------------------------------------------------------

    def _prepare(
        self, request: DraftRequest, variant: int, revision: Revision | None
    ) -> tuple[list[dict[str, str]], str | None]:
        previous = revision.previous.model_dump(mode="json") if revision else None
        findings = revision.findings if revision else None
        messages = self.prompts.messages(request, variant, previous, findings)
        if self.cache is None:
            return messages, None
        key = cache_key(
            backend=self.name,
            model=self.model,
            base_url=self.base_url,
            prompt_version=self.prompts.version,
            request=request.model_dump(mode="json"),
            seed=request.seed_for(variant),
            variant=variant,
            round=revision.round if revision else 1,
            messages=messages,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        return messages, key

    def _cached(self, key: str | None) -> DraftResult | None:
        if key is None or self.cache is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        try:
            if entry.get("schema") == _schema_fingerprint():
                script = _construct_script(entry["script"])  # validated when stored, same schema
            else:
                script = SCRIPT_TYPES[entry["script"]["channel"]].model_validate(entry["script"])
        except (KeyError, TypeError, ValidationError, CobrancaKitError):
            return None  # stale entry (e.g. the placeholder schema changed): draft again
        return DraftResult(
            script=script, usage=empty_usage(), latency_s=0.0, cached=True, mode=entry.get("mode")
        )

    def _finish(
        self, key: str | None, script: Script, usage: Usage, latency: float, mode: str
    ) -> DraftResult:
        if key is not None and self.cache is not None:
            entry = {"script": script.model_dump(mode="json"), "usage": usage, "mode": mode}
            self.cache.put(key, {**entry, "schema": _schema_fingerprint()})
        return DraftResult(script=script, usage=usage, latency_s=latency, cached=False, mode=mode)

    def _with_reask(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, usage: Usage
    ) -> tuple[Script, str]:
        try:
            return self._over_modes(request, messages, variant, usage)
        except InvalidOutput as first:
            try:
                return self._over_modes(request, self._reask(messages, first), variant, usage)
            except InvalidOutput as second:
                raise self._invalid_error(second) from None

    async def _awith_reask(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, usage: Usage
    ) -> tuple[Script, str]:
        try:
            return await self._aover_modes(request, messages, variant, usage)
        except InvalidOutput as first:
            try:
                return await self._aover_modes(request, self._reask(messages, first), variant, usage)
            except InvalidOutput as second:
                raise self._invalid_error(second) from None

    def _modes(self) -> list[str]:
        if self.setting != "auto":
            return [self.setting]
        return list(MODES[MODES.index(self.mode) :])

    def _over_modes(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, usage: Usage
    ) -> tuple[Script, str]:
        modes = self._modes()
        for i, mode in enumerate(modes):
            try:
                body = self._call(request, messages, variant, mode)
            except ModeRejected as rejected:
                if i == len(modes) - 1:
                    raise rejected.error from None
                continue
            script = self._interpret(request, body, usage)
            self._learn(mode)
            return script, mode
        raise AssertionError("unreachable")  # pragma: no cover

    async def _aover_modes(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, usage: Usage
    ) -> tuple[Script, str]:
        modes = self._modes()
        for i, mode in enumerate(modes):
            try:
                body = await self._acall(request, messages, variant, mode)
            except ModeRejected as rejected:
                if i == len(modes) - 1:
                    raise rejected.error from None
                continue
            script = self._interpret(request, body, usage)
            self._learn(mode)
            return script, mode
        raise AssertionError("unreachable")  # pragma: no cover

    def _learn(self, mode: str) -> None:
        # A server that rejected json_schema once will reject it again: remember the mode that worked.
        if self.setting == "auto" and MODES.index(mode) > MODES.index(self.mode):
            self.mode = mode
            _LEARNED_MODES[self.base_url] = mode

    def _kwargs(self, request: DraftRequest, messages: list[dict[str, str]], variant: int) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": request.seed_for(variant),
        }

    def _call(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, mode: str
    ) -> dict[str, Any]:
        kwargs = self._kwargs(request, messages, variant)
        completions = self.client.chat.completions.with_raw_response
        try:
            if mode == "json_schema":
                raw = completions.parse(response_format=SCRIPT_TYPES[request.canal], **kwargs)
            elif mode == "json_object":
                raw = completions.create(response_format={"type": "json_object"}, **kwargs)
            else:
                raw = completions.create(**kwargs)
            return self._body(raw.http_response)
        except openai.OpenAIError as exc:
            raise self._classify(exc, mode) from exc

    async def _acall(
        self, request: DraftRequest, messages: list[dict[str, str]], variant: int, mode: str
    ) -> dict[str, Any]:
        kwargs = self._kwargs(request, messages, variant)
        completions = self._async_client().chat.completions.with_raw_response
        try:
            if mode == "json_schema":
                raw = await completions.parse(response_format=SCRIPT_TYPES[request.canal], **kwargs)
            elif mode == "json_object":
                raw = await completions.create(response_format={"type": "json_object"}, **kwargs)
            else:
                raw = await completions.create(**kwargs)
            return self._body(raw.http_response)
        except openai.OpenAIError as exc:
            raise self._classify(exc, mode) from exc

    def _async_client(self) -> AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aclient_loop is not loop:
            self._aclient = AsyncOpenAI(
                base_url=self.base_url, api_key=self._key, timeout=self.timeout_s, max_retries=self.retries
            )
            self._aclient_loop = loop
        return self._aclient

    def _body(self, response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
            raise DraftError(f"O servidor {self.base_url} respondeu algo que não é JSON: {exc}") from exc
        if not isinstance(body, dict) or not body.get("choices"):
            raise DraftError(f"O servidor {self.base_url} respondeu sem nenhuma escolha (choices vazio).")
        return body

    def _interpret(self, request: DraftRequest, body: dict[str, Any], usage: Usage) -> Script:
        call_usage = _usage_of(body)
        add_usage(usage, call_usage)
        choice = body["choices"][0] or {}
        message = choice.get("message") or {}
        finish = choice.get("finish_reason")
        if message.get("refusal"):
            raise DraftError(
                f"O modelo '{self.model}' em {self.base_url} recusou o pedido: {message['refusal']}"
            )
        if finish == "length":
            raise DraftError(
                f"A resposta do modelo '{self.model}' em {self.base_url} foi cortada no limite de "
                f"{self.max_tokens} tokens (finish_reason=length). Aumente [llm] max_tokens no cobranca.toml."
            )
        if finish == "content_filter":
            raise DraftError(
                f"A resposta do modelo '{self.model}' em {self.base_url} foi bloqueada pelo filtro."
            )
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise InvalidOutput("a resposta veio vazia", content, call_usage)
        try:
            data = extract_json(content)
        except json.JSONDecodeError as exc:
            raise InvalidOutput(f"o texto não é um JSON válido ({exc.msg})", content, call_usage) from None
        if not isinstance(data, dict) or not data:
            raise InvalidOutput("o JSON veio vazio, sem o roteiro pedido", content, call_usage)
        data = dict(data)
        data["channel"] = request.canal  # the discriminator is ours, not the model's to choose
        try:
            return SCRIPT_TYPES[request.canal].model_validate(data)
        except ValidationError as exc:
            problem = "; ".join(describe_validation_error(exc, data))
            raise InvalidOutput(
                f"o JSON não segue o formato do canal: {problem}", content, call_usage
            ) from None
        except CobrancaKitError as exc:
            raise InvalidOutput(str(exc), content, call_usage) from None

    def _reask(self, messages: list[dict[str, str]], invalid: InvalidOutput) -> list[dict[str, str]]:
        more = list(messages)
        if invalid.content:
            more.append({"role": "assistant", "content": invalid.content[:4000]})
        more.append(
            {
                "role": "user",
                "content": (
                    f"Sua resposta não pôde ser usada: {invalid.problem}. Responda de novo apenas com o "
                    "objeto JSON no formato pedido, usando só as variáveis da lista."
                ),
            }
        )
        return more

    def _invalid_error(self, invalid: InvalidOutput) -> DraftError:
        return DraftError(
            f"O modelo '{self.model}' em {self.base_url} não devolveu um roteiro válido, mesmo após "
            f"pedir de novo: {invalid.problem}."
        )

    # -- errors -----------------------------------------------------------------------------

    def _classify(self, exc: openai.OpenAIError, mode: str) -> Exception:
        error = self._api_error(exc)
        rejected = isinstance(exc, openai.APIStatusError) and exc.status_code in {400, 422, 500, 501}
        if rejected and self.setting == "auto" and mode != "texto":
            return ModeRejected(error)
        return error

    def _api_error(self, exc: openai.OpenAIError) -> EndpointError:
        where = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return EndpointError(
                f"Tempo esgotado: {where} não respondeu em {self.timeout_s:g} s "
                f"(após {self.retries} nova(s) tentativa(s)). Aumente [llm] timeout_s ou verifique o servidor."
            )
        if isinstance(exc, openai.APIConnectionError):
            return EndpointError(
                f"Não foi possível conectar a {where}: {exc.__cause__ or exc}. O servidor está no ar?"
            )
        if isinstance(exc, openai.AuthenticationError):
            return EndpointError(f"{where} recusou a chave de API (HTTP 401). Confira OPENAI_API_KEY.")
        if isinstance(exc, openai.RateLimitError):
            return EndpointError(
                f"{where} limitou as requisições (HTTP 429) e continuou recusando após "
                f"{self.retries} nova(s) tentativa(s). Tente mais tarde ou reduza [llm] concorrencia."
            )
        if isinstance(exc, openai.NotFoundError):
            return EndpointError(
                f"{where} não encontrou o modelo '{self.model}' (HTTP 404). Confira [llm] modelo."
            )
        if isinstance(exc, openai.APIStatusError):
            detail = str(getattr(exc, "message", "") or exc)[:300]
            return EndpointError(f"O servidor {where} respondeu HTTP {exc.status_code}: {detail}")
        if isinstance(exc, openai.APIResponseValidationError):
            return EndpointError(f"O servidor {where} respondeu em um formato inesperado: {exc}")
        return EndpointError(f"Erro ao falar com {where}: {exc}")
