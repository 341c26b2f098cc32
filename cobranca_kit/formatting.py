"""pt-BR formatting of money, dates and names (Babel), also used as Jinja filters."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALE = "pt_BR"


def _to_date(value: Any) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return (
                dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.date.fromisoformat(text)
            )
        except ValueError:
            pass
        try:
            return dt.datetime.strptime(text, "%d/%m/%Y").date()
        except ValueError as exc:
            raise ValueError(f"data inválida: '{value}' (use AAAA-MM-DD ou DD/MM/AAAA)") from exc
    raise ValueError(f"data inválida: '{value}'")


def moeda(value: Any) -> str:
    """``1234.5`` -> ``R$ 1.234,50`` (negative amounts keep their sign)."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format_currency(amount, "BRL", locale=LOCALE)
    # Babel uses a no-break space after the symbol; messages travel through
    # SMS/WhatsApp where a plain space is safer and GSM-7 compatible.
    return text.replace("\xa0", " ")


def data(value: Any) -> str:
    """``2026-11-22`` -> ``22/11/2026``."""
    return format_date(_to_date(value), format="dd/MM/yyyy", locale=LOCALE)


def data_extenso(value: Any) -> str:
    """``2026-11-22`` -> ``22 de novembro de 2026``."""
    return format_date(_to_date(value), format="long", locale=LOCALE)


def data_hora(value: Any) -> str:
    """``2026-11-22T18:00`` -> ``22/11/2026 18:00``."""
    value = _to_date(value)
    if not isinstance(value, dt.datetime):
        return data(value)
    return format_datetime(value, format="dd/MM/yyyy HH:mm", locale=LOCALE)


def primeiro_nome(value: Any) -> str:
    """First name, title-cased: ``MARIA DA SILVA`` -> ``Maria``."""
    parts = str(value or "").split()
    return parts[0].capitalize() if parts else ""


FILTERS = {
    "moeda": moeda,
    "data": data,
    "data_extenso": data_extenso,
    "data_hora": data_hora,
    "primeiro_nome": primeiro_nome,
}
