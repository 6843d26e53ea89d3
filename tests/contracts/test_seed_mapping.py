"""Every coded value of the seed PPGID (Thiers Dore et Montagne 2023-2029, seeds/003) maps to an enum member.

The tables below are transcribed from the seed, with its wording (typos included: they prove the transcription is
checked against the text). The seed's passages they come from are kept verbatim in the repository
(``tests/fixtures/seeds/003_excerpts.txt``), so each wording and each weight of the grid is checked against the
seed's own lines on any clone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.enums import (
    CategorieCritere, CodeRessource, Civilite, Contingent, CritereCotation as C, CriterePrioriteL441 as L,
    MotifDemande as M, MotifRadiation, NatureLabel, SecteurEmploi, SensDecisionDalo, SituationDalo as D,
    SituationLogementActuel as S, StatutProfessionnel, TypeDecisionCal as T, Typologie,
)

LOGEMENT, MOTIF = CategorieCritere.LOGEMENT_ACTUEL, CategorieCritere.MOTIF
PERSONNEL = CategorieCritere.SITUATION_PERSONNELLE

#: §1.1.7, the cotation grid: (block, seed wording, weighting, criterion, what the demand declares).
GRILLE = [
    (LOGEMENT, "Personnes dépourvues de logement ou d'hébergement, sans abri, habitat de fortune, bidonville", 30,
     C.SANS_ABRI, (S.SANS_ABRI,)),
    (LOGEMENT, "A l'hôtel", 30, C.HOTEL, (S.HOTEL,)),
    (LOGEMENT, "Camping", 30, C.CAMPING, (S.CAMPING,)),
    (LOGEMENT, "Habitat mobile", 30, C.HABITAT_MOBILE, (S.HABITAT_MOBILE,)),
    (LOGEMENT, "Occupant sans titre, squat", 30, C.SQUAT, (S.SQUAT,)),
    (LOGEMENT, "Personnes hébergées ou logées temporairement dans un établissement (CHRS, CHU, CADA...) ou un "
               "logement de transition", 30, C.STRUCTURE_HEBERGEMENT, (S.STRUCTURE_HEBERGEMENT,)),
    (LOGEMENT, "Résidence hôtelière à vocation sociale", 30, C.RHVS, (S.RHVS,)),
    (LOGEMENT, "Centre départemental de l'enfance et de la famille / Centre maternel", 30, C.CENTRE_ENFANCE_FAMILLE,
     (S.CENTRE_ENFANCE_FAMILLE,)),
    (LOGEMENT, "Logé(e) en logement-foyer (FJT, FTM, FPA, FPH), en résidence sociale ou en pension de famille "
               "(maison-relais)", 30, C.LOGEMENT_FOYER, (S.LOGEMENT_FOYER,)),
    (LOGEMENT, "Personnes hébergées par des tiers", 25, C.HEBERGE_TIERS, (S.CHEZ_PARTICULIER, S.TITRE_GRATUIT)),
    (LOGEMENT, "Chez vos parents ou chez vos enfants", 25, C.CHEZ_PARENTS_ENFANTS, (S.CHEZ_PARENTS_ENFANTS,)),
    (LOGEMENT, "Logement temporaire (sous-location)", 25, C.LOGEMENT_TEMPORAIRE, (S.LOGEMENT_TEMPORAIRE,)),
    (LOGEMENT, "Locataire d'un logement social (Hlm)", 15, C.LOCATAIRE_HLM, (S.LOCATAIRE_HLM,)),
    (LOGEMENT, "Locataire ou sous-locataire d'un logement privé", 15, C.LOCATAIRE_PRIVE, (S.LOCATAIRE_PRIVE,)),
    (LOGEMENT, "Logement de fonction", 10, C.LOGEMENT_FONCTION, (S.LOGEMENT_FONCTION,)),
    (LOGEMENT, "Propriétaire occupant", 10, C.PROPRIETAIRE_OCCUPANT, (S.PROPRIETAIRE_OCCUPANT,)),
    (LOGEMENT, "Résidence Etudiante ou universitaire", 15, C.RESIDENCE_ETUDIANTE, (S.RESIDENCE_ETUDIANTE,)),
    (LOGEMENT, "Appartement de coordination thérapeutique", 30, C.APPARTEMENT_COORDINATION_THERAPEUTIQUE,
     (S.APPARTEMENT_COORDINATION_THERAPEUTIQUE,)),
    (PERSONNEL, "Demandeur reconnu prioritaire DALO", 50, C.DALO, (NatureLabel.DALO,)),
    (PERSONNEL, "A vécu une période de chômage de longue durée (demandeur ou co-demandeur)", 20,
     C.CHOMAGE_LONGUE_DUREE, ()),
    (PERSONNEL, "Personne en situation de handicap", 10, C.HANDICAP, (L.HANDICAP,)),
    (PERSONNEL, "Premier quartile des demandeurs", 1.30, C.PREMIER_QUARTILE, ()),
    (PERSONNEL, "Etudiant ou apprenti / alternant", 20, C.ETUDIANT_APPRENTI,
     (StatutProfessionnel.ETUDIANT, StatutProfessionnel.APPRENTI)),
    (PERSONNEL, "Salarié du privé", 10, C.SALARIE_PRIVE, (SecteurEmploi.PRIVE,)),
    (PERSONNEL, "Fonctionnaire", 10, C.FONCTIONNAIRE, (SecteurEmploi.FONCTION_PUBLIQUE,)),
    (PERSONNEL, "Ancienneté de la demande", 0.4, C.ANCIENNETE, ()),
    (PERSONNEL, "Travailleur-clé", None, C.TRAVAILLEUR_CLE, ()),
    (PERSONNEL, "Retraité", None, C.RETRAITE, (StatutProfessionnel.RETRAITE,)),
    (PERSONNEL, "Travailleur indépendant", None, C.TRAVAILLEUR_INDEPENDANT, (StatutProfessionnel.INDEPENDANT,)),
    (PERSONNEL, "Refus, visite sans suite ou non-réponse à proposition d'un logement adapté aux besoins et capacités "
                "du demandeur", -2, C.REFUS_OFFRE_ADAPTEE, ()),
    (PERSONNEL, "Jeunes de moins de 30 ans", 10, C.MOINS_DE_30_ANS, ()),
    (PERSONNEL, "Seniors de plus de 75 ans", 15, C.PLUS_DE_75_ANS, ()),
    (MOTIF, "Violences au sein du couple ou menace de mariage forcé / Personnes victimes de viol ou d'agression "
            "sexuelle à leur domicile ou à ses abords / Personnes engagées dans le parcours de sortie de la "
            "prostitution et d'insertion sociale et professionnelle / Personnes victimes de l'une des infractions de "
            "traite des êtres humains ou de proxénétisme / Jeunes sortant de l'ASE", 30, C.VIOLENCES_VICTIMES,
     (M.VIOLENCES_FAMILIALES, M.MARIAGE_FORCE, M.AGRESSION_SEXUELLE, M.SORTIE_PROSTITUTION, M.TRAITE_ETRES_HUMAINS,
      M.SORTIE_ASE)),
    (MOTIF, "Personnes menacées d'expulsion sans relogement", 30, C.MENACE_EXPULSION, (M.EXPULSION,)),
    (MOTIF, "Logement indigne", 30, C.LOGEMENT_INDIGNE, (M.LOGEMENT_INDIGNE, M.NON_DECENT_INSALUBRE)),
    (MOTIF, "Logement non décent avec au moins un mineur", 25, C.NON_DECENT_AVEC_MINEUR,
     (M.LOGEMENT_NON_DECENT, M.NON_DECENT_INSALUBRE)),
    (MOTIF, "Suroccupation avec au moins un mineur", 25, C.SUROCCUPATION_AVEC_MINEUR, (M.SUROCCUPATION,)),
    (MOTIF, "Logement non décent sans mineur", 20, C.NON_DECENT_SANS_MINEUR,
     (M.LOGEMENT_NON_DECENT, M.NON_DECENT_INSALUBRE)),
    (MOTIF, "Changement de lieu de travail", 15, C.CHANGEMENT_LIEU_TRAVAIL, (M.MUTATION_PROFESSIONNELLE,)),
    (MOTIF, "Logement repris ou mis en vente par son propriétaire", 20, C.REPRIS_OU_VENDU, (M.REPRIS_OU_VENDU,)),
    (MOTIF, "Logement bientôt démolé", 20, C.DEMOLITION, (M.DEMOLITION,)),
    (MOTIF, "Logement inadapté au handicap ou à la perte d'autonomie", 20, C.INADAPTE_HANDICAP_AUTONOMIE,
     (M.HANDICAP, M.PERTE_AUTONOMIE)),
    (MOTIF, "Loyer trop élevé", 15, C.LOYER_TROP_ELEVE, (M.TROP_CHER,)),
    (MOTIF, "Divorce ou séparation", 20, C.DIVORCE_SEPARATION, (M.DIVORCE_SEPARATION,)),
    (MOTIF, "Suroccupation sans mineur", 15, C.SUROCCUPATION_SANS_MINEUR, (M.SUROCCUPATION,)),
    (MOTIF, "Logement éloigné du lieu de travail", 15, C.ELOIGNE_TRAVAIL, (M.RAPPROCHEMENT_TRAVAIL,)),
    (MOTIF, "Logement éloigné des équipements et services", 15, C.ELOIGNE_EQUIPEMENTS, (M.RAPPROCHEMENT_SERVICES,)),
    (MOTIF, "Rapprochement familial", 15, C.RAPPROCHEMENT_FAMILIAL, (M.RAPPROCHEMENT_FAMILLE,)),
    (MOTIF, "Logement trop grand", 10, C.TROP_GRAND, (M.TROP_GRAND,)),
    (MOTIF, "Départ de personne(s) à charge du foyer", 10, C.DEPART_PERSONNES_A_CHARGE, (M.DEPART_PERSONNES_A_CHARGE,)),
    (MOTIF, "Logement éloigné de la famille", 15, C.ELOIGNE_FAMILLE, (M.RAPPROCHEMENT_FAMILLE,)),
    (MOTIF, "Logement trop petit", 10, C.TROP_PETIT, (M.TROP_PETIT,)),
]

#: §1.2.2, the commission's decisions the applicant is told about.
DECISIONS_CAL = [
    ("l'attribution du logement proposé au candidat", T.ATTRIBUTION),
    ("son rang de classement en cas d'attribution sous réserve du refus du (des) candidat(s) placé(s) devant",
     T.ATTRIBUTION_RANG),
    ("l'attribution du logement proposé à un candidat sous conditions suspensives", T.ATTRIBUTION_SOUS_CONDITION),
    ("la non-attribution du logement proposé, avec le motif", T.NON_ATTRIBUTION),
    ("l'irrecevabilité de la demande au regard des conditions d'accès au logement social", T.IRRECEVABILITE),
]

#: §1.1.4.2 a), the 12 criteria of CCH L441-1 (opening words of each).
CRITERES_L441_1 = [
    ("Personnes en situation de handicap", L.HANDICAP),
    ("Personnes mal logées, défavorisées", L.DEFAVORISE),
    ("Personnes hébergées ou logées temporairement dans un établissement ou un logement de transition",
     L.HEBERGE_TEMPORAIREMENT),
    ("Personnes reprenant une activité après une période de chômage de longue durée", L.REPRISE_ACTIVITE),
    ("Personnes exposées à des situations d'habitat indigne", L.HABITAT_INDIGNE),
    ("justifiant de violences au sein du couple", L.VIOLENCES_COUPLE),
    ("Personnes victimes de viol ou d'agression sexuelle à leur domicile ou à ses abords", L.AGRESSION_SEXUELLE),
    ("Personnes engagées dans le parcours de sortie de prostitution", L.SORTIE_PROSTITUTION),
    ("Personnes victimes de l'une des infractions de traite des êtres humains ou de proxénétisme", L.TRAITE),
    ("Personnes ayant à leur charge un enfant mineur et logées dans des locaux manifestement surcoccupés",
     L.MINEUR_SUROCCUPATION),
    ("Personnes dépourvues de logement, y compris celles qui sont hébergées par des tiers", L.SANS_LOGEMENT),
    ("Personnes menacées d'expulsion sans relogement", L.MENACE_EXPULSION),
]

#: §1.1.4.2 b), the DALO situations (CCH L441-2-3).
SITUATIONS_DALO = [
    ("être dépourvu de logement", D.DEPOURVU_LOGEMENT),
    ("être menacé d'expulsion sans possibilité de relogement", D.MENACE_EXPULSION),
    ("être hébergé dans une structure d'hébergement ou logé de manière temporaire", D.HEBERGE_STRUCTURE),
    ("être logé dans des locaux impropres à l'habitation, insalubres ou dangereux", D.LOCAL_IMPROPRE_INSALUBRE),
    ("être logé dans un local manifestement sur-occupé ou non décent", D.SUROCCUPE_NON_DECENT),
    ("être en attente d'un logement social depuis un délai supérieur à celui fixé par le préfet",
     D.DELAI_ANORMALEMENT_LONG),
    ("être une personne handicapée dans un logement inadaptée", D.HANDICAP_LOGEMENT_INADAPTE),
]

#: §1.1.4.2 c) and e), the contingents named.
CONTINGENTS = [
    ("contingent préfectoral", (Contingent.PREFET_PRIORITAIRES, Contingent.PREFET_FONCTIONNAIRES)),
    ("Action Logement", (Contingent.ACTION_LOGEMENT,)),
    ("Les communes membres de Thiers Dore et Montagne ayant un droit de réservation", (Contingent.COLLECTIVITES,)),
]


def _normalise(text: str) -> str:
    text = re.sub(r"</?i>", "", text).replace("\u2019", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "003_excerpts.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return _normalise(SEED.read_text(encoding="utf-8"))


def _seed_grid() -> dict[str, str]:
    """§1.1.7's table as the seed prints it (tab-separated): criterion wording → weighting cell ("30", "130%")."""
    rows: dict[str, str] = {}
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("1.1.7 Cotation de la demande"))
    for line in lines[start:]:
        if line.startswith("1.1.8"):
            break
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 4 or cells[2] == "Critère" and cells[3] == "Priorisation":
            continue
        # rows start with the category, an empty cell (same category), or directly with the criterion type
        if cells[0] in ("Facultatif", "Prioritaire", "Priorité locale"):
            cells = ["", *cells]
        wording, weighting = cells[2], cells[4] if len(cells) > 4 else ""
        rows[_normalise(wording)] = weighting
    return rows


