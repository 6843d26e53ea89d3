"""The public SNE sample's shape (betagouv/openfisca-demande-logement-social, examples/JDD_OPENFISCA.XML): our own
fixture has exactly its elements with invented values, and every one of them is decoded."""

from __future__ import annotations

from datetime import date

from lxml import etree
from sne_support import FIXTURES, SNE_ENTITY

from contracts.enums import (
    CategorieLogement,
    Civilite,
    CodeRessource,
    Coparentalite,
    LienDemandeur,
    LienParente,
    Nationalite,
    Sexe,
    SituationFamiliale,
    SituationLogementActuel,
    StatutProfessionnel,
    Typologie,
)
from hub import RawMessage
from hub.xml_safe import local_name
from plugins.sne.codec import encode_event

SAMPLE = FIXTURES / "demande_forme_publique.xml"

#: Every element name of the public sample (checked against our fixture so that it keeps the public shape).
PUBLIC_ELEMENTS = {
    "interfaceNuu", "entete", "dateFichier", "demande", "demandeLogement", "numUnique", "dateCreationDemande",
    "personnePhysique", "demandeur", "civilite", "nom", "prenom", "dateNaissance", "nationalite",
    "situationFamiliale", "telPortable", "mel", "adressePostale", "etranger", "numero", "voie", "codePostal",
    "commune", "situationProfessionnelle", "profession", "typeContratTravail", "nomEmployeurPrincipal",
    "revenuFiscal", "anneeMoins1", "montantMoins1", "anneeMoins2", "montantMoins2", "listeRessourceRecue",
    "detailRessource", "ressource", "montant", "listeRessourceVersee", "listeRessourceRecuePersACharge",
    "listeRessourceVerseePersACharge", "listePersonneACharge", "personneACharge", "sexe", "lienParente",
    "personneANaitre", "nombre", "dateNaissancePrevue", "listePersonneEnGarde", "personneEnGarde", "coParentalite",
    "listeCotitulaire", "cotitulaire", "nomPatronymique", "lienDemandeur", "listeModeleLogement",
    "modeleLogement", "montantMensuelLoyer", "nombreHabitant", "categorieLogement", "typeLogementActuel",
    "surface", "proprietaire", "logementActuel",
}


def test_fixture_has_the_public_shape() -> None:
    root = etree.parse(str(SAMPLE)).getroot()
    assert {local_name(e) for e in root.iter(etree.Element)} == PUBLIC_ELEMENTS
    assert root.get("versionInterface") == "02.00"


