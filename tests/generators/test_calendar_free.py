"""The synthetic generators and the golden files built from them do not depend on the day they are run.

Why: the goldens are compared byte for byte; a generator that draws birth dates relative to the machine's today
breaks every golden test the next morning. The machine's clock is moved (time-machine) to two distant days and
every generator must give exactly the same output on both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.golden_files import expected_json

TESTS = Path(__file__).resolve().parents[1]
DAYS = (datetime(2026, 1, 1, 9, tzinfo=timezone.utc), datetime(2031, 7, 15, 23, 30, tzinfo=timezone.utc))


def _sne_goldens() -> Any:
    from golden import golden_events
    return {name: expected_json(event) for name, event in golden_events().items()}


def _habisoft_goldens() -> Any:
    from habisoft_golden import golden_events
    return {name: expected_json(event) for name, event in golden_events().items()}


def _examples() -> Any:
    from plugins.sne.synthetic import iter_examples
    return [expected_json(event) for event in iter_examples(seed=5)]


def _extraction(tmp: Path) -> Callable[[], Any]:
    def build() -> bytes:
        from plugins.sne.synthetic import write_extraction
        return write_extraction(tmp / "extraction.xml", 30, seed=2, distinct=10).read_bytes()
    return build


def _contract_examples() -> Any:
    from tests.contracts.contracts_factories import demande_exemple, faker
    return json.loads(demande_exemple(faker(11)).model_dump_json())


@pytest.fixture(autouse=True)
def _golden_modules_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TESTS / "plugins" / "sne"))
    monkeypatch.syspath_prepend(str(TESTS / "plugins" / "habisoft"))


@pytest.mark.parametrize("generator", ["sne_goldens", "habisoft_goldens", "examples", "extraction",
                                       "contract_examples"])
def test_same_output_on_two_different_days(generator: str, tmp_path: Path) -> None:
    build = {"sne_goldens": _sne_goldens, "habisoft_goldens": _habisoft_goldens, "examples": _examples,
             "extraction": _extraction(tmp_path), "contract_examples": _contract_examples}[generator]
    outputs = []
    for day in DAYS:
        with time_machine.travel(day, tick=False):
            assert datetime.now(timezone.utc).year == day.year   # the clock really moved
            outputs.append(build())
    assert outputs[0] == outputs[1]


def test_golden_files_are_what_the_generators_give_today_and_any_day() -> None:
    """The committed goldens equal the generators' output on a day far from the one they were written on."""
    from golden import FIXTURES
    with time_machine.travel(DAYS[1], tick=False):
        events = _sne_goldens()
    for name, expected in events.items():
        assert expected == json.loads((FIXTURES / f"{name}.json").read_text("utf-8")), name
