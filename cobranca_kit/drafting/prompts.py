"""The Jinja prompt files (``prompts/``) a team lead edits, and the messages built
from them.

Prompts are built only from the request, the catalog, the rule catalog and the
placeholder schema: no debtor data ever reaches a model. The prompt version is a
hash of the template sources and is recorded with every draft.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

import cobranca_kit
from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance import rules_summary
from cobranca_kit.config import Config, load_config
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.errors import DataFileError
from cobranca_kit.fields import get_fields
from cobranca_kit.quality import PROMPT_EXAMPLES
from cobranca_kit.script import CALL_STEP_KINDS

PROMPT_FILES = ("sistema.j2", "rascunho.j2", "revisao.j2")

# The JSON shape asked of the model, per channel (one home: the quality check refuses copies of it).
_EXAMPLES = PROMPT_EXAMPLES


def prompts_dir(config: Config | None = None) -> Path:
    """Where the prompt files are: ``[pastas] prompts`` in the config, else the copy
    packaged in the wheel (``cobranca_kit/_prompts``), else ``<repo>/prompts``."""
    if config is not None and config.pastas.prompts is not None:
        folder = config.path("prompts")
        if not folder.is_dir():
            raise DataFileError(folder, "pasta de prompts indicada em [pastas] prompts não existe")
        return folder
    packaged = Path(cobranca_kit.__file__).parent / "_prompts"
    if packaged.is_dir():
        return packaged
    checkout = Path(cobranca_kit.__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        return checkout
    raise DataFileError(checkout, "pasta de prompts não encontrada (nem no pacote instalado nem no checkout)")


_FINDING_FIELDS = ("rule_id", "category", "severity", "part", "excerpt", "article", "message", "suggestion")


def _finding_dict(finding: Any) -> dict[str, Any]:
    if isinstance(finding, dict):
        return {n: finding.get(n) for n in _FINDING_FIELDS}
    return {n: getattr(finding, n, None) for n in _FINDING_FIELDS}


@dataclass
class PromptSet:
    """The three prompt templates loaded from one folder."""

    folder: Path
    sources: dict[str, str] = field(default_factory=dict)
    _systems: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, config: Config | None = None) -> PromptSet:
        folder = prompts_dir(config)
        sources = {}
        for name in PROMPT_FILES:
            path = folder / name
            try:
                sources[name] = path.read_text(encoding="utf-8")
            except FileNotFoundError as exc:
                raise DataFileError(path, "arquivo de prompt não encontrado") from exc
        prompt_set = cls(folder=folder, sources=sources)
        prompt_set._compile()
        return prompt_set

    @cached_property
    def env(self) -> Environment:
        return Environment(
            loader=FileSystemLoader(str(self.folder)),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )

    def _compile(self) -> None:
        for name in PROMPT_FILES:
            try:
                self.env.get_template(name)
            except TemplateError as exc:
                line = getattr(exc, "lineno", None)
                raise DataFileError(
                    self.folder / name,
                    f"erro no modelo Jinja: {exc}",
                    where=f"linha {line}" if line else None,
                ) from exc

    @cached_property
    def version(self) -> str:
        """Hash of the template sources: changes whenever a team lead edits a prompt."""
        digest = hashlib.sha256()
        for name in PROMPT_FILES:
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(self.sources[name].encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()[:12]

    def _render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context).strip()
        except TemplateError as exc:
            raise DataFileError(self.folder / name, f"erro ao montar o prompt: {exc}") from exc

    def _context(self, request: DraftRequest) -> dict[str, Any]:
        cat = get_catalog()
        return {
            "tom": cat.get("tons", request.tom),
            "tons": list(cat.tons),
            "canal": cat.get("canais", request.canal),
            "objecao": cat.get("objecoes", request.objecao),
            "estagio": cat.get("estagios", request.estagio),
            "perfil": cat.get("perfis", request.perfil),
            "pagamentos": [cat.get("pagamentos", p) for p in request.pagamentos],
            "variaveis": list(get_fields().campos),
            "etapas_ligacao": list(CALL_STEP_KINDS),
            "exemplo_json": json.dumps(_EXAMPLES[request.canal], ensure_ascii=False, indent=2),
        }

    def system(self, request: DraftRequest) -> str:
        # The system prompt depends only on tone and channel: build each once per prompt set.
        key = (request.tom, request.canal)
        cached = self._systems.get(key)
        if cached is None:
            ctx = self._context(request)
            cached = self._systems[key] = self._render(
                "sistema.j2", regras=rules_summary(request.canal), **ctx
            )
        return cached

    def draft(self, request: DraftRequest, variant: int = 0) -> str:
        return self._render(
            "rascunho.j2",
            instrucoes=request.instrucoes.strip(),
            variante=variant,
            total_variantes=max(request.variantes, variant + 1),
            **self._context(request),
        )

    def revision(self, request: DraftRequest, previous: dict[str, Any], findings: list[Any]) -> str:
        return self._render(
            "revisao.j2",
            anterior=json.dumps(previous, ensure_ascii=False, indent=2),
            achados=[_finding_dict(f) for f in findings],
            **self._context(request),
        )

    def messages(
        self,
        request: DraftRequest,
        variant: int = 0,
        previous: dict[str, Any] | None = None,
        findings: list[Any] | None = None,
    ) -> list[dict[str, str]]:
        """Chat messages for a first draft or, with ``previous``, a revision."""
        msgs = [
            {"role": "system", "content": self.system(request)},
            {"role": "user", "content": self.draft(request, variant)},
        ]
        if previous is not None:
            msgs.append({"role": "assistant", "content": json.dumps(previous, ensure_ascii=False)})
            msgs.append({"role": "user", "content": self.revision(request, previous, findings or [])})
        return msgs


def load_prompts(config: Config | None = None) -> PromptSet:
    return PromptSet.load(config if config is not None else load_config())


def prompt_version(config: Config | None = None) -> str:
    return load_prompts(config).version
