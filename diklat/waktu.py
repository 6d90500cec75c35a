"""The agency's clock: its time zone, its "now" and its calendar date.

Every place that judges a date (a letter's date, "in the future", a deadline shown to a
person, a daily list) asks here, never the server's local time and never a ``ZoneInfo``
built on the spot. The zone is the setting ``timezone`` (``Asia/Makassar``, WITA, for
Kutai Kartanegara); pure rules (``diklat.rules``) take the zone as a parameter instead.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from diklat.settings import Settings


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zona(settings: Settings | None = None) -> ZoneInfo:
    """The agency's time zone."""
    if settings is None:
        from diklat.settings import get_settings

        settings = get_settings()
    return _zone(settings.timezone)


def sekarang(settings: Settings | None = None) -> dt.datetime:
    """Now, aware, in the agency's zone."""
    return dt.datetime.now(zona(settings))


def hari_ini(settings: Settings | None = None) -> dt.date:
    """The agency's calendar date (its zone, not the server's)."""
    return sekarang(settings).date()


def lokal(moment: dt.datetime, settings: Settings | None = None) -> dt.datetime:
    """An aware moment as the agency's wall clock shows it."""
    return moment.astimezone(zona(settings))
