"""French renderings of numbers and dates, as a desk agent and an applicant read them ("47,2", "1er décembre 2026").

Why not the locale module: it depends on the machine's installed locales and is process-global; these two
functions are all the cotation needs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

__all__ = ["nombre", "date_longue", "date_courte"]

_MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre")


def nombre(value: Decimal | int, signed: bool = False) -> str:
    """A decimal number with a comma and no useless zeros: 47.20 → "47,2", 30.00 → "30", -2 → "-2"."""
    text = format(Decimal(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    text = text.replace(".", ",")
    return f"+{text}" if signed and text not in ("0",) and not text.startswith("-") else text


def date_longue(day: date) -> str:
    """"1er décembre 2026", "2 janvier 2027"."""
    return f"{'1er' if day.day == 1 else day.day} {_MOIS[day.month - 1]} {day.year}"


def date_courte(day: date) -> str:
    """"31/01/2026"."""
    return day.strftime("%d/%m/%Y")
