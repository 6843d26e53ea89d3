"""Every code table of the SNE format, in one place: SNE code ↔ contract enum member.

Why explicit tables although most contract values *are* SNE codes: the contracts add Relais extensions (lower-case
codes the SNE lists lack) and the SNE has codes of its own where the contract speaks plainly (``RADATT`` for an
attribution). Writing each table out makes every correspondence reviewable, and the tests walk every member and
every code both ways, so a contract change that the SNE cannot carry fails a test instead of a partner's import.

Three kinds of tables:

* **national** lists (the SNE's ``Liste…`` code lists, as in its published sample): codes are the SNE's;
  a contract extension with no SNE code is *folded* on encoding into the national code that contains it
  (``logement_indigne`` → motif ``03``) — the one lossy step, listed in ``FOLDS`` and in the README;
* **SNE-specific** codes (radiation motifs and sub-motifs): the SNE's own codes, different from the contract's;
* **Relais** lists the SNE publishes no code for (DALO decisions, priority criteria…): the contract's code is
  written as is, so that nothing is invented that could be mistaken for a national code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from contracts.enums import (
    AccordCollectif,
    AideTechnique,
    AuteurModification,
    CapaciteMarche,
    CategorieLogement,
    Civilite,
    CodeRessource,
    Contingent,
    Coparentalite,
    CriterePrioriteL441,
    EquipementHandicap,
    EtatHandicap,
    LienDemandeur,
    LienParente,
    ModeAttestation,
    MotifDemande,
    MotifRadiation,
    Nationalite,
    NatureHandicapMoteur,
    NatureHandicapSensoriel,
    PersonneConcernee,
    SensDecisionDalo,
    Sexe,
    SituationDalo,
    SituationFamiliale,
    SituationLogementActuel,
    SousMotifIrrecevabilite,
    StatutProfessionnel,
    TypeHabitatRecherche,
    Typologie,
)

__all__ = ["CodeTable", "UnknownCode", "TABLES", "FOLDS"] + [
    "CIVILITE", "NATIONALITE", "SITUATION_FAMILIALE", "LIEN_DEMANDEUR", "SEXE", "LIEN_PARENTE", "COPARENTALITE",
    "TYPE_CONTRAT_TRAVAIL", "RESSOURCE", "MODELE_LOGEMENT", "TYPE_LOGEMENT", "CATEGORIE_LOGEMENT",
    "CATEGORIE_LOGEMENT_RECHERCHE", "MOTIF_DEMANDE", "ETAT_HANDICAP", "CAPACITE_MARCHE", "NATURE_HANDICAP_MOTEUR",
    "NATURE_HANDICAP_SENSORIEL", "AIDE_TECHNIQUE", "EQUIPEMENT_HANDICAP", "PERSONNE_CONCERNEE",
    "CRITERE_PRIORITE", "MOTIF_RADIATION", "SOUS_MOTIF_IRRECEVABILITE", "TYPE_RESERVATAIRE", "ACCORD_COLLECTIF",
    "DECISION_DALO", "SITUATION_DALO", "AUTEUR_MODIFICATION", "MODE_ATTESTATION", "TYPE_MOUVEMENT", "TypeMouvement",
    "TYPE_FICHIER", "TypeFichier",
]

E = TypeVar("E", bound=Enum)


class UnknownCode(ValueError):
    """A code the table does not know; the codec turns it into a DecodeError with the element's location."""


