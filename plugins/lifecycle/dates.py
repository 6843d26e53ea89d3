"""Calendar arithmetic of the lifecycle: months are calendar months, a day that does not exist is the month's last.

Why not ``timedelta(days=30)``: the rules say "two months after the anniversary"; 31 January + 1 month is the end
of February, not 2 or 3 March.
"""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["add_months"]


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative: earlier), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
