"""Find the line of a value in a TOML text from its path (``("criterion", 3, "points")``).

Why: ``tomllib`` returns values without positions, and a grid's editor needs the line to fix. Grids are written as
top-level keys, plain tables (``[combine]``) and arrays of tables (``[[criterion]]``) whose values are simple keys or
inline tables; that is all this locator reads. When a key is absent (a missing field), the line of the table that
should hold it is given; when nothing fits, ``None``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["locate"]

_ARRAY = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]")


def _headers(lines: list[str]) -> list[tuple[int, str, bool]]:
    """(line index, table name, is an array of tables) for every table header."""
    found = []
    for index, line in enumerate(lines):
        if match := _ARRAY.match(line):
            found.append((index, match.group(1), True))
        elif match := _TABLE.match(line):
            found.append((index, match.group(1), False))
    return found


def _block(lines: list[str], loc: tuple[Any, ...]) -> tuple[int, int, int | None, tuple[Any, ...]]:
    """(first line, end line, header line or None, the rest of the path) of the table ``loc`` starts in."""
    headers = _headers(lines)
    first_header = headers[0][0] if headers else len(lines)
    top: tuple[int, int, int | None, tuple[Any, ...]] = (0, first_header, None, loc)
    if not loc or not isinstance(loc[0], str):
        return top
    name = loc[0]
    if len(loc) > 1 and isinstance(loc[1], int):
        starts = [i for i, n, is_array in headers if is_array and n == name]
        if loc[1] >= len(starts):
            return top
        start, rest = starts[loc[1]], loc[2:]
    else:
        starts = [i for i, n, is_array in headers if not is_array and n == name]
        if not starts:
            return top
        start, rest = starts[0], loc[1:]
    # the block runs to the next header that is not one of its own sub-tables
    end = next((i for i, n, _ in headers if i > start and not n.startswith(name + ".")), len(lines))
    return start, end, start, rest


def locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at ``loc`` (pydantic's error location), or of its nearest enclosing table."""
    lines = text.splitlines()
    start, end, header, rest = _block(lines, tuple(loc))
    keys = [k for k in rest if isinstance(k, str)]
    for key in reversed(keys):
        pattern = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
        for index in range(start, end):
            if not lines[index].lstrip().startswith("#") and pattern.search(lines[index]):
                return index + 1
    return header + 1 if header is not None else None
