"""Progress of long work (``relais import``, ``relais run --once``) for the operator: count, rate and ETA.

On a terminal it is a rich progress bar on standard error. Elsewhere — cron, systemd, a CI log — a bar's redraws
would be noise and one line per record would drown the log, so it writes one summary line per ``interval``
seconds, and a last one when the work is done. The core only reports numbers (callbacks); drawing them is this
face's job.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["ProgressDisplay", "SUMMARY_INTERVAL", "count_lines"]

#: Seconds between two summary lines when standard error is not a terminal.
SUMMARY_INTERVAL = 10.0


def _eta(elapsed: float, fraction: float | None) -> str:
    if fraction is None or fraction <= 0 or elapsed <= 0:
        return "?"
    if fraction >= 1:
        return "0:00:00"
    return str(timedelta(seconds=round(elapsed * (1 - fraction) / fraction)))


class ProgressDisplay:
    """Shows ``count`` (of ``unit``), its rate, and the ETA from the fraction done when it is known.

    ``terminal`` (default: whether ``stream`` is a terminal) chooses the bar over the summary lines; ``clock`` is
    injectable so that a test controls the intervals."""

    def __init__(self, description: str, unit: str, *, stream: IO[str] | None = None,
                 terminal: bool | None = None, interval: float = SUMMARY_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self.description, self.unit = description, unit
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval, self.clock = interval, clock
        self.started = self.last_line = clock()
        self.count, self.fraction = 0, None
        self._bar: Progress | None = None
        if self.terminal:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[count]:,} {task.fields[unit]}"),
                                 TextColumn("{task.fields[rate]:,.0f}/s"), TextColumn("ETA {task.fields[eta]}"),
                                 TimeElapsedColumn(), console=Console(file=self.stream), transient=False)
            self._task = self._bar.add_task(description, total=None, count=0, unit=unit, rate=0.0, eta="?")
            self._bar.start()

    def update(self, count: int, fraction: float | None = None) -> None:
        """``count`` done so far; ``fraction`` (0 to 1) of the whole, if known, for the bar and the ETA."""
        self.count = count
        self.fraction = None if fraction is None else max(0.0, min(1.0, fraction))
        now = self.clock()
        if self._bar is not None:
            self._bar.update(self._task, total=1.0 if self.fraction is not None else None,
                             completed=self.fraction or 0.0, count=count, rate=self._rate(now),
                             eta=_eta(now - self.started, self.fraction))
        elif now - self.last_line >= self.interval:
            self.last_line = now
            self._line(now)

    def close(self, summary: bool = True) -> None:
        """The last word: the bar completed, or a final summary line — neither when the work failed
        (``summary=False``): the error is then the last word."""
        now = self.clock()
        if self._bar is not None and not summary:
            self._bar.stop()
            return
        if not summary:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=1.0 if self.fraction is not None else 0.0, eta="0:00:00",
                             rate=self._rate(now), count=self.count)
            self._bar.stop()
            return
        self.stream.write(f"{self.description}: {self.count:,} {self.unit} in {now - self.started:.1f}s "
                          f"({self._rate(now):,.0f}/s)\n")
        self.stream.flush()

    def _rate(self, now: float) -> float:
        elapsed = now - self.started
        return self.count / elapsed if elapsed > 0 else 0.0

    def _line(self, now: float) -> None:
        done = f", {self.fraction:.0%}" if self.fraction is not None else ""
        self.stream.write(f"{self.description}: {self.count:,} {self.unit}{done}, {self._rate(now):,.0f}/s, "
                          f"ETA {_eta(now - self.started, self.fraction)}\n")
        self.stream.flush()


def count_lines(path, chunk_size: int = 1 << 20) -> int | None:
    """Lines in a file, in constant memory (a few hundred MiB/s): the denominator of an import's ETA. None for a
    file on one line, whose position says nothing."""
    lines = 0
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            lines += block.count(b"\n")
    return lines if lines > 1 else None
