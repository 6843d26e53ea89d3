"""Golden files, both directions: each fixture's XML decodes to its JSON event, and the JSON event encodes to the
XML byte for byte (which also proves every encoded document validates against interfaceNuu.xsd)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from golden import FIXTURES, expected_json, golden_events, load_expected

from hub import RawMessage
from hub.xml_safe import parse
from plugins.sne.schema import interface_schema

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def test_every_message_kind_has_a_golden_file() -> None:
    kinds = {json.loads((FIXTURES / f"{name}.json").read_text())["type"] for name in NAMES}
    assert kinds == {"demande_enregistree.v1", "demande_modifiee.v1", "demande_renouvelee.v1", "demande_radiee.v1",
                     "attribution_reportee.v1", "decision_dalo.v1"}
    assert set(NAMES) == set(golden_events()), "fixtures are out of date: run tests/plugins/sne/golden.py"


@pytest.mark.parametrize("name", NAMES)
def test_decode_golden(name: str, connector) -> None:
    body = (FIXTURES / f"{name}.xml").read_bytes()
    [event] = list(connector.decode(RawMessage.from_bytes(body, origin=f"{name}.xml")))
    assert expected_json(event) == json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert event.source == "sne"
    resent = re.sub(rb"<ns1:dateFichier>[^<]*<", b"<ns1:dateFichier>2031-01-02T03:04:05+01:00<", body)
    reformatted = RawMessage.from_bytes(resent.replace(b"\n", b"\r\n"), origin=f"other-{name}.xml")
    [again] = list(connector.decode(reformatted))
    assert event.sourcemessageid == again.sourcemessageid, "a record is known by what it says, not by its document"


@pytest.mark.parametrize("name", NAMES)
def test_encode_golden(name: str, connector) -> None:
    event = load_expected(name)
    message = connector.encode(event)
    assert message.filename == f"golden-{name}.xml"
    assert message.content_type == "application/xml"
    assert message.body == (FIXTURES / f"{name}.xml").read_bytes()
    assert interface_schema().problems(parse(message.body, origin=message.filename)) == []


@pytest.mark.parametrize("name", NAMES)
def test_generator_still_gives_the_golden_events(name: str) -> None:
    """The fixtures are what the seeded generator produces: a generator change shows up here, not silently."""
    assert expected_json(golden_events()[name]) == json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))


def test_golden_files_hold_no_real_person() -> None:
    """Invented data only: e-mails on example.org, the fictitious department's desks."""
    for path in FIXTURES.glob("*.xml"):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "<ns1:mel>" in line:
                assert "@example.org" in line, path.name


def test_version_02_00_is_written_when_configured(tmp_path: Path) -> None:
    from sne_support import make_connector

    connector = make_connector(tmp_path, version_interface="02.00")
    body = connector.encode(load_expected("decision_dalo")).body
    assert b'versionInterface="02.00"' in body
