"""Progress of long work: a bar on a terminal, one summary line per interval elsewhere (never one per record)."""

from __future__ import annotations

import io

from hub.progress import ProgressDisplay, count_lines


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_one_summary_line_per_interval_and_a_last_one():
    clock, out = Clock(), io.StringIO()
    display = ProgressDisplay("importing x.xml", "records", stream=out, interval=10.0, clock=clock)
    for second in range(1, 36):      # 35 s, an update every second, 100 records each
        clock.now += 1
        display.update(second * 100, fraction=second / 70)
    display.close()
    lines = out.getvalue().splitlines()
    assert lines == [
        "importing x.xml: 1,000 records, 14%, 100/s, ETA 0:01:00",
        "importing x.xml: 2,000 records, 29%, 100/s, ETA 0:00:50",
        "importing x.xml: 3,000 records, 43%, 100/s, ETA 0:00:40",
        "importing x.xml: 3,500 records in 35.0s (100/s)",
    ]


def test_without_a_fraction_the_eta_is_unknown_not_invented():
    clock, out = Clock(), io.StringIO()
    display = ProgressDisplay("delivering", "events", stream=out, interval=1.0, clock=clock)
    clock.now += 2
    display.update(50)
    assert out.getvalue() == "delivering: 50 events, 25/s, ETA ?\n"


def test_on_a_terminal_a_bar_with_count_rate_and_eta():
    clock, out = Clock(), io.StringIO()
    display = ProgressDisplay("delivering", "events", stream=out, terminal=True, clock=clock)
    clock.now += 4
    display.update(2_000, fraction=0.5)
    display.close()
    text = out.getvalue()
    assert "delivering" in text and "2,000 events" in text and "500/s" in text and "ETA" in text
    assert "events in" not in text, "no summary line under a bar"


def test_count_lines_is_the_eta_denominator_of_an_import(tmp_path):
    many, one = tmp_path / "many.xml", tmp_path / "one.xml"
    many.write_bytes(b"<a>\n" * 2_500_000)      # several read chunks
    one.write_bytes(b"<a><b/></a>")
    assert count_lines(many, chunk_size=1 << 16) == 2_500_000
    assert count_lines(one) is None
