"""When a debtor may be contacted: send windows per state and frequency caps.

Windows come from ``[envio]`` in ``cobranca.toml`` (defaults: Mon-Fri 08-20h,
Sat 08-14h, never Sundays or holidays; RJ, ES and AM stricter, per their state
laws). Times are judged in the debtor's state timezone; national holidays and,
optionally, state holidays come from the ``holidays`` package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from cobranca_kit.config import UFS, Config, Janela, load_config
from cobranca_kit.errors import ConfigError

UF_TIMEZONES: dict[str, str] = {
    "AC": "America/Rio_Branco",
    "AL": "America/Maceio",
    "AM": "America/Manaus",
    "AP": "America/Belem",
    "BA": "America/Bahia",
    "CE": "America/Fortaleza",
    "DF": "America/Sao_Paulo",
    "ES": "America/Sao_Paulo",
    "GO": "America/Sao_Paulo",
    "MA": "America/Fortaleza",
    "MG": "America/Sao_Paulo",
    "MS": "America/Campo_Grande",
    "MT": "America/Cuiaba",
    "PA": "America/Belem",
    "PB": "America/Fortaleza",
    "PE": "America/Recife",
    "PI": "America/Fortaleza",
    "PR": "America/Sao_Paulo",
    "RJ": "America/Sao_Paulo",
    "RN": "America/Fortaleza",
    "RO": "America/Porto_Velho",
    "RR": "America/Boa_Vista",
    "RS": "America/Sao_Paulo",
    "SC": "America/Sao_Paulo",
    "SE": "America/Maceio",
    "SP": "America/Sao_Paulo",
    "TO": "America/Araguaina",
}
_SEARCH_DAYS = 400


def _resolve(uf: str | None, config: Config | None) -> tuple[str, Config]:
    config = config or load_config()
    code = (uf or config.envio.uf_padrao).strip().upper()
    if code not in UFS:
        raise ConfigError(
            config.source or "cobranca.toml", f"UF desconhecida: '{uf}'; use uma de: {' '.join(UFS)}"
        )
    return code, config


def timezone_for(uf: str) -> ZoneInfo:
    return ZoneInfo(UF_TIMEZONES[uf])


@lru_cache(maxsize=256)
def _holidays(uf: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BR", subdiv=uf, years=year)


def is_holiday(day: dt.date, uf: str | None = None, state_holidays: bool = True) -> bool:
    """National holiday, or state holiday of ``uf`` when ``state_holidays``."""
    return day in _holidays(uf if state_holidays else None, day.year)


def day_window(day: dt.date, uf: str, config: Config) -> Janela | None:
    """The send window of a local date in ``uf`` (``None``: no contact that day)."""
    windows = config.envio.windows_for(uf)
    if is_holiday(day, uf, config.envio.feriados_estaduais):
        return windows.feriado
    weekday = day.weekday()
    if weekday == 6:
        return windows.domingo
    if weekday == 5:
        return windows.sabado
    return windows.dia_util


def _localize(when: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Aware datetimes are converted; naive ones are read as local time of the state."""
    return when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)


def allowed_send_time(when: dt.datetime, uf: str | None = None, config: Config | None = None) -> bool:
    """Whether a message may go out at ``when`` to a debtor in ``uf``."""
    code, config = _resolve(uf, config)
    local = _localize(when, timezone_for(code))
    window = day_window(local.date(), code, config)
    return window is not None and window.inicio <= local.time().replace(tzinfo=None) < window.fim


def next_allowed_slot(when: dt.datetime, uf: str | None = None, config: Config | None = None) -> dt.datetime:
    """The first moment at or after ``when`` inside a send window (aware, in the state's timezone)."""
    code, config = _resolve(uf, config)
    tz = timezone_for(code)
    local = _localize(when, tz)
    if allowed_send_time(local, code, config):
        return local
    day = local.date()
    for offset in range(_SEARCH_DAYS):
        current = day + dt.timedelta(days=offset)
        window = day_window(current, code, config)
        if window is None:
            continue
        start = dt.datetime.combine(current, window.inicio, tzinfo=tz)
        if start >= local:
            return start
    raise ConfigError(
        config.source or "cobranca.toml",
        f"nenhuma janela de envio para {code} nos próximos {_SEARCH_DAYS} dias: revise [envio.janelas]",
    )


@dataclass(frozen=True, slots=True)
class CapDecision:
    allowed: bool
    #: ``when`` itself if allowed, else the earliest moment the caps allow another contact.
    next_allowed: dt.datetime | None
    reason: str


def contact_allowed(
    history: Sequence[dt.datetime], when: dt.datetime, config: Config | None = None
) -> CapDecision:
    """Whether one more contact (any channel) at ``when`` respects the frequency caps.

    Caps: ``max_contatos_dia`` per calendar day (in ``when``'s timezone) and
    ``max_contatos_7_dias`` in any rolling 7 days. Contacts after ``when`` are
    ignored. Send windows are a separate question (``next_allowed_slot``).
    """
    config = config or load_config()
    per_day = config.envio.max_contatos_dia
    per_week = config.envio.max_contatos_7_dias
    past = sorted(_align(h, when) for h in history)
    candidate = when
    reasons: list[str] = []
    for _ in range(len(past) + 2):
        relevant = [h for h in past if h <= candidate]
        same_day = [h for h in relevant if h.date() == candidate.date()]
        week = [h for h in relevant if h > candidate - dt.timedelta(days=7)]
        if len(same_day) >= per_day:
            reasons.append(f"limite de {per_day} contato(s) por dia atingido")
            candidate = dt.datetime.combine(
                candidate.date() + dt.timedelta(days=1), dt.time(0), tzinfo=candidate.tzinfo
            )
            continue
        if len(week) >= per_week:
            reasons.append(f"limite de {per_week} contato(s) em 7 dias atingido")
            candidate = week[len(week) - per_week] + dt.timedelta(days=7)
            continue
        break
    if candidate == when:
        return CapDecision(True, when, "dentro dos limites de contato")
    return CapDecision(False, candidate, reasons[0])


def _align(moment: dt.datetime, reference: dt.datetime) -> dt.datetime:
    """Compare like with like: aware history in the reference's zone, naive stays naive."""
    if reference.tzinfo is None:
        return (
            moment.replace(tzinfo=None) if moment.tzinfo is None else moment.astimezone().replace(tzinfo=None)
        )
    if moment.tzinfo is None:
        return moment.replace(tzinfo=reference.tzinfo)
    return moment.astimezone(reference.tzinfo)
