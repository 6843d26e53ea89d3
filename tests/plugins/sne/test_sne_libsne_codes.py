"""Every code table of ``plugins/sne/codes.py`` checked against the SNE's official lists as ``libsne`` publishes them:
a national or SNE table reads exactly the official codes; every official list is either one of our tables or
listed below with the reason we do not read it — so a list added to the official set cannot go unnoticed."""

from __future__ import annotations

import pytest
from libsne_code_lists import LIBSNE_LISTS

from contracts.enums import AccordCollectif, Civilite
from plugins.sne import codes
from plugins.sne.codes import TABLES

#: Official lists with no table of ours, and why (each is a known gap, reported, not silently ignored).
NOT_READ = {
    "ListeZUS": "ZUS were replaced by QPV (loi du 21 février 2014); the attribution report carries the QPV code",
    "ListeStatutDalo": "the DALO status of a demand is not carried by contracts.Demande yet",
    "ListeTypologieLogementDalo": "the SNE's DALO decisions are a reconstruction; their typologies use "
                                  "ListeTypeLogement (the COMED's format carries it: contracts TypologieLogementDalo)",
    "ListeTypeLogementRPLS": "attribution reports are a reconstruction; their typology uses ListeTypeLogement",
    "ListeBooleen": "no element of the records we read is typed with it",
}
#: Our tables whose official list has another name, or is split in two by libsne.
OFFICIAL_NAME = {"ListeRessource": ("ListeRessourceRecue", "ListeRessourceVersee")}


def _official(table_name: str) -> set[str]:
    names = OFFICIAL_NAME.get(table_name, (table_name,))
    return {code for name in names for code in LIBSNE_LISTS[name]}


@pytest.mark.parametrize("table", [t for t in TABLES.values() if t.kind in ("national", "sne")
                                   and t is not codes.TYPE_MOUVEMENT], ids=lambda t: t.name)
def test_a_table_reads_exactly_the_official_codes(table) -> None:
    official = _official(table.name)
    if table is codes.MOTIF_RADIATION:
        official.discard("")       # "déradiation" is the absence of a motif, not a radiation
    assert set(table.readable()) == official


def test_every_official_list_is_read_or_explained() -> None:
    covered = {name for table in TABLES.values() for name in OFFICIAL_NAME.get(table.name, (table.name,))}
    assert set(LIBSNE_LISTS) - covered == set(NOT_READ)
    assert not set(NOT_READ) & covered


def test_the_relais_only_tables_claim_no_official_list() -> None:
    """A list we invented (Relais, or the reconstruction's typeMouvement) must not carry an official list's name."""
    for table in TABLES.values():
        if table.kind == "relais" or table is codes.TYPE_MOUVEMENT:
            assert table.name not in LIBSNE_LISTS, table.name


def test_official_codes_without_a_contract_member_are_read_not_written() -> None:
    assert codes.CIVILITE.decode("3") is Civilite.MADAME
    assert codes.CIVILITE.encode(Civilite.MADAME) == "2"
    assert codes.ACCORD_COLLECTIF.decode("NONDOC") is None


def test_a_document_with_mademoiselle_and_nondoc_is_read(connector) -> None:
    from sne_support import FIXTURES

    from hub import RawMessage

    demande = (FIXTURES / "demande_forme_publique.xml").read_bytes().replace(b'<ns1:civilite code="2"/>',
                                                                              b'<ns1:civilite code="3"/>', 1)
    assert b'code="3"' in demande
    [event] = connector.decode(RawMessage.from_bytes(demande, origin="in.xml"))
    assert event.data.demande.demandeur.civilite is Civilite.MADAME
    attribution = (FIXTURES / "attribution_reportee.xml").read_bytes().replace(
        b'<ns1:accordCollectif code="AUCUN"/>', b'<ns1:accordCollectif code="NONDOC"/>')
    assert b"NONDOC" in attribution
    [event] = connector.decode(RawMessage.from_bytes(attribution, origin="in.xml"))
    assert event.data.acd_aci is AccordCollectif.AUCUN          # not given: the contract's default


def test_the_dalo_typology_of_the_contracts_is_exactly_the_official_list() -> None:
    """decision_dalo.typologie_dalo (the COMED's format) speaks the SNE's ListeTypologieLogementDalo."""
    from contracts.enums import TypologieLogementDalo

    assert {member.value for member in TypologieLogementDalo} == set(LIBSNE_LISTS["ListeTypologieLogementDalo"])
