"""Send windows per state (timezone, holidays, state laws) and frequency caps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cobranca_kit.compliance import allowed_send_time, contact_allowed, next_allowed_slot
from cobranca_kit.config import Config, load_config
from cobranca_kit.errors import ConfigError

SP = ZoneInfo("America/Sao_Paulo")
CONFIG = Config()  # defaults, independent of any cobranca.toml in the working folder


def at(y: int, m: int, d: int, h: int, mi: int = 0, tz: ZoneInfo | None = SP) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=tz)


# 2026-11-23 is a Monday; 2026-11-20 (Friday) is a national holiday (Consciência Negra).
@pytest.mark.parametrize(
    ("when", "uf", "expected"),
    [
        (at(2026, 11, 23, 8, 0), "SP", True),
        (at(2026, 11, 23, 7, 59), "SP", False),
        (at(2026, 11, 23, 19, 59), "SP", True),
        (at(2026, 11, 23, 20, 0), "SP", False),
        (at(2026, 11, 21, 13, 59), "SP", True),
        (at(2026, 11, 21, 14, 0), "SP", False),
        (at(2026, 11, 22, 10, 0), "SP", False),
        (at(2026, 11, 20, 10, 0), "SP", False),
        (at(2026, 11, 23, 8, 30), "RJ", False),
        (at(2026, 11, 23, 9, 0), "RJ", True),
        (at(2026, 11, 23, 19, 0), "RJ", False),
        (at(2026, 11, 21, 10, 0), "RJ", False),
        (at(2026, 11, 21, 10, 0), "ES", False),
        (at(2026, 11, 23, 19, 30), "ES", False),
        (at(2026, 11, 21, 10, 0), "AL", True),
        (at(2026, 11, 21, 10, 0), "AM", False),
    ],
)
def test_allowed_send_time_by_state(when: dt.datetime, uf: str, expected: bool) -> None:
    assert allowed_send_time(when, uf, CONFIG) is expected


def test_state_timezone_is_used() -> None:
    utc = dt.datetime(2026, 11, 23, 11, 30, tzinfo=dt.UTC)  # 08:30 in São Paulo, 07:30 in Manaus
    assert allowed_send_time(utc, "SP", CONFIG)
    assert not allowed_send_time(utc, "AM", CONFIG)
    assert not allowed_send_time(utc, "AC", CONFIG)


def test_naive_datetime_is_local_time_of_the_state() -> None:
    assert allowed_send_time(dt.datetime(2026, 11, 23, 8, 30), "AM", CONFIG)


def test_state_holiday_can_be_switched_off(tmp_path: Path) -> None:
    when = at(2026, 7, 9, 10)  # Revolução Constitucionalista: holiday in SP only (Thursday)
    assert not allowed_send_time(when, "SP", CONFIG)
    assert allowed_send_time(when, "MG", CONFIG)
    toml = tmp_path / "cobranca.toml"
    toml.write_text("[envio]\nferiados_estaduais = false\n", encoding="utf-8")
    assert allowed_send_time(when, "SP", load_config(toml))


def test_windows_come_from_config(tmp_path: Path) -> None:
    toml = tmp_path / "cobranca.toml"
    toml.write_text(
        '[envio.janelas.dia_util]\ninicio = "10:00"\nfim = "12:00"\n'
        '[envio.janelas.domingo]\ninicio = "09:00"\nfim = "10:00"\n',
        encoding="utf-8",
    )
    config = load_config(toml)
    assert not allowed_send_time(at(2026, 11, 23, 9), "MG", config)
    assert allowed_send_time(at(2026, 11, 23, 11), "MG", config)
    assert allowed_send_time(at(2026, 11, 22, 9, 30), "MG", config)


def test_next_allowed_slot_skips_night_weekend_and_holidays() -> None:
    slot = next_allowed_slot(at(2026, 11, 23, 20, 30), "SP", CONFIG)
    assert slot == at(2026, 11, 24, 8) and slot.tzinfo is not None
    # Thursday night -> Friday is a holiday -> Saturday morning in SP
    assert next_allowed_slot(at(2026, 11, 19, 21), "SP", CONFIG) == at(2026, 11, 21, 8)
    # RJ: no Saturdays, so the next slot is Monday 09:00
    assert next_allowed_slot(at(2026, 11, 19, 21), "RJ", CONFIG) == at(2026, 11, 23, 9)
    # inside a window the moment itself is returned
    assert next_allowed_slot(at(2026, 11, 23, 10, 15), "SP", CONFIG) == at(2026, 11, 23, 10, 15)


def test_next_allowed_slot_is_in_the_state_timezone() -> None:
    utc = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # 06:00 in Manaus
    slot = next_allowed_slot(utc, "AM", CONFIG)
    assert slot.utcoffset() == dt.timedelta(hours=-4)
    assert (slot.hour, slot.minute, slot.date()) == (8, 0, dt.date(2026, 11, 23))


def test_unknown_uf_is_refused() -> None:
    with pytest.raises(ConfigError, match="UF desconhecida"):
        allowed_send_time(at(2026, 11, 23, 10), "XX", CONFIG)


def test_default_uf_comes_from_config() -> None:
    assert allowed_send_time(at(2026, 11, 21, 10), None, CONFIG)  # SP: Saturday morning


def test_contact_caps_per_day_and_rolling_week() -> None:
    now = at(2026, 11, 23, 10)
    assert contact_allowed([], now, CONFIG).allowed
    today = contact_allowed([at(2026, 11, 23, 8, 30)], now, CONFIG)
    assert not today.allowed
    assert today.next_allowed == at(2026, 11, 24, 0)
    assert "por dia" in today.reason
    week = [at(2026, 11, 18, 9), at(2026, 11, 19, 9), at(2026, 11, 20, 9)]
    decision = contact_allowed(week, now, CONFIG)
    assert not decision.allowed
    assert decision.next_allowed == at(2026, 11, 25, 9)  # the oldest contact leaves the window
    assert "7 dias" in decision.reason
    old = [at(2026, 11, 10, 9), at(2026, 11, 12, 9), at(2026, 11, 14, 9)]
    assert contact_allowed(old, now, CONFIG).allowed


def test_contact_caps_are_configurable_and_ignore_future_entries(tmp_path: Path) -> None:
    toml = tmp_path / "cobranca.toml"
    toml.write_text("[envio]\nmax_contatos_dia = 2\nmax_contatos_7_dias = 5\n", encoding="utf-8")
    config = load_config(toml)
    now = at(2026, 11, 23, 15)
    assert contact_allowed([at(2026, 11, 23, 9)], now, config).allowed
    assert not contact_allowed([at(2026, 11, 23, 9), at(2026, 11, 23, 11)], now, config).allowed
    assert contact_allowed([at(2026, 11, 23, 16)], now, CONFIG).allowed
