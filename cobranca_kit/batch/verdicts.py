"""Compliance verdicts of template versions, kept between runs in the workspace cache.

A batch checks each template version once per run (and once per value of a free-text
field it prints, such as ``divida.descricao``). A daily run meets the same template
versions and values every day, so the verdicts are kept in ``<cache>/veredictos.json``
and reused while nothing they depend on has changed.

They depend on the template version's text and metadata (part of the key) and on the
checker: its rules, catalog and code. The file records a fingerprint of every
``.py`` and ``.yaml`` file of the installed package; when any of them differs (a
compliance officer edits a rule, an upgrade), the kept verdicts are dropped and
computed again. A missing, unreadable or foreign file is the same as an empty one:
the cache can make a run faster, never make it fail or change a decision.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

import cobranca_kit

VERDICTS_FILE = "veredictos.json"
FILE_VERSION = 2  # 2: keys are hashes (1 kept descriptions verbatim)
# Entries kept; the oldest go first (a portfolio with very many distinct descriptions).
# An entry is a hash and a short reason: the file stays under a few megabytes.
MAX_ENTRIES = 20_000
_LOCK_TIMEOUT_S = 5


@lru_cache(maxsize=1)
def checker_fingerprint() -> str:
    """SHA-256 over the package version and every ``.py``/``.yaml`` file of the package."""
    root = Path(cobranca_kit.__file__).parent
    digest = hashlib.sha256(cobranca_kit.__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".yaml"} and p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def template_key(template: Any, *context: Any) -> str:
    """A template version's identity for a verdict: its ref and a SHA-256 of its content and
    the context. The context may hold debtor data (a free-text description of any
    length): only its hash is kept, so the file holds no portfolio data and each entry
    has the same small size."""
    content = json.dumps(
        [template.ref, list(map(list, template.parts)), template.meta.model_dump(mode="json"), *context],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return f"{template.ref}#{hashlib.sha256(content.encode()).hexdigest()}"


class VerdictStore:
    """The kept verdicts (``key -> pt-BR reason``, ``""`` for none) and the new ones of this run."""

    def __init__(self, path: Path | None, fingerprint: str | None = None) -> None:
        self.path = path
        self.fingerprint = fingerprint or checker_fingerprint()
        self._entries: dict[str, str] = self._read() if path is not None else {}
        self._new: dict[str, str] = {}
        self.reused = 0
        self.computed = 0

    def __len__(self) -> int:
        return len(self._entries) + len(self._new)

    def get(self, key: str) -> str | None:
        verdict = self._new.get(key)
        if verdict is None:
            verdict = self._entries.get(key)
            if verdict is not None:
                self.reused += 1
        return verdict

    def put(self, key: str, verdict: str) -> None:
        self._new[key] = verdict
        self.computed += 1

    def _read(self) -> dict[str, str]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if (
            not isinstance(data, dict)
            or data.get("versao") != FILE_VERSION
            or data.get("impressao") != self.fingerprint
            or not isinstance(data.get("veredictos"), dict)
        ):
            return {}
        return {k: v for k, v in data["veredictos"].items() if isinstance(k, str) and isinstance(v, str)}

    def save(self) -> bool:
        """Add this run's new verdicts to the file (merged with what others wrote meanwhile).

        Returns False when nothing could be written (no cache folder, a lock held
        too long, a read-only disk): the next run computes them again.
        """
        if self.path is None or not self._new:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.path) + ".lock", timeout=_LOCK_TIMEOUT_S):
                merged = {**self._read(), **self._new}
                if len(merged) > MAX_ENTRIES:
                    merged = dict(list(merged.items())[-MAX_ENTRIES:])
                payload = {"versao": FILE_VERSION, "impressao": self.fingerprint, "veredictos": merged}
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".veredictos-", suffix=".tmp")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        json.dump(payload, fh, ensure_ascii=False)
                    os.replace(tmp, self.path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        except (OSError, Timeout):
            return False
        self._entries.update(self._new)
        self._new.clear()
        return True