ALL_WORDINGS = ([row[1] for row in GRILLE] + [w for w, _ in DECISIONS_CAL] + [w for w, _ in CRITERES_L441_1]
                + [w for w, _ in SITUATIONS_DALO] + [w for w, _ in CONTINGENTS])


@pytest.mark.parametrize("wording", ALL_WORDINGS)
def test_transcription_matches_the_seed(seed_text, wording):
    assert _normalise(wording) in seed_text


def test_every_weight_is_the_seeds():
    """Each row of GRILLE carries the weighting the seed's table prints (130% as 1.30, a negative as -2)."""
    table = _seed_grid()
    assert len(table) == len(GRILLE), "the seed's table and the transcription have different rows"
    for _block, wording, weight, criterion, _declared in GRILLE:
        printed = table[_normalise(wording)]
        if weight is None:
            assert printed == "", (criterion, printed)
        elif printed.endswith("%"):
            assert weight == int(printed[:-1]) / 100, criterion
        elif criterion is C.REFUS_OFFRE_ADAPTEE:   # printed "2" in a "Négatif" row
            assert weight == -float(printed), criterion
        else:
            assert weight == float(printed.replace(",", ".")), criterion


def test_every_grid_row_maps_to_its_own_criterion_in_the_right_block():
    criteria = [row[3] for row in GRILLE]
    assert len(criteria) == len(set(criteria)), "two rows map to one criterion"
    assert set(criteria) == set(C) - {C.CRITERE_LOCAL}, "criteria without a seed row, or rows without criterion"
    for block, wording, _, criterion, _ in GRILLE:
        assert criterion.categorie is block, wording


