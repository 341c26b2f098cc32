"""The library folder: one readable YAML file per template version.

Layout (a team keeps it in git)::

    biblioteca/
      nenhuma-amigavel-whatsapp-atraso_curto/
        v1.yaml
        v2.yaml

Versions are immutable: saving an existing id writes the next ``vN.yaml``; only
approval and archiving touch an existing file, and only its status fields.
Writes happen under a per-template file lock and go to a temporary file that is
renamed into place, so two processes saving the same id get distinct versions
and a reader never sees half a file. A broken file is reported in
``Library.problems`` (path, reason) and skipped; the rest keeps working.
"""

from __future__ import annotations

import builtins
import datetime as dt
import difflib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from filelock import FileLock, Timeout

from cobranca_kit.config import Config, load_config
from cobranca_kit.datafiles import FAST_YAML_LOADER, check_aliases, load_yaml, validate
from cobranca_kit.errors import CobrancaKitError, LibraryError
from cobranca_kit.library.models import STATUSES, Template, TemplateMeta, TemplateRef, check_id
from cobranca_kit.library.validation import require_no_blocks, validate_script, validate_template
from cobranca_kit.script import Script

VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
LOCK_NAME = ".lock"
LOCK_TIMEOUT_S = 30.0
FILE_FORMAT = 1
FILTER_KEYS = ("status", "objecao", "tom", "canal", "estagio", "perfil")
_GITIGNORE = "# arquivos temporários da biblioteca de modelos (cobranca-kit)\n.lock\n.*.tmp\n"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so templates read naturally in git diffs."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_template(template: Template) -> str:
    data: dict[str, Any] = {"formato": FILE_FORMAT, **template.model_dump(mode="json")}
    # No line folding: one line of a message stays one line in the file (clean git diffs).
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=2**31 - 1)


