"""Calendar months: "two months after 31 December" is the end of February, and moving back never overshoots."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from plugins.lifecycle.dates import add_months


def test_a_day_missing_in_the_target_month_is_its_last():
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 15), 13) == date(2026, 2, 15)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(-120, 120))
def test_months_land_in_the_right_month_and_never_after_the_same_day(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    assert moved.day == day.day or moved.day == max(d for d in range(28, 32)
                                                    if _exists(moved.year, moved.month, d))


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
        return True
    except ValueError:
        return False
