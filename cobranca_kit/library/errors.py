"""Errors of the template library (subclasses of the ground ``LibraryError``)."""

from __future__ import annotations

from typing import Any

from cobranca_kit.errors import LibraryError


class ApprovalRefused(LibraryError):
    """Approval refused because the compliance check found blocking problems."""

    exit_code = 1

    def __init__(self, message: str, findings: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.findings = findings


class ExportError(LibraryError):
    """A template cannot be exported to a channel; ``rules`` names what it breaks."""

    exit_code = 1

    def __init__(self, message: str, rules: list[str] | None = None) -> None:
        super().__init__(message)
        self.rules = rules or []