def _load_fast(path: Path) -> Any:
    """libyaml when available (a library holds hundreds of files); on any problem the
    regular loader runs again so the error names the line like every other data file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=FAST_YAML_LOADER)  # a safe loader
    except (yaml.YAMLError, UnicodeDecodeError):
        return load_yaml(path)
    return check_aliases(text, data, path)


class SaveOutcome(NamedTuple):
    """What ``Library.save_version`` did: the version holding the text, and whether it is new."""

    ref: TemplateRef
    created: bool
    status: str = "rascunho"

    def message(self) -> str:
        """A pt-BR sentence for the user (new version, or nothing saved because nothing changed)."""
        if self.created:
            return f"Modelo salvo na biblioteca como {self.ref}."
        return (
            f"Nada foi salvo: o texto é igual ao de {self.ref} ({self.status}), "
            "que já está na biblioteca. Altere o texto para criar uma nova versão."
        )


# Metadata that tells two templates apart; who saved it and why (autor, notas,
# origem, titulo) does not make the same text a new version.
_SAME_TEMPLATE_FIELDS = ("objecao", "tom", "canal", "estagio", "perfil", "pagamentos")


def _same_template(template: Template, parts: builtins.list[tuple[str, str]], meta: TemplateMeta) -> bool:
    return [tuple(p) for p in template.parts] == [tuple(p) for p in parts] and all(
        getattr(template.meta, f) == getattr(meta, f) for f in _SAME_TEMPLATE_FIELDS
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Library:
    """A folder of versioned templates (see module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # path -> (mtime_ns, size, template): files are re-read only when they change.
        self._cache: dict[str, tuple[int, int, Template]] = {}

    @classmethod
    def from_config(cls, config: Config | None = None) -> Library:
        """The library folder of the workspace (``[pastas] biblioteca``)."""
        config = config or load_config()
        return cls(config.path("biblioteca"))

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    # -- paths and files ---------------------------------------------------

    def _dir(self, template_id: str) -> Path:
        return self.path / check_id(template_id)

    def _file(self, template_id: str, version: int) -> Path:
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise LibraryError(f"Versão inválida: {version!r} (use um número a partir de 1).")
        return self._dir(template_id) / f"v{version}.yaml"

    @contextmanager
    def _locked(self, template_id: str) -> Iterator[Path]:
        folder = self._dir(template_id)
        folder.mkdir(parents=True, exist_ok=True)
        ignore = self.path / ".gitignore"
        if not ignore.exists():
            self._write_atomic(ignore, _GITIGNORE)
        lock = FileLock(folder / LOCK_NAME, timeout=LOCK_TIMEOUT_S)
        try:
            with lock:
                yield folder
        except Timeout as exc:
            raise LibraryError(
                f"A biblioteca está ocupada: não foi possível travar '{template_id}' em "
                f"{LOCK_TIMEOUT_S:.0f} s. Tente de novo; se persistir, apague {folder / LOCK_NAME}."
            ) from exc

    @staticmethod
    def _write_atomic(target: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; the team shares these files
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _version_numbers(self, folder: Path) -> builtins.list[int]:
        """Every ``vN.yaml`` present, broken ones included (their numbers stay taken)."""
        if not folder.is_dir():
            return []
        nums = []
        for entry in folder.iterdir():
            match = VERSION_FILE.match(entry.name)
            if match:
                nums.append(int(match.group(1)))
        return sorted(nums)

    def _read(self, path: Path | str, copy: bool = True) -> Template:
        """Load one version file (cached on mtime and size); raise ``CobrancaKitError`` if broken.

        Callers get a copy unless ``copy=False`` (internal scans that only filter).
        """
        key = str(path)
        stat = os.stat(key)
        cached = self._cache.get(key)
        if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
            return cached[2].model_copy(deep=True) if copy else cached[2]
        path = Path(path)
        data = _load_fast(path)
        if not isinstance(data, dict):
            raise LibraryError(f"{path}: o arquivo não contém um modelo (esperava uma tabela de campos).")
        data = dict(data)
        fmt = data.pop("formato", FILE_FORMAT)
        if fmt != FILE_FORMAT:
            raise LibraryError(f"{path}: formato {fmt!r} não suportado (esperado {FILE_FORMAT}).")
        template = validate(Template, data, path)
        expected_id, expected_version = path.parent.name, int(VERSION_FILE.match(path.name).group(1))  # type: ignore[union-attr]
        if template.id != expected_id:
            raise LibraryError(
                f"{path}: o id no arquivo ('{template.id}') difere da pasta ('{expected_id}')."
            )
        if template.version != expected_version:
            raise LibraryError(
                f"{path}: a versão no arquivo ({template.version}) difere do nome do arquivo (v{expected_version})."
            )
        self._cache[key] = (stat.st_mtime_ns, stat.st_size, template)
        return template.model_copy(deep=True) if copy else template

    def _scan(self) -> tuple[builtins.list[Template], builtins.list[tuple[Path, str]]]:
        """Every readable version (cached objects, do not modify) and every problem."""
        templates: builtins.list[Template] = []
        problems: builtins.list[tuple[Path, str]] = []
        try:
            folders = sorted(
                (e for e in os.scandir(self.path) if not e.name.startswith(".")), key=lambda e: e.name
            )
        except (FileNotFoundError, NotADirectoryError):
            return templates, problems
        for folder in folders:
            if not folder.is_dir():
                continue
            try:
                check_id(folder.name)
            except LibraryError as exc:
                problems.append((Path(folder.path), str(exc)))
                continue
            for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
                if entry.name.startswith("."):
                    continue
                if not VERSION_FILE.match(entry.name):
                    problems.append((Path(entry.path), "arquivo fora do padrão vN.yaml; não foi lido"))
                    continue
                try:
                    templates.append(self._read(entry.path, copy=False))
                except (CobrancaKitError, OSError) as exc:
                    problems.append((Path(entry.path), str(exc)))
        templates.sort(key=lambda t: (t.id, t.version))
        return templates, problems

    @property
    def problems(self) -> builtins.list[tuple[Path, str]]:
        """Broken or unexpected files (path, pt-BR reason), found by a fresh scan."""
        return self._scan()[1]

    # -- reading -------------------------------------------------------------

    def ids(self) -> builtins.list[str]:
        return sorted({t.id for t in self._scan()[0]})

    def versions(self, template_id: str) -> builtins.list[Template]:
        """All readable versions of one template, oldest first."""
        folder = self._dir(template_id)
        out = []
        for num in self._version_numbers(folder):
            try:
                out.append(self._read(folder / f"v{num}.yaml"))
            except (CobrancaKitError, OSError):
                continue  # reported by ``problems``
        return out

    def version(self, template_id: str, version: int) -> Template:
        """One exact version, whatever its status."""
        path = self._file(template_id, version)
        if not path.is_file():
            known = ", ".join(f"v{n}" for n in self._version_numbers(path.parent)) or "nenhuma"
            raise LibraryError(f"Modelo '{template_id}' não tem a versão v{version} (versões: {known}).")
        try:
            return self._read(path)
        except CobrancaKitError as exc:
            raise LibraryError(f"Modelo {template_id}@v{version} está corrompido: {exc}") from exc

    def get(self, template_id: str, version: int | None = None) -> Template:
        """A given version, or by default the latest approved one."""
        if version is not None:
            return self.version(template_id, version)
        versions = self.versions(template_id)
        approved = [t for t in versions if t.status == "aprovado"]
        if approved:
            return approved[-1]
        if not versions:
            raise LibraryError(f"Modelo '{template_id}' não existe na biblioteca {self.path}.")
        states = ", ".join(f"v{t.version} ({t.status})" for t in versions)
        raise LibraryError(
            f"Modelo '{template_id}' não tem versão aprovada ({states}). "
            f"Revise e aprove com: cobranca-kit modelos aprovar {template_id}@v{versions[-1].version}"
        )

    def latest(self, template_id: str) -> Template:
        """The newest version whatever its status."""
        versions = self.versions(template_id)
        if not versions:
            raise LibraryError(f"Modelo '{template_id}' não existe na biblioteca {self.path}.")
        return versions[-1]

    def list(self, **filters: Any) -> builtins.list[Template]:
        """Every readable version matching the filters (status, objecao, tom, canal, estagio, perfil)."""
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if unknown:
            raise LibraryError(
                f"Filtro desconhecido: {', '.join(unknown)}. Filtros válidos: {', '.join(FILTER_KEYS)}."
            )
        if "status" in filters and filters["status"] is not None and filters["status"] not in STATUSES:
            raise LibraryError(f"Status desconhecido: '{filters['status']}'. Use {', '.join(STATUSES)}.")
        return [t.model_copy(deep=True) for t in self._matching(filters)]

    def _matching(self, filters: dict[str, Any]) -> builtins.list[Template]:
        """Cached (not copied) templates matching the filters: read-only use."""
        active = {k: v for k, v in filters.items() if v is not None}
        out = []
        for template in self._scan()[0]:
            values = {"status": template.status, **{k: getattr(template.meta, k) for k in FILTER_KEYS[1:]}}
            if all(values[k] == v for k, v in active.items()):
                out.append(template)
        return out

    def find(
        self, objecao: str, tom: str, canal: str, estagio: str, perfil: str | None = None
    ) -> Template | None:
        """The approved template for a situation, or None.

        Per template id only its latest approved version counts. A template made
        for the debtor's profile wins over a generic one (no profile or
        ``desconhecido``); ties go to the most recent approval.
        """
        latest: dict[str, Template] = {}
        filters = {"status": "aprovado", "objecao": objecao, "tom": tom, "canal": canal, "estagio": estagio}
        for t in self._matching(filters):
            latest[t.id] = t  # versions come sorted, so the last one wins
        exact = [t for t in latest.values() if perfil is not None and t.meta.perfil == perfil]
        generic = [t for t in latest.values() if t.meta.generic_profile]
        for group in (exact, generic):
            if group:
                return max(group, key=lambda t: (t.approved_at or t.created_at, t.id)).model_copy(deep=True)
        return None

    def diff(self, template_id: str, v1: int, v2: int) -> str:
        """Unified diff of the parts of two versions (empty when the text is the same)."""
        a, b = self.version(template_id, v1), self.version(template_id, v2)

        def lines(t: Template) -> builtins.list[str]:
            out = []
            for name, text in t.parts:
                out.append(f"## {name}\n")
                out.extend(line + "\n" for line in text.split("\n"))
            return out

        return "".join(difflib.unified_diff(lines(a), lines(b), fromfile=a.ref, tofile=b.ref, n=3))

    # -- writing -------------------------------------------------------------

    def save(self, script: Script, meta: TemplateMeta) -> TemplateRef:
        """Validate ``script`` and store it as the next version of ``meta.id`` (a draft).

        Saving a text that an existing version already holds (same parts and
        situation) writes nothing and returns that version: see ``save_version``.
        """
        return self.save_version(script, meta).ref

    def save_version(self, script: Script, meta: TemplateMeta) -> SaveOutcome:
        """``save``, also saying whether a new version was written (``created``).

        Re-running a notebook that saves the same drafts must not pile up identical
        versions: an unchanged text is a no-op that names the version holding it.
        """
        template_id = check_id(meta.id)
        report = validate_script(script, meta)  # slow part, outside the lock
        parts = script.parts()
        with self._locked(template_id) as folder:
            existing = self.versions(template_id)
            if existing and existing[-1].channel != meta.canal:
                raise LibraryError(
                    f"O id '{template_id}' já é de um modelo de {existing[-1].channel}; "
                    f"um roteiro de {meta.canal} precisa de outro id."
                )
            same = [t for t in existing if _same_template(t, parts, meta)]
            if same:
                return SaveOutcome(same[-1].template_ref, created=False, status=same[-1].status)
            version = max(self._version_numbers(folder), default=0) + 1
            template = Template(
                meta=meta.model_copy(deep=True),
                version=version,
                status="rascunho",
                created_at=_now(),
                parts=parts,
                report=report,
            )
            target = folder / f"v{version}.yaml"
            if target.exists():  # cannot happen under the lock; never overwrite a version
                raise LibraryError(f"{target} já existe; a versão não foi gravada.")
            self._write_atomic(target, dump_template(template))
        return SaveOutcome(TemplateRef(template_id, version), created=True)

    def _update_status(self, template_id: str, version: int, expected: str, **changes: Any) -> Template:
        with self._locked(template_id):
            current = self.version(template_id, version)
            if current.status != expected:  # changed by someone else meanwhile
                raise LibraryError(
                    f"{current.ref} mudou de status durante a operação (agora: {current.status}); tente de novo."
                )
            updated = current.model_validate({**current.model_dump(), **changes})
            self._write_atomic(self._file(template_id, version), dump_template(updated))
        return updated

    def approve(self, template_id: str, version: int, by: str) -> Template:
        """Mark a version approved; refused (``ApprovalRefused``) if the checker blocks it.

        The check runs again with the current rules, since rules may have changed
        since the template was saved.
        """
        if not by or not by.strip():
            raise LibraryError("Informe quem aprova (nome do responsável).")
        template = self.version(template_id, version)
        if template.status == "aprovado":
            return template
        if template.status == "arquivado":
            raise LibraryError(
                f"{template.ref} está arquivado e não pode ser aprovado; salve uma nova versão."
            )
        report = validate_template(template.parts, template.meta, template.ref)
        require_no_blocks(report, template.ref)
        return self._update_status(
            template_id, version, "rascunho", status="aprovado", approved_by=by.strip(), approved_at=_now()
        )

    def archive(self, template_id: str, version: int) -> Template:
        """Retire a version: it is kept in the folder but never picked by ``get``/``find``."""
        template = self.version(template_id, version)
        if template.status == "arquivado":
            return template
        return self._update_status(template_id, version, template.status, status="arquivado")

    def restore(self, template_id: str, version: int) -> Template:
        """Undo ``archive``: an archived version goes back to use.

        A version archived after approval comes back approved (same approver) if the
        current rules still find no blocking problem; otherwise, and for a version
        archived as a draft, it comes back as a draft awaiting approval.
        """
        template = self.version(template_id, version)
        if template.status != "arquivado":
            return template
        if template.approved_by:
            report = validate_template(template.parts, template.meta, template.ref)
            if not [f for f in report.get("findings", []) if f.get("severity") == "block"]:
                return self._update_status(template_id, version, "arquivado", status="aprovado")
        return self._update_status(
            template_id, version, "arquivado", status="rascunho", approved_by=None, approved_at=None
        )
