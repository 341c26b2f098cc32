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
