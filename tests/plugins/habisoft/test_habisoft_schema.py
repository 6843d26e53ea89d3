"""The Habisoft XSD is generated from the contracts and committed; every code list is walked both ways."""

from __future__ import annotations

from collections import defaultdict

import pytest
from lxml import etree
from pydantic import BaseModel

from contracts import REGISTRY, LegalEntity
from plugins.habisoft import codes
from plugins.habisoft.binder import reachable_models, read_model, shape_of, write_model
from plugins.habisoft.schema import SCHEMA_FILE, q
from plugins.habisoft.xsd import generate

XS = "{http://www.w3.org/2001/XMLSchema}"


def test_committed_xsd_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == generate(), \
        "contracts changed the Habisoft format: run .venv/bin/python -m plugins.habisoft.xsd and review the diff"


def test_xsd_code_lists_are_the_contract_enums() -> None:
    found: dict[str, list[str]] = defaultdict(list)
    for simple in etree.parse(str(SCHEMA_FILE)).getroot().iterfind(f"{XS}simpleType"):
        found[simple.get("name")] = [e.get("value") for e in simple.iter(f"{XS}enumeration")]
    lists = codes.code_lists()
    assert lists and set(found) == set(lists)
    for name, enum in lists.items():
        assert found[name] == [member.value for member in enum], name


@pytest.mark.parametrize("name", sorted(codes.code_lists()))
def test_every_code_both_ways(name: str) -> None:
    """Each member is written as its code and read back as itself (Habisoft codes are the contracts' codes; the
    XSD's lists are compared with the enums above)."""
    enum = codes.code_lists()[name]
    for member in enum:
        element = etree.Element(q("x"))
        etree.SubElement(element, q("y"), code=member.value)
        assert enum(element[0].get("code")) is member
    assert len({m.value for m in enum}) == len(enum)


def test_every_carried_event_type_is_registered_and_named() -> None:
    assert set(codes.EVENEMENTS.values()) <= set(REGISTRY.types())
    assert codes.EVENT_TYPES == {v: k for k, v in codes.EVENEMENTS.items()}
    for name, event_type in codes.EVENEMENTS.items():
        assert codes.element_name(event_type.split(".")[0]) == name


def test_every_list_field_has_an_item_name() -> None:
    """A contract adding a list to a carried event must name its items (shape_of raises otherwise)."""
    models = reachable_models([REGISTRY.model_for(t) for t in codes.EVENEMENTS.values()] + [LegalEntity])
    for model in models:
        for field, info in model.model_fields.items():
            shape_of(info.annotation, field)


def test_element_names() -> None:
    assert codes.element_name("numero_unique") == "numeroUnique"
    assert codes.element_name("criteres_l441_1") == "criteresL441"
    assert codes.element_name("revenu_fiscal_n1") == "revenuFiscalN1"


def test_binder_round_trip_of_a_nested_model() -> None:
    from contracts import Demande
    from plugins.sne.synthetic import SyntheticSne

    demande = SyntheticSne(5).demande(rich=True)
    element = write_model(etree.Element(q("demande")), demande)
    assert Demande.model_validate(read_model(element, Demande)) == demande
    assert isinstance(demande, BaseModel)
