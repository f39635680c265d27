"""The festivals a Chinese business relationship keeps, as Gregorian dates for any year.

Lunar dates come from `lunardate` (pure Python, no dependencies, the one of the three lunar
libraries still released); the test suite cross-checks every festival of every year we cover
against `zhdate`, an independent table. We cover 2000-2099: before that lunardate is known to
be a day off once (Mid-Autumn 1978), and nobody greets a partner in the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from domain.greetings import Occasion

FIRST_YEAR = 2000
LAST_YEAR = 2099


FESTIVALS: tuple[Occasion, ...] = (
    Occasion.NEW_YEAR,
    Occasion.SPRING_FESTIVAL,
    Occasion.LANTERN,
    Occasion.DRAGON_BOAT,
    Occasion.QIXI,
    Occasion.MID_AUTUMN,
    Occasion.NATIONAL_DAY,
)

# Lunar (month, day) of the festivals that follow the moon.
LUNAR_FESTIVALS: dict[Occasion, tuple[int, int]] = {
    Occasion.LANTERN: (1, 15),
    Occasion.DRAGON_BOAT: (5, 5),
    Occasion.QIXI: (7, 7),
    Occasion.MID_AUTUMN: (8, 15),
}

SOLAR_FESTIVALS: dict[Occasion, tuple[int, int]] = {
    Occasion.NEW_YEAR: (1, 1),
    Occasion.NATIONAL_DAY: (10, 1),
}


class YearOutOfRange(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class FestivalDay:
    occasion: Occasion
    day: date


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """A day of the (non-leap) lunar month in lunar year `year`, as a Gregorian date."""
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def spring_festival_eve(year: int) -> date:
    """除夕: the last day of the lunar year that ends in Gregorian `year` (29th or 30th)."""
    return lunar_to_solar(year, 1, 1) - timedelta(days=1)


def festival_date(occasion: Occasion, year: int) -> date:
    """When `occasion` falls in Gregorian `year` (every festival here falls once a year)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise YearOutOfRange(f"the calendar covers {FIRST_YEAR}-{LAST_YEAR}, not {year}")
    if occasion is Occasion.SPRING_FESTIVAL:
        return spring_festival_eve(year)
    if occasion in LUNAR_FESTIVALS:
        month, day = LUNAR_FESTIVALS[occasion]
        return lunar_to_solar(year, month, day)
    if occasion in SOLAR_FESTIVALS:
        month, day = SOLAR_FESTIVALS[occasion]
        return date(year, month, day)
    raise ValueError(f"{occasion} has no fixed date; anniversaries depend on the partner")


def festivals_in(year: int, *, with_qixi: bool = False) -> list[FestivalDay]:
    """The year's festivals in date order."""
    days = [
        FestivalDay(occasion, festival_date(occasion, year))
        for occasion in FESTIVALS
        if with_qixi or occasion is not Occasion.QIXI
    ]
    return sorted(days, key=lambda festival: festival.day)


def festivals_on(day: date, *, with_qixi: bool = False) -> list[Occasion]:
    return [f.occasion for f in festivals_in(day.year, with_qixi=with_qixi) if f.day == day]


def anniversary_in(joined_on: date, year: int) -> date | None:
    """The partnership's anniversary in `year` (28 February for a 29 February join), if any."""
    if year <= joined_on.year:
        return None
    try:
        return joined_on.replace(year=year)
    except ValueError:
        return date(year, 2, 28)
