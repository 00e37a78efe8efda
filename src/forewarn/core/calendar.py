"""Working-day calendar for England and Wales.

Statutory periods in the Conduct Regs 2020 and the C&M Regs 2020 are counted in working days:
any day other than a Saturday, Sunday, Christmas Day, Good Friday or a bank holiday in England
and Wales (Conduct Regs 2020 reg 3 "working day"). Bank holidays come from the `holidays` package
(UK, subdivision ENG, which is the England and Wales list).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    days = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(days.keys())


def is_working_day(day: dt.date) -> bool:
    """A weekday that is not an England and Wales bank holiday (Christmas Day and Good Friday are)."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date `count` working days after `start` (the start day itself is not counted).

    "Within 15 working days after" a step means by the end of the 15th working day following it.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last_day))


def add_calendar_days(start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=days)
