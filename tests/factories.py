"""Synthetic test data (Faker fr_FR, seeded): valid identifiers and bailleurs' CAL decision files.

Never real people: every name, number and identifier here is generated.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

fake = Faker("fr_FR")
Faker.seed(20261123)
_rng = random.Random(20261123)

#: Commission dates are drawn before this day, not before the machine's today: a test must not change with the date.
REFERENCE_DATE = date(2026, 11, 23)


def luhn_complete(prefix: str) -> str:
    """Append the digit that makes ``prefix`` pass the Luhn check (SIREN)."""
    for last in "0123456789":
        candidate = prefix + last
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def siren() -> str:
    return luhn_complete("".join(_rng.choice("0123456789") for _ in range(8)))


def numero_unique(dept: str = "063") -> str:
    """18 characters: department (3), month (2), year (2), sequence and desk code (11)."""
    month = f"{_rng.randint(1, 12):02d}"
    year = f"{_rng.randint(18, 26):02d}"
    return f"{dept}{month}{year}{_rng.randint(0, 9_999_999):07d}GT63"


def rpls() -> str:
    return f"63{_rng.randint(0, 99_999_999):08d}"


def decision(**overrides: Any) -> dict[str, Any]:
    d = {"id": f"CAL-{fake.unique.bothify('####-????').upper()}", "numero_unique": numero_unique(),
         "rpls": rpls(), "commune": _rng.choice(["63430", "63300", "63113", "63190"]),
         "date_commission": (REFERENCE_DATE - timedelta(days=_rng.randint(0, 60))).isoformat(),
         "decision": "attribution"}
    d.update(overrides)
    return d


def decisions_document(decisions: list[dict[str, Any]], bailleur_siren: str | None = None) -> dict[str, Any]:
    return {"format": "relais.bailleurs.decisions_cal/1",
            "bailleur": {"siren": bailleur_siren or siren(), "nom": f"{fake.company()} Habitat"},
            "decisions": decisions}


def write_decisions(directory: Path, name: str, decisions: list[dict[str, Any]], **kw: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(decisions_document(decisions, **kw), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
