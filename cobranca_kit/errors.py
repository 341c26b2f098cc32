"""Exception hierarchy.

Every error a user can meet derives from :class:`CobrancaKitError` and carries a
pt-BR message that says what is wrong, where, and what to do. The CLI maps them
to exit codes and the workbench to friendly messages.
"""

from __future__ import annotations


class CobrancaKitError(Exception):
    """Base class of every error raised by cobranca-kit (message in pt-BR)."""

    exit_code: int = 2


class DataFileError(CobrancaKitError):
    """A YAML/TOML data file (catalog, rules, phrase bank, régua, config) is invalid."""

    def __init__(self, path: object, problem: str, *, where: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.where = where
        place = f"{self.path}" + (f" ({where})" if where else "")
        super().__init__(f"Arquivo inválido: {place}: {problem}")


class ConfigError(DataFileError):
    """The workspace configuration (cobranca.toml) is invalid."""


class CatalogError(CobrancaKitError):
    """An id is not in the domain catalog."""


class PlaceholderError(CobrancaKitError, ValueError):
    """A draft or template uses a variable outside the placeholder schema.

    Also a ``ValueError`` so pydantic validators turn it into a validation error.
    """


class ComplianceError(CobrancaKitError):
    """A text or template breaks a blocking compliance rule where that is not allowed."""

    exit_code = 1


class DraftError(CobrancaKitError):
    """Drafting failed (endpoint down, timeout, invalid output, refusal...)."""


class LibraryError(CobrancaKitError):
    """The template library refused an operation or holds a broken file."""


class RenderError(CobrancaKitError):
    """A template could not be rendered with the given data."""


class BatchError(CobrancaKitError):
    """A batch run could not be completed."""


def describe_os_error(exc: OSError) -> str:
    """A pt-BR sentence for a failed file operation: what failed, on which file, what to do."""
    import errno

    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disco cheio ao gravar{where}; libere espaço e rode de novo"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"sem permissão de gravação{where}: a pasta de trabalho está somente leitura ou pertence "
            "a outro usuário; rode numa pasta gravável"
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return f"caminho ocupado{where}: um arquivo está onde deveria haver uma pasta (ou o contrário)"
    if exc.errno == errno.ENOENT:
        return f"arquivo ou pasta não encontrado{where}"
    return f"falha de leitura ou gravação{where}: {exc.strerror or exc}"