@dataclass(frozen=True)
class CodeTable(Generic[E]):
    """One SNE code list: ``codes`` maps each SNE code to a member; ``folds`` maps members with no SNE code of
    their own to the SNE code they are written as (encoding only: decoding gives the national member back);
    ``aliases`` are official codes the contracts have no member of their own for, read as the member (or absence,
    ``None``) that means the same and never written (decoding only)."""

    name: str                       # the SNE list, as the XSD's simple type is named
    enum: type[E]
    codes: Mapping[str, E]
    kind: str = "national"          # national | sne | relais (see the module docstring)
    folds: Mapping[E, str] = field(default_factory=dict)
    aliases: Mapping[str, E | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_member = {member: code for code, member in self.codes.items()}
        if len(by_member) != len(self.codes):
            raise ValueError(f"{self.name}: two codes for one member")
        object.__setattr__(self, "_by_member", by_member)

    def decode(self, code: str) -> E | None:
        """The member of ``code``; None for an alias meaning "not given" (``NONDOC``)."""
        try:
            return self.codes[code]
        except KeyError:
            if code in self.aliases:
                return self.aliases[code]
            known = ", ".join([*self.codes, *self.aliases])
            raise UnknownCode(f"unknown {self.name} code {code!r}; known: {known}") from None

    def readable(self) -> list[str]:
        """Every code this table reads: its own, then its aliases (the XSD's enumeration, in this order)."""
        return [*self.codes, *self.aliases]

    def encode(self, member: E) -> str:
        by_member: dict[E, str] = self._by_member  # type: ignore[attr-defined]
        code = by_member.get(member)
        if code is None:
            code = self.folds.get(member)
        if code is None:
            raise UnknownCode(f"{type(member).__name__}.{member.name} has no {self.name} code in the SNE format")
        return code

    def encodable(self) -> Iterable[E]:
        """Members this table can write (own code or fold)."""
        return [m for m in self.enum if m in self._by_member or m in self.folds]  # type: ignore[attr-defined]


def _same(enum: type[E], members: Iterable[E] | None = None) -> dict[str, E]:
    """Code = the member's value, for lists whose contract values are the SNE codes (the contract says so)."""
    return {member.value: member for member in (members if members is not None else enum)}


# --- national lists (contract values are the SNE codes; written out to be reviewable) ---------------------------

#: "3" (Mademoiselle) is still in the SNE's list; the title is no longer used by the administration (circulaire du
#: 21 février 2012) and the contracts do not have it: it is read as Madame.
CIVILITE = CodeTable("ListeCivilite", Civilite, {"1": Civilite.MONSIEUR, "2": Civilite.MADAME},
                     aliases={"3": Civilite.MADAME})
NATIONALITE = CodeTable("ListeNationalite", Nationalite, {
    "1": Nationalite.FRANCAISE, "2": Nationalite.UNION_EUROPEENNE, "3": Nationalite.HORS_UNION_EUROPEENNE})
SITUATION_FAMILIALE = CodeTable("ListeSituationFamiliale", SituationFamiliale, {
    "C": SituationFamiliale.CELIBATAIRE, "M": SituationFamiliale.MARIE, "D": SituationFamiliale.DIVORCE,
    "S": SituationFamiliale.SEPARE, "P": SituationFamiliale.PACSE, "U": SituationFamiliale.CONCUBIN,
    "V": SituationFamiliale.VEUF})
LIEN_DEMANDEUR = CodeTable("ListeLienDemandeur", LienDemandeur, {
    "M": LienDemandeur.CONJOINT, "P": LienDemandeur.PACSE, "C": LienDemandeur.CONCUBIN,
    "L": LienDemandeur.COLOCATAIRE})
SEXE = CodeTable("ListeSexe", Sexe, {"M": Sexe.MASCULIN, "F": Sexe.FEMININ})
LIEN_PARENTE = CodeTable("ListeLienParente", LienParente, {
    "P": LienParente.PARENT, "E": LienParente.ENFANT, "A": LienParente.AUTRE})
COPARENTALITE = CodeTable("ListeCoparentalite", Coparentalite, {
    "G": Coparentalite.GARDE_ALTERNEE, "D": Coparentalite.DROIT_DE_VISITE})
TYPE_CONTRAT_TRAVAIL = CodeTable("ListeTypeContratTravail", StatutProfessionnel, {
    "CDI": StatutProfessionnel.CDI, "CDD": StatutProfessionnel.CDD, "ART": StatutProfessionnel.INDEPENDANT,
    "CHO": StatutProfessionnel.CHOMAGE, "APP": StatutProfessionnel.APPRENTI, "ETU": StatutProfessionnel.ETUDIANT,
    "RET": StatutProfessionnel.RETRAITE, "AUT": StatutProfessionnel.AUTRE})
RESSOURCE = CodeTable("ListeRessource", CodeRessource, {
    "SAL": CodeRessource.SALAIRE, "RET": CodeRessource.RETRAITE, "CHO": CodeRessource.CHOMAGE,
    "PAR": CodeRessource.PENSION_ALIMENTAIRE_RECUE, "PINV": CodeRessource.PENSION_INVALIDITE,
    "AF": CodeRessource.ALLOCATIONS_FAMILIALES, "AAH": CodeRessource.AAH, "AEEH": CodeRessource.AEEH,
    "AJPP": CodeRessource.AJPP, "RSA": CodeRessource.RSA, "AMV": CodeRessource.MINIMUM_VIEILLESSE,
    "PAJE": CodeRessource.PAJE, "BE": CodeRessource.BOURSE_ETUDIANT, "AUT": CodeRessource.AUTRE,
    "PAV": CodeRessource.PENSION_ALIMENTAIRE_VERSEE})
MODELE_LOGEMENT = CodeTable("ListeModeleLogement", SituationLogementActuel, {
    "HLM": SituationLogementActuel.LOCATAIRE_HLM, "LP": SituationLogementActuel.LOCATAIRE_PRIVE,
    "RS": SituationLogementActuel.LOGEMENT_FOYER, "RHVS": SituationLogementActuel.RHVS,
    "RE": SituationLogementActuel.RESIDENCE_ETUDIANTE, "SLHT": SituationLogementActuel.LOGEMENT_TEMPORAIRE,
    "SH": SituationLogementActuel.STRUCTURE_HEBERGEMENT, "CDEFCM": SituationLogementActuel.CENTRE_ENFANCE_FAMILLE,
    "CPE": SituationLogementActuel.CHEZ_PARENTS_ENFANTS, "CP": SituationLogementActuel.CHEZ_PARTICULIER,
    "LTG": SituationLogementActuel.TITRE_GRATUIT, "FONC": SituationLogementActuel.LOGEMENT_FONCTION,
    "POCC": SituationLogementActuel.PROPRIETAIRE_OCCUPANT, "CAMCAR": SituationLogementActuel.CAMPING,
    "HOT": SituationLogementActuel.HOTEL, "SD": SituationLogementActuel.SANS_ABRI,
    "SQUAT": SituationLogementActuel.SQUAT,
}, folds={
    # a mobile home is, for the SNE, "camping, caravaning"; a therapeutic flat is a transitional structure
    SituationLogementActuel.HABITAT_MOBILE: "CAMCAR",
    SituationLogementActuel.APPARTEMENT_COORDINATION_THERAPEUTIQUE: "SH",
})
TYPE_LOGEMENT = CodeTable("ListeTypeLogement", Typologie, {
    "C": Typologie.CHAMBRE, "T1": Typologie.T1, "T2": Typologie.T2, "T3": Typologie.T3, "T4": Typologie.T4,
    "T5": Typologie.T5, "T6P": Typologie.T6_ET_PLUS})
CATEGORIE_LOGEMENT = CodeTable("ListeCategorieLogement", CategorieLogement, {
    "A": CategorieLogement.APPARTEMENT, "M": CategorieLogement.MAISON})
CATEGORIE_LOGEMENT_RECHERCHE = CodeTable("ListeCategorieLogementRecherche", TypeHabitatRecherche, {
    "A": TypeHabitatRecherche.COLLECTIF, "M": TypeHabitatRecherche.INDIVIDUEL,
    "I": TypeHabitatRecherche.INDIFFERENT})
MOTIF_DEMANDE = CodeTable("ListeMotifDemande", MotifDemande, {
    "01": MotifDemande.SANS_LOGEMENT, "02": MotifDemande.DEMOLITION, "03": MotifDemande.NON_DECENT_INSALUBRE,
    "04": MotifDemande.REPRIS_OU_VENDU, "05": MotifDemande.EXPULSION, "06": MotifDemande.VIOLENCES_FAMILIALES,
    "07": MotifDemande.HANDICAP, "08": MotifDemande.SANTE, "09": MotifDemande.TROP_CHER,
    "10": MotifDemande.TROP_GRAND, "11": MotifDemande.DIVORCE_SEPARATION, "12": MotifDemande.DECOHABITATION,
    "13": MotifDemande.TROP_PETIT, "14": MotifDemande.FUTUR_COUPLE, "15": MotifDemande.REGROUPEMENT_FAMILIAL,
    "16": MotifDemande.ASSISTANT_MATERNEL, "17": MotifDemande.ENVIRONNEMENT_VOISINAGE,
    "18": MotifDemande.MUTATION_PROFESSIONNELLE, "19": MotifDemande.RAPPROCHEMENT_TRAVAIL,
    "20": MotifDemande.RAPPROCHEMENT_SERVICES, "21": MotifDemande.RAPPROCHEMENT_FAMILLE,
    "22": MotifDemande.ACCEDANT_EN_DIFFICULTE, "23": MotifDemande.AUTRE,
}, folds={
    # the SNE merges what CCH L441-1 and cotation grids tell apart: each finer reason goes to the SNE code
    # that contains it
    MotifDemande.LOGEMENT_NON_DECENT: "03", MotifDemande.LOGEMENT_INDIGNE: "03",
    MotifDemande.SUROCCUPATION: "13", MotifDemande.MARIAGE_FORCE: "06", MotifDemande.AGRESSION_SEXUELLE: "23",
    MotifDemande.SORTIE_PROSTITUTION: "23", MotifDemande.TRAITE_ETRES_HUMAINS: "23",
    MotifDemande.SORTIE_ASE: "01", MotifDemande.PERTE_AUTONOMIE: "07",
    MotifDemande.DEPART_PERSONNES_A_CHARGE: "10",
})
ETAT_HANDICAP = CodeTable("ListeEtatHandicap", EtatHandicap, _same(EtatHandicap))
CAPACITE_MARCHE = CodeTable("ListeCapaciteMarcheHandicap", CapaciteMarche, _same(CapaciteMarche))
NATURE_HANDICAP_MOTEUR = CodeTable("ListeNatureHandicapMoteur", NatureHandicapMoteur, _same(NatureHandicapMoteur))
NATURE_HANDICAP_SENSORIEL = CodeTable("ListeNatureHandicapSensoriel", NatureHandicapSensoriel,
                                      _same(NatureHandicapSensoriel))
AIDE_TECHNIQUE = CodeTable("ListeAideTechniqueHandicap", AideTechnique, _same(AideTechnique))
EQUIPEMENT_HANDICAP = CodeTable("ListeEquipementHandicap", EquipementHandicap, _same(EquipementHandicap))
TYPE_RESERVATAIRE = CodeTable("ListeTypeReservataire", Contingent, {
    "COLTER": Contingent.COLLECTIVITES, "COLACT": Contingent.ACTION_LOGEMENT,
    "PPRIOR": Contingent.PREFET_PRIORITAIRES, "PFONCT": Contingent.PREFET_FONCTIONNAIRES,
    "AUTRES": Contingent.AUTRES, "AUCUN": Contingent.HORS_CONTINGENT})
#: ``NONDOC`` ("non renseigné") is the SNE's way of saying nothing: read as absent.
ACCORD_COLLECTIF = CodeTable("ListeAccordCollectif", AccordCollectif, {
    "ACD": AccordCollectif.ACD, "ACI": AccordCollectif.ACI, "AUCUN": AccordCollectif.AUCUN},
    aliases={"NONDOC": None})

# --- SNE-specific codes -------------------------------------------------------------------------------------------

#: A merge (case f) has no SNE motif: the SNE writes the number kept (``numUniqueConserve``) instead.
MOTIF_RADIATION = CodeTable("ListeMotifsRadiation", MotifRadiation, {
    "RADATT": MotifRadiation.ATTRIBUTION_BAIL_SIGNE, "RADABA": MotifRadiation.RENONCIATION,
    "RADCON": MotifRadiation.ABSENCE_REPONSE, "RADIRR": MotifRadiation.IRRECEVABILITE,
    "RADREN": MotifRadiation.NON_RENOUVELLEMENT}, kind="sne")
SOUS_MOTIF_IRRECEVABILITE = CodeTable("ListeSousMotifRadiationIrrecevabilite", SousMotifIrrecevabilite, {
    "IRRRES": SousMotifIrrecevabilite.RESSOURCES_SUPERIEURES_PLAFOND,
    "IRRSEJ": SousMotifIrrecevabilite.SEJOUR_IRREGULIER}, kind="sne")


class TypeMouvement(str, Enum):
    """Which flow a ``demande`` element belongs to; each is one contract event type."""

    CREATION = "demande_enregistree.v1"
    MODIFICATION = "demande_modifiee.v1"
    RENOUVELLEMENT = "demande_renouvelee.v1"


#: Kind of message carried by a ``demande`` element (the SNE's creation / modification / renewal flows).
TYPE_MOUVEMENT = CodeTable("ListeTypeMouvement", TypeMouvement, {
    "C": TypeMouvement.CREATION, "M": TypeMouvement.MODIFICATION, "R": TypeMouvement.RENOUVELLEMENT}, kind="sne")

class TypeFichier(str, Enum):
    """What an official ``interfaceNuu`` document is (``entete/typeFichier``, ListeTypeFichier of the SNE's
    interface v02.01): it, not a per-record code, says whether a ``demande`` is a creation, a modification…"""

    CREATION = "CRE"
    CREATION_SEPARATION = "CRS"      # creation after a couple's separation
    MODIFICATION = "MOD"
    RADIATION = "RAD"
    RENOUVELLEMENT = "REN"
    SUPPRESSION = "SUP"
    DISPATCHING = "DIS"
    RETOUR = "RET"
    COPIE_NUMERIQUE = "COP"


TYPE_FICHIER = CodeTable("ListeTypeFichier", TypeFichier, _same(TypeFichier), kind="sne")

# --- Relais lists (no public SNE code: the contract's code is written as is) -------------------------------------

PERSONNE_CONCERNEE = CodeTable("ListePersonneConcernee", PersonneConcernee, _same(PersonneConcernee),
                               kind="relais")
CRITERE_PRIORITE = CodeTable("ListeCriterePrioriteL441", CriterePrioriteL441, _same(CriterePrioriteL441),
                             kind="relais")
DECISION_DALO = CodeTable("ListeDecisionDalo", SensDecisionDalo, _same(SensDecisionDalo), kind="relais")
SITUATION_DALO = CodeTable("ListeSituationDalo", SituationDalo, _same(SituationDalo), kind="relais")
AUTEUR_MODIFICATION = CodeTable("ListeAuteurModification", AuteurModification, _same(AuteurModification),
                                kind="relais")
MODE_ATTESTATION = CodeTable("ListeModeAttestation", ModeAttestation, _same(ModeAttestation), kind="relais")

#: Every table, by the name of its XSD simple type (the tests compare each with the XSD's enumeration).
TABLES: dict[str, CodeTable] = {table.name: table for table in (
    CIVILITE, NATIONALITE, SITUATION_FAMILIALE, LIEN_DEMANDEUR, SEXE, LIEN_PARENTE, COPARENTALITE,
    TYPE_CONTRAT_TRAVAIL, RESSOURCE, MODELE_LOGEMENT, TYPE_LOGEMENT, CATEGORIE_LOGEMENT,
    CATEGORIE_LOGEMENT_RECHERCHE, MOTIF_DEMANDE, ETAT_HANDICAP, CAPACITE_MARCHE, NATURE_HANDICAP_MOTEUR,
    NATURE_HANDICAP_SENSORIEL, AIDE_TECHNIQUE, EQUIPEMENT_HANDICAP, TYPE_RESERVATAIRE, ACCORD_COLLECTIF,
    MOTIF_RADIATION, SOUS_MOTIF_IRRECEVABILITE, TYPE_FICHIER, TYPE_MOUVEMENT, PERSONNE_CONCERNEE, CRITERE_PRIORITE,
    DECISION_DALO, SITUATION_DALO, AUTEUR_MODIFICATION, MODE_ATTESTATION)}

#: Every lossy encoding (contract member → the SNE code it is written as), for the README and the tests.
FOLDS: dict[Enum, str] = {member: code for table in TABLES.values() for member, code in table.folds.items()}