def test_current_housing_and_reasons_map_to_what_the_demand_declares():
    for block, wording, _, _, declared in GRILLE:
        if block is LOGEMENT:
            assert declared and all(isinstance(v, S) for v in declared), wording
        if block is MOTIF:
            assert declared and all(isinstance(v, M) for v in declared), wording
    covered = {v for row in GRILLE if row[0] is LOGEMENT for v in row[4]}
    # every SNE housing situation of the grid's column is covered; LTG and CP both read "hébergé par des tiers"
    assert covered == set(S)


def test_weights_are_transcribed():
    weights = {row[3]: row[2] for row in GRILLE}
    assert weights[C.DALO] == 50 and weights[C.REFUS_OFFRE_ADAPTEE] == -2 and weights[C.PREMIER_QUARTILE] == 1.30
    assert weights[C.ANCIENNETE] == 0.4 and weights[C.HEBERGE_TIERS] == 25 and weights[C.LOCATAIRE_HLM] == 15


def test_cal_decisions_are_exactly_the_enum():
    assert [member for _, member in DECISIONS_CAL] == list(T)


def test_l441_1_criteria_and_their_labels():
    assert [member for _, member in CRITERES_L441_1] == list(L) and len(L) == 12
    assert {n.critere_l441 for n in NatureLabel if n.critere_l441} == set(L)


