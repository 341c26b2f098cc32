"""CSV cells a spreadsheet shows as text, never runs as a formula (OWASP, "CSV Injection").

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return as a formula (``=HYPERLINK(...)``, ``=cmd|...``). Every CSV file
cobranca-kit writes for people to open passes its text cells through :func:`csv_safe`,
which puts an apostrophe in front of such a cell: the spreadsheet shows the text as
it is. A plain number (``+5511987654321``, ``-12,50``) cannot hold a formula and is
left as it is. Machine-readable outputs (Parquet, JSON) keep the values untouched.
"""

from __future__ import annotations

import re
from typing import Any

# RE2 and Python ``re`` read these the same (the batch applies them with Arrow too).
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?[0-9]+([.,][0-9]+)*$"
_FORMULA_RE = re.compile(FORMULA_START)
_PLAIN_NUMBER_RE = re.compile(PLAIN_NUMBER)


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows as text."""
    if type(value) is str and value and _FORMULA_RE.match(value) and not _PLAIN_NUMBER_RE.match(value):
        return "'" + value
    return value


def csv_safe_row(row: Any) -> tuple[Any, ...]:
    """:func:`csv_safe` of each cell of a row."""
    return tuple(map(csv_safe, row))