def test_every_element_of_the_public_shape_is_decoded(connector) -> None:
    [event] = list(connector.decode(RawMessage.from_bytes(SAMPLE.read_bytes(), origin=SAMPLE.name)))
    assert event.type == "demande_enregistree.v1"
    assert event.entity == SNE_ENTITY            # no emetteur, no desk: the configured entity
    data = event.data
    assert data.numero_unique == "0630224004517G6301"
    assert data.date_enregistrement == date(2024, 2, 12)
    d = data.demande
    assert d.date_enregistrement == date(2024, 2, 12)
    p = d.demandeur
    assert (p.civilite, p.nom, p.prenom, p.date_naissance) == (Civilite.MADAME, "Lefèvre", "Odile", date(1983, 6, 21))
    assert (p.nationalite, p.situation_familiale) == (Nationalite.FRANCAISE, SituationFamiliale.MARIE)
    assert (p.telephone, p.courriel) == ("0612345678", "odile.lefevre@example.org")
    assert (p.adresse.numero, p.adresse.voie, p.adresse.code_postal, p.adresse.commune, p.adresse.pays) == \
        ("12", "rue des Tanneurs", "63300", "63430", "FR")
    sp = p.situation_professionnelle
    assert (sp.profession, sp.statut, sp.employeur, sp.code_postal_travail, sp.commune_travail) == \
        ("Aide-soignante", StatutProfessionnel.CDI, "Centre hospitalier", "63300", "63430")
    r = p.ressources
    assert (r.revenu_fiscal_n1.annee, r.revenu_fiscal_n1.montant) == (2023, 18400)
    assert (r.revenu_fiscal_n2.annee, r.revenu_fiscal_n2.montant) == (2022, 17900)
    assert [(x.code, x.montant_mensuel) for x in r.mensuelles][:2] == [
        (CodeRessource.PENSION_ALIMENTAIRE_RECUE, 150), (CodeRessource.AEEH, 135)]
    assert {x.code for x in r.mensuelles} == set(CodeRessource), "every resource code of the sample"
    assert r.mensuelles[-1].code is CodeRessource.PENSION_ALIMENTAIRE_VERSEE and r.mensuelles[-1].montant_mensuel == 95
    assert r.total_mensuel() == 2640 - 95
    [enfant] = d.personnes_a_charge
    assert (enfant.nom, enfant.prenom, enfant.date_naissance, enfant.sexe, enfant.lien_parente, enfant.ressources) == \
        ("LEFEVRE", "JULES", date(2015, 9, 3), Sexe.MASCULIN, LienParente.ENFANT, None)
    assert (d.enfants_attendus.nombre, d.enfants_attendus.date_naissance_prevue) == (1, date(2024, 7, 15))
    assert [(g.date_naissance, g.sexe, g.coparentalite) for g in d.enfants_en_garde] == [
        (date(2011, 4, 30), Sexe.FEMININ, Coparentalite.GARDE_ALTERNEE),
        (date(2013, 12, 8), Sexe.MASCULIN, Coparentalite.DROIT_DE_VISITE)]
    c = d.cotitulaire
    assert (c.civilite, c.nom, c.nom_naissance, c.prenom, c.date_naissance) == \
        (Civilite.MONSIEUR, "LEFEVRE", "BERTRAND", "ALAIN", date(1979, 11, 2))
    assert (c.nationalite, c.situation_familiale, c.lien_demandeur) == \
        (Nationalite.UNION_EUROPEENNE, SituationFamiliale.MARIE, LienDemandeur.CONJOINT)
    assert (c.situation_professionnelle.statut, c.situation_professionnelle.commune_travail) == \
        (StatutProfessionnel.CDD, "63195")
    assert (c.ressources.revenu_fiscal_n1.annee, c.ressources.revenu_fiscal_n1.montant) == (2023, None)
    assert [(x.code.value, x.montant_mensuel) for x in c.ressources.mensuelles] == [
        ("SAL", 1180), ("AF", 130), ("PAV", 40)]
    la = d.logement_actuel
    assert (la.situation, la.loyer_mensuel, la.nombre_occupants, la.categorie, la.typologie, la.surface_m2) == \
        (SituationLogementActuel.LOCATAIRE_PRIVE, 720, 5, CategorieLogement.APPARTEMENT, Typologie.T3, 58)
    assert d.taille_menage() == 4      # applicant, co-applicant, one dependant, one expected child


def test_public_shape_survives_a_round_trip(connector) -> None:
    """Re-encoding the decoded sample and decoding again gives the same demand (codePostal of the workplace is
    the one value the contract does not keep: see the README)."""
    [event] = list(connector.decode(RawMessage.from_bytes(SAMPLE.read_bytes(), origin=SAMPLE.name)))
    again = list(connector.decode(RawMessage.from_bytes(encode_event(event), origin="again.xml")))
    assert again[0].data == event.data


def test_both_phone_numbers_are_kept_and_a_landline_alone_is_the_phone(connector) -> None:
    body = SAMPLE.read_bytes()
    both = body.replace(b"<ns1:telPortable>0612345678</ns1:telPortable>",
                        b"<ns1:telPortable>0612345678</ns1:telPortable><ns1:telFixe>0473123456</ns1:telFixe>")
    landline = body.replace(b"<ns1:telPortable>0612345678</ns1:telPortable>", b"<ns1:telFixe>0473123456</ns1:telFixe>")
    assert both != body and landline != body
    phones = []
    for variant in (both, landline):
        [event] = list(connector.decode(RawMessage.from_bytes(variant, origin="phones.xml")))
        phones.append((event.data.demande.demandeur.telephone, event.data.demande.demandeur.telephone_secondaire))
    assert phones == [("0612345678", "0473123456"), ("0473123456", None)]
    [event] = list(connector.decode(RawMessage.from_bytes(both, origin="phones.xml")))
    again = encode_event(event)
    assert b"<ns1:telPortable>0612345678</ns1:telPortable>" in again and b"<ns1:telFixe>0473123456" in again
