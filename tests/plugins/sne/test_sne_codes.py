"""Every code table, both ways: each SNE code decodes to a contract member and back; each contract member is
written (with its own code or a documented fold); the XSD's enumerations are exactly the tables' codes."""

from __future__ import annotations

from collections import defaultdict

import pytest
from lxml import etree

from contracts.enums import MotifDemande, MotifRadiation, SituationLogementActuel
from plugins.sne import codes
from plugins.sne.codes import FOLDS, TABLES, CodeTable, UnknownCode
from plugins.sne.schema import SCHEMA_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"


def _xsd_enumerations() -> dict[str, list[str]]:
    tree = etree.parse(str(SCHEMA_DIR / "interfaceNuu.xsd"))
    found: dict[str, list[str]] = defaultdict(list)
    for simple in tree.getroot().iterfind(f"{XS}simpleType"):
        name = simple.get("name")
        if name.startswith("Liste"):
            found[name] = [e.get("value") for e in simple.iter(f"{XS}enumeration")]
    return found


def test_xsd_code_lists_equal_the_tables() -> None:
    assert _xsd_enumerations() == {name: table.readable() for name, table in TABLES.items()}


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_every_code_decodes_and_encodes_back(table: CodeTable) -> None:
    for code, member in table.codes.items():
        assert table.decode(code) is member
        assert table.encode(member) == code


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_every_member_is_written(table: CodeTable) -> None:
    """A contract member the SNE cannot write would make an event undeliverable: each has a code or a fold,
    except a merge, which the SNE writes as the number kept instead of a motif."""
    unwritable = [m for m in table.enum if m not in table.codes.values() and m not in table.folds]
    assert unwritable == ([MotifRadiation.FUSION] if table is codes.MOTIF_RADIATION else [])
    for member in table.folds:
        assert table.decode(table.encode(member)) is not member, "a fold is lossy by definition"


def test_national_codes_are_the_contract_values() -> None:
    """The contracts keep SNE codes as values: for national lists the table is the identity on those members."""
    for table in TABLES.values():
        if table.kind == "national":
            assert all(member.value == code for code, member in table.codes.items()), table.name


def test_relais_lists_write_the_contract_code() -> None:
    for table in TABLES.values():
        if table.kind == "relais":
            assert {m.value for m in table.codes.values()} == {m.value for m in table.enum}, table.name


def test_folds_are_the_contract_extensions() -> None:
    extensions = {m for m in SituationLogementActuel if m.is_extension} | {m for m in MotifDemande if m.is_extension}
    assert set(FOLDS) == extensions
    assert codes.MODELE_LOGEMENT.encode(SituationLogementActuel.HABITAT_MOBILE) == "CAMCAR"
    assert codes.MOTIF_DEMANDE.encode(MotifDemande.LOGEMENT_INDIGNE) == "03"


def test_radiation_codes_are_the_contracts_sne_codes() -> None:
    for member in MotifRadiation:
        if member.code_sne is not None:
            assert codes.MOTIF_RADIATION.encode(member) == member.code_sne
    for code, member in codes.SOUS_MOTIF_IRRECEVABILITE.codes.items():
        assert member.code_sne == code


def test_unknown_code_names_the_list() -> None:
    with pytest.raises(UnknownCode, match="unknown ListeCivilite code '9'; known: 1, 2, 3"):
        codes.CIVILITE.decode("9")
    with pytest.raises(UnknownCode, match="MotifRadiation.FUSION has no ListeMotifsRadiation code"):
        codes.MOTIF_RADIATION.encode(MotifRadiation.FUSION)