def test_dalo_situations():
    assert [member for _, member in SITUATIONS_DALO] == list(D)
    assert SensDecisionDalo.PRIORITAIRE_ET_URGENT in SensDecisionDalo


def test_contingents():
    assert {c for _, members in CONTINGENTS for c in members} <= set(Contingent)


def test_radiation_motifs_are_cases_a_to_f_of_r441_2_8():
    assert [m.lettre for m in MotifRadiation] == list("abcdef")
    assert [m.value for m in MotifRadiation] == ["attribution_bail_signe", "renonciation", "absence_reponse",
                                                 "irrecevabilite", "non_renouvellement", "fusion"]


def test_sne_codes_are_enum_values():
    assert {c.value for c in Civilite} == {"1", "2"}
    assert {c.value for c in CodeRessource} == {"SAL", "RET", "CHO", "PAR", "PINV", "AF", "AAH", "AEEH", "AJPP", "RSA",
                                                "AMV", "PAJE", "BE", "AUT", "PAV"}
    assert S("LP") is S.LOCATAIRE_PRIVE and not S.LOCATAIRE_PRIVE.is_extension and S.HABITAT_MOBILE.is_extension
    assert [t.value for t in Typologie] == ["C", "T1", "T2", "T3", "T4", "T5", "T6P"]
