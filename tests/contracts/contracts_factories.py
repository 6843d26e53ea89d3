"""Synthetic, realistic examples of every contract (Faker fr_FR): never real people.

Why besides the hypothesis strategies: tests that check behaviour (access-policy communes, masking of personal data,
schema validation of a real envelope) read better on a plausible household than on random text.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from faker import Faker

from contracts import REGISTRY, Demande, EventData, LegalEntity
from contracts import enums as e
from contracts.events import LigneCotation
from contracts.identifiers import luhn_valid
from contracts.logement import LogementActuel, Souhaits
from contracts.menage import (
    Adresse, Cotitulaire, Demandeur, PersonneACharge, Ressource, Ressources, RevenuFiscal, SituationProfessionnelle,
)

__all__ = ["faker", "demande_exemple", "exemple", "siren", "NUMERO", "COMMUNES_TDM"]

NUMERO = "0630323000123G6301"
RPLS = "0000421337"
#: Thiers, Courpière, Puy-Guillaume (communes of the seed's EPCI).
COMMUNES_TDM = ("63430", "63125", "63291")


#: Birth dates are drawn relative to this day, never the machine's today (Faker's date_of_birth reads the clock).
REFERENCE_DATE = date(2026, 1, 5)


def _born(fake: Faker, minimum_age: int, maximum_age: int) -> date:
    youngest = REFERENCE_DATE - timedelta(days=round(365.25 * minimum_age))
    return youngest - timedelta(days=fake.random_int(0, round(365.25 * (maximum_age - minimum_age))))


def faker(seed: int = 63) -> Faker:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    return fake


def siren(fake: Faker) -> str:
    prefix = "".join(str(fake.random_digit()) for _ in range(8))
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def entite(fake: Faker) -> LegalEntity:
    return LegalEntity(siren=siren(fake), nom=fake.company())


def demande_exemple(fake: Faker | None = None) -> Demande:
    """A couple with two children, private tenants in Thiers, wishing a T4 in the EPCI."""
    fake = fake or faker()
    depot = date(2023, 1, 1) + timedelta(days=fake.random_int(0, 180))
    nom = fake.last_name()
    return Demande(
        demandeur=Demandeur(
            civilite=e.Civilite.MONSIEUR, nom=nom, prenom=fake.first_name_male(),
            date_naissance=_born(fake, 25, 50), nationalite=e.Nationalite.FRANCAISE,
            situation_familiale=e.SituationFamiliale.MARIE,
            adresse=Adresse(numero=str(fake.building_number()), voie=fake.street_name(), code_postal="63300",
                            commune="63430"),
            telephone="04 73 00 00 00", courriel=fake.free_email(),
            situation_professionnelle=SituationProfessionnelle(
                statut=e.StatutProfessionnel.CDI, secteur=e.SecteurEmploi.PRIVE, profession=fake.job()),
            ressources=Ressources(
                mensuelles=(Ressource(code=e.CodeRessource.SALAIRE, montant_mensuel=fake.random_int(1200, 2200)),
                            Ressource(code=e.CodeRessource.ALLOCATIONS_FAMILIALES, montant_mensuel=140)),
                revenu_fiscal_n2=RevenuFiscal(annee=depot.year - 2, montant=fake.random_int(15000, 26000))),
        ),
        cotitulaire=Cotitulaire(
            civilite=e.Civilite.MADAME, nom=nom, nom_naissance=fake.last_name(), prenom=fake.first_name_female(),
            date_naissance=_born(fake, 25, 50), nationalite=e.Nationalite.FRANCAISE,
            lien_demandeur=e.LienDemandeur.CONJOINT,
            situation_professionnelle=SituationProfessionnelle(statut=e.StatutProfessionnel.CHOMAGE),
            ressources=Ressources(mensuelles=(Ressource(code=e.CodeRessource.CHOMAGE, montant_mensuel=780),)),
        ),
        personnes_a_charge=tuple(
            PersonneACharge(nom=nom, prenom=fake.first_name(), date_naissance=_born(fake, 0, 15),
                            sexe=sexe, lien_parente=e.LienParente.ENFANT)
            for sexe in (e.Sexe.FEMININ, e.Sexe.MASCULIN)),
        logement_actuel=LogementActuel(situation=e.SituationLogementActuel.LOCATAIRE_PRIVE, commune="63430",
                                       typologie=e.Typologie.T2, surface_m2=45, nombre_occupants=4,
                                       loyer_mensuel=560, aide_logement_mensuelle=180),
        motifs=(e.MotifDemande.TROP_PETIT, e.MotifDemande.SUROCCUPATION),
        souhaits=Souhaits(communes=COMMUNES_TDM, typologies=(e.Typologie.T4,),
                          type_habitat=e.TypeHabitatRecherche.INDIFFERENT),
        date_depot=depot, date_enregistrement=depot + timedelta(days=12),
    )


def _builders(fake: Faker) -> dict[str, Callable[[], EventData]]:
    from contracts import events as ev

    day = date(2024, 3, 14)
    guichet = entite(fake)
    logement = {"numero_unique": NUMERO, "rpls": RPLS, "commune": "63430"}
    demande = demande_exemple(fake)
    return {
        "demande_enregistree.v1": lambda: ev.DemandeEnregistree(
            numero_unique=NUMERO, demande=demande, date_enregistrement=day, guichet=guichet),
        "attestation_enregistrement_delivree.v1": lambda: ev.AttestationEnregistrementDelivree(
            numero_unique=NUMERO, mode=e.ModeAttestation.COURRIER, date_delivrance=day, guichet="G6301"),
        "demande_modifiee.v1": lambda: ev.DemandeModifiee(
            numero_unique=NUMERO, demande=demande, champs_modifies=("souhaits.communes",),
            auteur=e.AuteurModification.DEMANDEUR, date_modification=day),
        "demande_rectifiee.v1": lambda: ev.DemandeRectifiee(
            numero_unique=NUMERO, demande=demande, champs_rectifies=("demandeur.ressources.revenu_fiscal_n2",),
            piece_id="piece-42", guichet=guichet, date_rectification=day),
        "demande_renouvelee.v1": lambda: ev.DemandeRenouvelee(numero_unique=NUMERO, date_renouvellement=day),
        "avis_renouvellement_du.v1": lambda: ev.AvisRenouvellementDu(
            numero_unique=NUMERO, date_echeance=day, canal=e.CanalNotification.COURRIER,
            date_anniversaire=day + timedelta(days=31), date_radiation_prevue=day + timedelta(days=92)),
        "avis_renouvellement_liste.v1": lambda: ev.AvisRenouvellementListe(jour=day, avis=(ev.AvisListe(
            numero_unique=NUMERO, date_echeance=day, canal=e.CanalNotification.COURRIER,
            date_anniversaire=day + timedelta(days=31), date_radiation_prevue=day + timedelta(days=92)),)),
        "avis_renouvellement_envoye.v1": lambda: ev.AvisRenouvellementEnvoye(
            numero_unique=NUMERO, date_envoi=day, canal=e.CanalNotification.COURRIEL,
            date_anniversaire=day + timedelta(days=60)),
        "mise_en_demeure_envoyee.v1": lambda: ev.MiseEnDemeureEnvoyee(
            numero_unique=NUMERO, date_envoi=day, canal=e.CanalNotification.LETTRE_RECOMMANDEE,
            motif_envisage=e.MotifRadiation.ABSENCE_REPONSE),
        "demande_radiee.v1": lambda: ev.DemandeRadiee(
            numero_unique=NUMERO, date_radiation=day, motif=e.MotifRadiation.ATTRIBUTION_BAIL_SIGNE, rpls=RPLS,
            commune="63430"),
        "demande_reactivee.v1": lambda: ev.DemandeReactivee(numero_unique=NUMERO, date_reactivation=day),
        "demande_supprimee.v1": lambda: ev.DemandeSupprimee(
            numero_unique=NUMERO, date_suppression=day, motif=e.MotifSuppression.CONSERVATION_ECHUE),
        "evenement_efface.v1": lambda: ev.EvenementEfface(
            numero_unique=NUMERO, type_origine="demande_enregistree.v1", date_evenement=day,
            communes_concernees=("63430",), typologies=(e.Typologie.T3,), date_depot=day, date_enregistrement=day,
            mutation=False, taille_menage=3, tranche_age="30_49", tranche_ressources="1000_1999"),
        "doublon_detecte.v1": lambda: ev.DoublonDetecte(
            numero_unique=NUMERO, doublons=("0630223000077G6302",), date_detection=day),
        "numeros_fusionnes.v1": lambda: ev.NumerosFusionnes(
            numero_unique=NUMERO, numeros_fusionnes=("0630223000077G6302",), date_fusion=day),
        "piece_deposee.v1": lambda: ev.PieceDeposee(
            numero_unique=NUMERO, piece_id="piece-42", type_piece=e.TypePiece.AVIS_IMPOSITION, date_depot=day,
            deposant=e.AuteurModification.GUICHET, media_type="application/pdf", nom_fichier="avis.pdf"),
        "piece_demandee.v1": lambda: ev.PieceDemandee(
            numero_unique=NUMERO, type_piece=e.TypePiece.RESSOURCES, date_demande=day),
        "piece_marquee.v1": lambda: ev.PieceMarquee(
            numero_unique=NUMERO, piece_id="piece-42", marque=e.MarquePiece.OBSOLETE, date_marquage=day),
        "label_prioritaire_pose.v1": lambda: ev.LabelPrioritairePose(
            numero_unique=NUMERO, nature=e.NatureLabel.SIAO, emetteur=entite(fake), date_decision=day),
        "label_prioritaire_leve.v1": lambda: ev.LabelPrioritaireLeve(
            numero_unique=NUMERO, nature=e.NatureLabel.SIAO, emetteur=entite(fake), date_levee=day),
        "contingents_eligibles.v1": lambda: ev.ContingentsEligibles(
            numero_unique=NUMERO, contingents=(e.Contingent.PREFET_PRIORITAIRES,), date_evaluation=day),
        "transmission_siao.v1": lambda: ev.TransmissionSiao(
            numero_unique=NUMERO, objet=e.ObjetTransmissionSiao.DEMANDE_LABELLISATION, date_transmission=day),
        "preconisation_siao.v1": lambda: ev.PreconisationSiao(
            numero_unique=NUMERO, preconisation=e.TypePreconisationSiao.LOGEMENT_ORDINAIRE,
            date_preconisation=day),
        "inscription_syplo.v1": lambda: ev.InscriptionSyplo(
            numero_unique=NUMERO, statut=e.StatutSyplo.INSCRIT, date_statut=day, numero_syplo="SYP-2024-001"),
        "decision_dalo.v1": lambda: ev.DecisionDalo(
            numero_unique=NUMERO, numero_recours="063-2024-00012", date_depot_recours=day - timedelta(days=90),
            date_decision=day, decision=e.SensDecisionDalo.PRIORITAIRE_ET_URGENT),
        "designation_candidat.v1": lambda: ev.DesignationCandidat(
            **logement, date_designation=day, origine=e.OrigineDesignation.BAILLEUR),
        "inscription_cal.v1": lambda: ev.InscriptionCal(**logement, date_commission=day, rang_presentation=1),
        "visite_proposee.v1": lambda: ev.VisiteProposee(**logement, date_proposition=day),
        "visite_effectuee.v1": lambda: ev.VisiteEffectuee(**logement, date_visite=day, suite=e.SuiteVisite.INTERESSE),
        "decision_cal.v1": lambda: ev.DecisionCal(
            **logement, date_commission=day, decision=e.TypeDecisionCal.ATTRIBUTION_RANG, rang=2),
        "refus_demandeur.v1": lambda: ev.RefusDemandeur(
            **logement, date_refus=day, motif=e.MotifRefus.LOCALISATION, offre_adaptee=True),
        "bail_signe.v1": lambda: ev.BailSigne(**logement, date_signature=day),
        "attribution_reportee.v1": lambda: ev.AttributionReportee(
            **logement, date_attribution=day, reservataire=entite(fake), contingent=e.Contingent.ACTION_LOGEMENT),
        "cotation_calculee.v1": lambda: ev.CotationCalculee(
            numero_unique=NUMERO, score=29.2, grille_version="tdm-2023.1", date_calcul=day, lignes=(
                LigneCotation(critere=e.CritereCotation.LOCATAIRE_PRIVE, valeur="LP", ponderation=15, points=15),
                LigneCotation(critere=e.CritereCotation.ANCIENNETE, valeur=13, ponderation=0.4, points=5.2),
                LigneCotation(critere=e.CritereCotation.SUROCCUPATION_AVEC_MINEUR, valeur=True, ponderation=25,
                              points=25),
                LigneCotation(critere=e.CritereCotation.REFUS_OFFRE_ADAPTEE, valeur=8, ponderation=-2, points=-16),
            )),
        "liste_entree.v1": lambda: ev.ListeEntree(
            numero_unique=NUMERO, liste=e.ListeGestionPartagee.POULIDOR, date_entree=day,
            motifs=(f"rang:2:{RPLS}",), communes_souhaitees=COMMUNES_TDM),
        "liste_sortie.v1": lambda: ev.ListeSortie(
            numero_unique=NUMERO, liste=e.ListeGestionPartagee.PRIORITAIRES, date_sortie=day,
            motif=e.MotifSortieListe.ATTRIBUTION, communes_souhaitees=COMMUNES_TDM),
    }


def exemple(event_type: str, fake: Faker | None = None) -> EventData:
    """A valid, plausible payload of ``event_type``."""
    payload = _builders(fake or faker())[event_type]()
    assert payload.event_type == event_type and event_type in REGISTRY.types()
    return payload


def event_types_with_examples() -> list[str]:
    return sorted(_builders(faker()))
