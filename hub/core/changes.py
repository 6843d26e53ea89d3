"""What differs between two versions of the same fact, as field paths (``data.decision``, ``entity.siren``).

Why paths and never values: the answer goes back to a partner and into logs and dead letters, and the values may be
personal data (names, incomes, free text about a household); a path says what to look at without repeating it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["changed_paths"]


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Sorted paths where ``before`` and ``after`` (JSON-like values) differ; lists are compared item by item
    (``data.communes[1]``), a list that changed length is reported as a whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in after:
                if before.get(key) is not None or after.get(key) is not None:   # absent and null are one
                    paths.append(path)
                continue
            paths += changed_paths(before[key], after[key], path)
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = []
        for index, (b, a) in enumerate(zip(before, after)):
            paths += changed_paths(b, a, f"{prefix}[{index}]")
        return paths
    return [] if before == after else [prefix or "$"]
