"""Disk cache of model responses, so a re-run of a notebook or papermill job is
reproducible and free.

Keyed by backend, model, prompt version, request, seed, variant and round, plus a
digest of the exact messages and sampling options sent (a revision round depends
on the findings it was given). Only valid drafts are stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_OFF_ENV = "COBRANCA_SEM_CACHE"


def cache_disabled_by_env() -> bool:
    return os.environ.get(CACHE_OFF_ENV, "").strip().lower() in {"1", "true", "sim", "yes"}


def cache_key(**parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """One JSON file per response under ``folder/rascunhos/<2 chars>/<key>.json``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder) / "rascunhos"

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            # A missing or torn entry is simply a miss; it is rewritten on the next call.
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temp file then rename, so concurrent readers never see half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False)
        os.replace(tmp, path)

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*/*.json")) if self.folder.is_dir() else 0
