"""Public holidays that close a provider's day, from the `holidays` package.

Calendars are built once per (country, subdivision, year) and cached, and so is the package's
table of supported countries: the availability engine asks for many providers over a window
on every request, and both are slow to build.
"""

from datetime import date
from functools import lru_cache

import holidays as holiday_calendars


# The package rebuilds its table of countries and subdivisions on every call (a few
# milliseconds); it only changes with the package, so it is read once per process.
@lru_cache(maxsize=1)
def _supported() -> dict[str, tuple[str, ...]]:
    return {
        country: tuple(subdivisions)
        for country, subdivisions in holiday_calendars.list_supported_countries().items()
    }


def supported_subdivisions(country: str) -> list[str]:
    """The subdivision codes the holiday calendar of `country` knows (empty if unknown)."""
    return list(_supported().get(country.upper(), ()))


def is_supported_country(country: str) -> bool:
    return country.upper() in _supported()


@lru_cache(maxsize=512)
def _closed_dates_in_year(country: str, subdivision: str, year: int) -> frozenset[date]:
    calendar = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(calendar.keys())


def closed_dates(
    *, country: str, subdivision: str = "", start_date: date, end_date: date
) -> set[date]:
    """Public holidays (observed days included) from `start_date` to `end_date`, inclusive.

    An empty `country` means the provider follows no holiday calendar: nothing is closed.
    An unknown country or subdivision raises ValueError (the models refuse to store one).
    """
    if not country or end_date < start_date:
        return set()
    country = country.upper()
    subdivision = subdivision.upper() if subdivision else ""
    if not is_supported_country(country):
        raise ValueError(f"No holiday calendar for country '{country}'.")
    if subdivision and subdivision not in supported_subdivisions(country):
        raise ValueError(f"No holiday calendar for '{country}-{subdivision}'.")
    closed: set[date] = set()
    for year in range(start_date.year, end_date.year + 1):
        closed.update(
            day
            for day in _closed_dates_in_year(country, subdivision, year)
            if start_date <= day <= end_date
        )
    return closed
