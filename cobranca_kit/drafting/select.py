"""Which backend drafts: env overrides ``cobranca.toml``; with no choice made
anywhere, ``openai`` when an endpoint or key is in the environment, else offline."""

from __future__ import annotations

import os

from cobranca_kit.catalog import unknown_id_message
from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting.offline import OfflineDrafter
from cobranca_kit.drafting.openai_backend import OpenAIDrafter
from cobranca_kit.errors import ConfigError

BACKEND_ENV = "COBRANCA_BACKEND"
MODEL_ENV = "COBRANCA_MODELO"
BACKENDS = ["offline", "openai"]


def chosen_backend(config: Config) -> str:
    """The backend name the rules above pick (without building it)."""
    env = os.environ.get(BACKEND_ENV, "").strip().lower()
    if env:
        if env not in BACKENDS:
            raise ConfigError(BACKEND_ENV, unknown_id_message("Backend", env, BACKENDS))
        return env
    if config.llm.backend:
        return config.llm.backend
    if os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        return "openai"
    return "offline"


def get_drafter(config: Config | None = None, cache: bool | None = None) -> OfflineDrafter | OpenAIDrafter:
    """The configured drafter. ``cache=False`` bypasses the response cache."""
    config = config if config is not None else load_config()
    if chosen_backend(config) == "openai":
        return OpenAIDrafter(config, model=os.environ.get(MODEL_ENV) or None, cache=cache)
    return OfflineDrafter()
