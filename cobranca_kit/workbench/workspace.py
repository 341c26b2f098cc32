"""Lazy access to the workspace (config and template library) shared by the widgets."""

from __future__ import annotations

from cobranca_kit.config import Config, load_config
from cobranca_kit.library import Library


class WorkspaceAccess:
    """Loads ``cobranca.toml`` and opens the library on first use, so a widget can be
    built before the workspace is valid and show the problem instead of failing."""

    _config: Config | None = None
    _library: Library | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config()
        return self._config

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.from_config(self.config)
        return self._library
