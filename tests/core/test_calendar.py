"""Working days in England and Wales (Conduct Regs 2020 reg 3) and calendar periods."""

import datetime as dt

import pytest

from forewarn.core import calendar
from forewarn.core.clocks import CLOCK_RULES, ClockKind

D = dt.date


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 12, 24), True),    # Thursday
    (D(2026, 12, 25), False),   # Christmas Day (Friday)
    (D(2026, 12, 26), False),   # Boxing Day (Saturday)
    (D(2026, 12, 28), False),   # substitute Boxing Day bank holiday (Monday)
    (D(2026, 4, 3), False),     # Good Friday 2026
    (D(2026, 4, 6), False),     # Easter Monday 2026
    (D(2026, 4, 7), True),
    (D(2026, 5, 4), False),     # early May bank holiday
    (D(2026, 8, 31), False),    # summer bank holiday (England and Wales, not Scotland's)
    (D(2026, 8, 3), True),      # Scotland's summer holiday is a working day here
    (D(2026, 11, 21), False),   # Saturday
    (D(2026, 11, 23), True),    # Monday
])
def test_is_working_day(day, working):
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(("start", "count", "expected"), [
    (D(2026, 11, 20), 1, D(2026, 11, 23)),   # Friday + 1 = Monday
    (D(2026, 12, 23), 2, D(2026, 12, 29)),   # over Christmas, Boxing Day substitute
    (D(2026, 3, 27), 15, D(2026, 4, 21)),    # 15 WD over Good Friday and Easter Monday
    (D(2026, 3, 27), 10, D(2026, 4, 14)),
    (D(2026, 11, 23), 15, D(2026, 12, 14)),  # 15 WD with no holidays = three weeks
    (D(2026, 11, 23), 0, D(2026, 11, 23)),
])
def test_add_working_days(start, count, expected):
    assert calendar.add_working_days(start, count) == expected
    assert calendar.working_days_between(start, expected) == count


def test_working_days_between_is_zero_backwards_and_refuses_negative_counts():
    assert calendar.working_days_between(D(2026, 5, 1), D(2026, 4, 1)) == 0
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 5, 1), -1)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2026, 1, 31), 1, D(2026, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 8, 31), 6, D(2026, 2, 28)),
    (D(2025, 12, 15), 12, D(2026, 12, 15)),
])
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert calendar.add_months(start, months) == expected


def test_clock_rules_use_the_calendar():
    assert CLOCK_RULES[ClockKind.OFFICER_RESPONSE].due_from(D(2026, 3, 27)) == D(2026, 4, 21)
    assert CLOCK_RULES[ClockKind.COMPLAINANT_REVIEW].due_from(D(2026, 11, 1)) == D(2026, 11, 29)
    assert CLOCK_RULES[ClockKind.INVESTIGATION_PROGRESS_REPORT].due_from(D(2025, 2, 1)) == D(2026, 2, 1)
    assert CLOCK_RULES[ClockKind.REPRESENTATIONS].period_text == "10 working days"
    assert set(CLOCK_RULES) == set(ClockKind)
