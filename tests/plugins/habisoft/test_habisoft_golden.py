"""Golden files, both directions, for every event kind of the Habisoft format (and every CAL decision)."""

from __future__ import annotations

import json

import pytest
from habisoft_golden import expected_json, golden_events, load_expected
from habisoft_support import FIXTURES

from hub import RawMessage
from hub.xml_safe import parse
from plugins.habisoft.codes import EVENEMENTS
from plugins.habisoft.schema import habisoft_schema

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def test_every_event_kind_has_a_golden_file() -> None:
    kinds = {json.loads((FIXTURES / f"{name}.json").read_text())["type"] for name in NAMES}
    assert kinds == set(EVENEMENTS.values())
    decisions = {json.loads((FIXTURES / f"{name}.json").read_text())["data"]["decision"]
                 for name in NAMES if name.startswith("decision_cal")}
    assert decisions == {"attribution", "attribution_rang", "attribution_sous_condition", "non_attribution",
                         "irrecevabilite"}
    assert set(NAMES) == set(golden_events()), "fixtures are out of date: run habisoft_golden.py"


@pytest.mark.parametrize("name", NAMES)
def test_decode_golden(name: str, habisoft) -> None:
    body = (FIXTURES / f"{name}.xml").read_bytes()
    [event] = list(habisoft.decode(RawMessage.from_bytes(body, origin=f"{name}.xml")))
    assert expected_json(event) == json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert (event.source, event.sourcemessageid) == ("habisoft", f"habisoft:golden-{name}")


@pytest.mark.parametrize("name", NAMES)
def test_encode_golden(name: str, habisoft) -> None:
    event = load_expected(name)
    message = habisoft.encode(event)
    assert (message.filename, message.content_type) == (f"golden-{name}.xml", "application/xml")
    assert message.body == (FIXTURES / f"{name}.xml").read_bytes()
    assert habisoft_schema().problems(parse(message.body, origin=message.filename)) == []


@pytest.mark.parametrize("name", NAMES)
def test_generator_still_gives_the_golden_events(name: str) -> None:
    assert expected_json(golden_events()[name]) == json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))


def test_poulidor_flag_only_on_a_rank_two_or_more_decision() -> None:
    flagged = [name for name in NAMES if b"demandePoulidor" in (FIXTURES / f"{name}.xml").read_bytes()]
    assert flagged == ["decision_cal_poulidor"]
