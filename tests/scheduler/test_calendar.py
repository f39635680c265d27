"""Festival dates: the kept library (lunardate) agrees with an independent table (zhdate)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from zhdate import ZhDate

from scheduler.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    LUNAR_FESTIVALS,
    Occasion,
    YearOutOfRange,
    anniversary_in,
    festival_date,
    festivals_in,
    festivals_on,
)


def test_spring_festival_eve_and_mid_autumn_in_2026_and_2027() -> None:
    assert festival_date(Occasion.SPRING_FESTIVAL, 2026) == date(2026, 2, 16)
    assert festival_date(Occasion.SPRING_FESTIVAL, 2027) == date(2027, 2, 5)
    assert festival_date(Occasion.MID_AUTUMN, 2026) == date(2026, 9, 25)
    assert festival_date(Occasion.MID_AUTUMN, 2027) == date(2027, 9, 15)
    assert festival_date(Occasion.DRAGON_BOAT, 2026) == date(2026, 6, 19)
    assert festival_date(Occasion.LANTERN, 2027) == date(2027, 2, 20)


def test_a_year_lists_each_festival_once_in_date_order() -> None:
    days = festivals_in(2027)
    assert [day.occasion for day in days] == [
        Occasion.NEW_YEAR,
        Occasion.SPRING_FESTIVAL,
        Occasion.LANTERN,
        Occasion.DRAGON_BOAT,
        Occasion.MID_AUTUMN,
        Occasion.NATIONAL_DAY,
    ]
    assert Occasion.QIXI in {day.occasion for day in festivals_in(2027, with_qixi=True)}
    assert festivals_on(date(2027, 2, 5)) == [Occasion.SPRING_FESTIVAL]
    assert festivals_on(date(2027, 2, 6)) == []


@pytest.mark.parametrize("year", range(FIRST_YEAR, LAST_YEAR + 1))
def test_lunar_dates_agree_with_a_second_library(year: int) -> None:
    new_year = ZhDate(year, 1, 1).to_datetime().date()
    assert festival_date(Occasion.SPRING_FESTIVAL, year) == new_year - timedelta(days=1)
    for occasion, (month, day) in LUNAR_FESTIVALS.items():
        assert festival_date(occasion, year) == ZhDate(year, month, day).to_datetime().date(), (
            occasion,
            year,
        )


def test_years_outside_the_tables_are_refused() -> None:
    with pytest.raises(YearOutOfRange):
        festival_date(Occasion.MID_AUTUMN, 2100)
    with pytest.raises(YearOutOfRange):
        festival_date(Occasion.MID_AUTUMN, 1978)


def test_anniversaries() -> None:
    assert anniversary_in(date(2021, 4, 12), 2027) == date(2027, 4, 12)
    assert anniversary_in(date(2024, 2, 29), 2027) == date(2027, 2, 28)
    assert anniversary_in(date(2024, 2, 29), 2028) == date(2028, 2, 29)
    assert anniversary_in(date(2027, 4, 12), 2027) is None  # joined this year: no anniversary
