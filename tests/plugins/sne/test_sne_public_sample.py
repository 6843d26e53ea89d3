"""The one public SNE document (``JDD_OPENFISCA.XML``, see ``tests/fixtures/sne/public/README.md``) goes through a
fresh install as delivered — no configuration, no legal entity set — and every value it holds is read back from the
journal; a document in the official shape (``typeFichier``, ``numGuichet``, ``localisationSouhaite``) gives back its
wished communes and typologies, on which the réservataires' access depends."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sne_support import FIXTURES

from contracts import parse_event
from hub.core.journal import Journal
from hub.settings import HubSettings
from plugins.sne.settings import SNE_ENTITY
from tests.conftest import env_for

PUBLIC_SAMPLE = FIXTURES / "public" / "JDD_OPENFISCA.XML"
OFFICIAL_SHAPE = FIXTURES / "demande_forme_officielle.xml"


@pytest.fixture
def fresh(tmp_path: Path) -> HubSettings:
    """A hub home with nothing configured for the SNE connector (no relais.toml at all)."""
    return HubSettings(home=tmp_path / "home", seed_examples=False)


def _relais(settings: HubSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True,
                          env=env_for(settings, RELAIS_PLUGINS="sne"), timeout=300, cwd=settings.home.parent)


def _journaled(settings: HubSettings, numero_unique: str) -> list[Any]:
    """The events of a demand as the journal holds them: ``relais history`` says which, the journal gives them."""
    out = _relais(settings, "history", "--json", numero_unique)
    assert out.returncode == 0, out.stderr[-2000:]
    seqs = [row["seq"] for row in json.loads(out.stdout)]
    journal = Journal(settings.journal)
    try:
        return [parse_event(json.loads(body)) for _, _, body in journal.bodies(seqs)]
    finally:
        journal.close()


def test_the_fixture_is_the_public_sample_byte_for_byte() -> None:
    body = PUBLIC_SAMPLE.read_bytes()
    assert len(body.decode("utf-8")) == 12506
    assert hashlib.sha256(body).hexdigest() == "6c62ae77b57c91f0d7c4fb12026a12b01ed001deb323e871fa7d5578405d1a71"


EXPECTED = {
    "numero_unique": "1110318016982G1104",
    "demande": {
        "demandeur": {
            "civilite": "1", "nom": "Dupont", "prenom": "Jean", "date_naissance": "1970-01-01", "nationalite": "1",
            "situation_familiale": "M",
            "adresse": {"numero": "103", "voie": "avenue de france", "code_postal": "75013", "commune": "75113"},
            "telephone": "0606060606", "courriel": "jean.dupont@yyyy.fr",
            "situation_professionnelle": {"statut": "CDI", "profession": "Agent de sécurité", "employeur": "AAAA",
                                          "commune_travail": "75056", "code_postal_travail": "75000"},
            "ressources": {
                "mensuelles": [{"code": c, "montant_mensuel": m} for c, m in (
                    ("PAR", 100), ("AEEH", 140), ("PINV", 100), ("AF", 400), ("CHO", 150), ("PAJE", 400),
                    ("BE", 300), ("AAH", 100), ("RET", 100), ("SAL", 1500), ("AJPP", 150), ("AMV", 150),
                    ("RSA", 130), ("AUT", 290), ("PAV", 120))],
                "revenu_fiscal_n1": {"annee": 2017, "montant": 21000},
                "revenu_fiscal_n2": {"annee": 2016, "montant": 20000}}},
        "cotitulaire": {
            "civilite": "2", "nom": "DUPONT", "nom_naissance": "MARTIN", "prenom": "MARIE",
            "date_naissance": "1975-02-01", "nationalite": "2", "lien_demandeur": "M", "situation_familiale": "M",
            "situation_professionnelle": {"statut": "CDI", "profession": "Assistante maternelle",
                                          "employeur": "Département", "commune_travail": "75120",
                                          "code_postal_travail": "75020"},
            "ressources": {
                "mensuelles": [{"code": c, "montant_mensuel": m} for c, m in (
                    ("PAJE", 100), ("BE", 140), ("AAH", 20), ("SAL", 1000), ("AJPP", 50), ("AMV", 600), ("RSA", 75),
                    ("RET", 150), ("PAR", 200), ("AEEH", 120), ("PINV", 50), ("CHO", 100), ("AF", 200),
                    ("AUT", 360), ("PAV", 30))],
                "revenu_fiscal_n1": {"annee": 2017}, "revenu_fiscal_n2": {"annee": 2016}}},
        "personnes_a_charge": [{"nom": "DUPONT", "prenom": "LEA", "date_naissance": "2010-01-01", "sexe": "F",
                                "lien_parente": "E"}],
        "enfants_en_garde": [{"date_naissance": "2012-01-01", "sexe": "M", "coparentalite": "G"},
                             {"date_naissance": "2014-01-01", "sexe": "M", "coparentalite": "D"}],
        "enfants_attendus": {"nombre": 1, "date_naissance_prevue": "2018-08-01"},
        "logement_actuel": {"situation": "LP", "typologie": "T3", "categorie": "A", "surface_m2": 50,
                            "nombre_occupants": 5, "loyer_mensuel": 1000},
        "date_enregistrement": "2018-03-15"},
    "date_enregistrement": "2018-03-15",
}


def test_the_public_sample_imports_as_delivered_with_no_configuration(fresh: HubSettings) -> None:
    out = _relais(fresh, "ingest", "-c", "sne", str(PUBLIC_SAMPLE))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "1 event(s) journaled, 0 duplicate(s), 0 rejected" in out.stdout
    [event] = _journaled(fresh, "1110318016982G1104")
    assert event.type == "demande_enregistree.v1" and event.source == "sne"
    assert event.entity == SNE_ENTITY            # no emetteur, no desk with a SIREN, nothing configured
    assert event.time.isoformat() == "2018-03-15T00:00:00+01:00"
    # every value of the sample; what the sample leaves out is at its default (exclude_defaults)
    assert event.data.model_dump(mode="json", exclude_defaults=True) == EXPECTED
    assert event.data.demande.demandeur.adresse.pays == "FR"          # <etranger>false</etranger>
    assert event.data.demande.extensions == ()                        # the sample holds nothing unknown


def test_the_public_sample_imports_in_bulk_with_no_configuration(fresh: HubSettings) -> None:
    out = _relais(fresh, "import", "--connector", "sne", "--no-progress", str(PUBLIC_SAMPLE))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "1 imported, 0 updated, 0 unchanged, 0 rejected" in out.stdout
    [event] = _journaled(fresh, "1110318016982G1104")
    assert event.entity == SNE_ENTITY
    assert event.data.model_dump(mode="json", exclude_defaults=True) == EXPECTED


def test_an_official_shape_document_gives_back_its_wished_communes_and_typologies(fresh: HubSettings) -> None:
    out = _relais(fresh, "ingest", "-c", "sne", str(OFFICIAL_SHAPE))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "1 event(s) journaled, 0 duplicate(s), 0 rejected" in out.stdout
    [event] = _journaled(fresh, "0630524000231G6304")
    souhaits = event.data.demande.souhaits
    assert souhaits.communes == ("63113", "63124", "63430")
    assert [t.value for t in souhaits.typologies] == ["T2", "T3"]
    assert souhaits.demande_elargie is True
    assert event.data.communes() == frozenset({"63113", "63124", "63430"})   # what access rules are given
    assert event.data.guichet == "G6304"                                     # numGuichet: the desk
    assert event.data.demande.demandeur.courriel is None                     # <mel/>: absent, not an error
