"""The demand, both ways: SNE ``demandeLogement`` ↔ :class:`contracts.Demande` (CERFA 14069).

Decoding builds plain dicts and validates the whole demand once (pydantic reports every broken field with its
path); encoding writes elements in the XSD's order. The correspondences, and what the SNE format cannot carry, are
listed in ``plugins/sne/README.md``; the non-obvious ones are explained where they are made:

* the SNE gives the resources of dependants as one list for all of them (``listeRessourceRecuePersACharge``),
  the contract per dependant: decoding puts them on the first dependant (the household's total, which cotation and
  quartiles use, is preserved); encoding concatenates every dependant's resources;
* the SNE lists several ``modeleLogement`` codes, the contract keeps one situation: the first is kept;
* ``proprietaire`` is derived from the situation (propriétaire occupant) and not read back;
* an address is abroad (``etranger``) exactly when its country is not FR.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from contracts import Demande, LegalEntity
from contracts.enums import SituationLogementActuel
from plugins.sne import codes
from plugins.sne.schema import q
from plugins.sne.xmlutil import (
    MappingError,
    Reader,
    add,
    add_bool,
    add_code,
    add_commune,
    add_date,
    add_list,
    decode_code,
)

__all__ = ["demande_to_dict", "write_demande", "entite_from", "write_entite", "ressources_to_dict"]


# --- decoding ---------------------------------------------------------------------------------------------------

def entite_from(reader: Reader | None) -> dict[str, Any] | None:
    """A ``PersonneMorale`` (siren, raisonSociale) as the dict of a :class:`LegalEntity`."""
    if reader is None:
        return None
    return {"siren": reader.text("siren"), "nom": reader.text("raisonSociale")}


_DETAIL, _RESSOURCE, _MONTANT = q("detailRessource"), q("ressource"), q("montant")


def _ressources(reader: Reader, *listes: str) -> list[dict[str, Any]]:
    """Each ``detailRessource`` as ``{"code", "montant_mensuel"}``, read as ``Reader.code`` and ``Reader.montant``
    read them (the first child of each name; an amount not written as a plain whole number goes through
    ``Reader.montant``, with its rounding and its error). Why not a ``Reader`` per detail: a demand lists ~7 of
    them, and a reader and its index of two children cost more than this scan (the bulk import's hot path)."""
    found = []
    table = codes.RESSOURCE
    for liste in listes:
        container = reader.find(liste)
        if container is None:
            continue
        for detail in container:
            if detail.tag != _DETAIL:
                continue
            ressource = montant = None
            for child in detail:
                if child.tag == _RESSOURCE:
                    ressource = child if ressource is None else ressource
                elif child.tag == _MONTANT:
                    montant = child if montant is None else montant
            code = None
            if ressource is not None:
                code = table.codes.get(ressource.get("code"))
                if code is None:
                    code = decode_code(ressource, table)
            text = montant.text if montant is not None else None
            amount = int(text) if text is not None and text.isascii() and text.isdigit() else \
                Reader(detail).montant("montant")
            found.append({"code": code, "montant_mensuel": amount})
    return found


def _revenu(reader: Reader, annee: str, montant: str) -> dict[str, Any] | None:
    year, amount = reader.integer(annee), reader.montant(montant)
    if year is None:
        if amount is not None:
            raise MappingError(f"{montant} is given without {annee}", reader.find(montant))
        return None
    return {"annee": year, "montant": amount}


def ressources_to_dict(reader: Reader) -> dict[str, Any]:
    """A person's ``revenuFiscal`` and resource lists (received first, then paid) as ``Ressources``."""
    fiscal = reader.child("revenuFiscal")
    result: dict[str, Any] = {"mensuelles": _ressources(reader, "listeRessourceRecue", "listeRessourceVersee")}
    if fiscal is not None:
        result["revenu_fiscal_n1"] = _revenu(fiscal, "anneeMoins1", "montantMoins1")
        result["revenu_fiscal_n2"] = _revenu(fiscal, "anneeMoins2", "montantMoins2")
    return result


def _situation_professionnelle(reader: Reader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    return {"statut": reader.code("typeContratTravail", codes.TYPE_CONTRAT_TRAVAIL),
            "profession": reader.text("profession"), "employeur": reader.text("nomEmployeurPrincipal"),
            "commune_travail": reader.commune(), "code_postal_travail": reader.text("codePostal")}


def _adresse(reader: Reader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    pays_element = reader.child("pays")
    pays = pays_element.element.get("code") if pays_element is not None else None
    if reader.boolean("etranger"):
        if pays is None:
            raise MappingError("adressePostale: etranger is true but pays is missing", reader.element)
    else:
        pays = pays or "FR"
    return {"numero": reader.text("numero"), "voie": reader.text("voie"), "complement": reader.text("complement"),
            "code_postal": reader.text("codePostal"), "commune": reader.commune(),
            "localite": reader.text("localite"), "pays": pays}


def _identite(reader: Reader) -> dict[str, Any]:
    return {"civilite": reader.code("civilite", codes.CIVILITE), "nom": reader.text("nom"),
            "nom_naissance": reader.text("nomPatronymique"), "prenom": reader.text("prenom"),
            "date_naissance": reader.date("dateNaissance"),
            "nationalite": reader.code("nationalite", codes.NATIONALITE)}


def _demandeur(reader: Reader) -> dict[str, Any]:
    portable, fixe = reader.text("telPortable"), reader.text("telFixe")
    return {**_identite(reader),
            "situation_familiale": reader.code("situationFamiliale", codes.SITUATION_FAMILIALE),
            "adresse": _adresse(reader.child("adressePostale")),
            "telephone": portable or fixe, "telephone_secondaire": fixe if portable else None,
            "courriel": reader.text("mel"),
            "situation_professionnelle": _situation_professionnelle(reader.child("situationProfessionnelle")),
            "ressources": ressources_to_dict(reader)}


def _cotitulaire(reader: Reader) -> dict[str, Any]:
    return {**_identite(reader),
            "lien_demandeur": reader.code("lienDemandeur", codes.LIEN_DEMANDEUR),
            "situation_familiale": reader.code("situationFamiliale", codes.SITUATION_FAMILIALE),
            "situation_professionnelle": _situation_professionnelle(reader.child("situationProfessionnelle")),
            "ressources": ressources_to_dict(reader)}


def _personnes_a_charge(personne: Reader, demandeur: Reader) -> list[dict[str, Any]]:
    liste = personne.child("listePersonneACharge")
    found = [] if liste is None else [
        {"nom": p.text("nom"), "prenom": p.text("prenom"), "date_naissance": p.date("dateNaissance"),
         "sexe": p.code("sexe", codes.SEXE), "lien_parente": p.code("lienParente", codes.LIEN_PARENTE)}
        for p in liste.children("personneACharge")]
    pooled = _ressources(demandeur, "listeRessourceRecuePersACharge", "listeRessourceVerseePersACharge")
    if pooled:
        if not found:
            where = demandeur.find("listeRessourceRecuePersACharge")
            raise MappingError("resources of dependants are given but listePersonneACharge is empty",
                               where if where is not None else demandeur.find("listeRessourceVerseePersACharge"))
        found[0]["ressources"] = {"mensuelles": pooled}
    return found


def _logement_actuel(reader: Reader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    situations = reader.codes("listeModeleLogement", "modeleLogement", codes.MODELE_LOGEMENT)
    return {"situation": situations[0] if situations else None, "commune": reader.commune(),
            "typologie": reader.code("typeLogementActuel", codes.TYPE_LOGEMENT),
            "categorie": reader.code("categorieLogement", codes.CATEGORIE_LOGEMENT),
            "surface_m2": reader.rounded("surface", "a surface in m²"),
            "nombre_occupants": reader.integer("nombreHabitant"),
            "loyer_mensuel": reader.montant("montantMensuelLoyer"),
            "aide_logement_mensuelle": reader.montant("montantAideLogement")}


_COMMUNE, _LOCALISATION = q("commune"), q("localisationSouhaite")
_LOCALISATION_TAGS = (_LOCALISATION, _COMMUNE)


def _first(element: etree._Element, tag: str) -> etree._Element | None:
    """``element.find(tag)`` for a Clark name, by a scan of the children: ``find``'s path machinery cost ~2.5 times
    as much for the few children of a ``localisationSouhaite`` (a bulk import reads several per demand)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def _souhaits(reader: Reader | None) -> dict[str, Any]:
    if reader is None:
        return {}
    localisations = reader.child("listeLocalisationSouhaite")
    communes = [] if localisations is None else [
        # official: localisationSouhaite/commune; Relais wrote a bare commune before 2026-12
        (_first(child, _COMMUNE) if child.tag == _LOCALISATION else child).get("code")
        for child in localisations.element if child.tag in _LOCALISATION_TAGS]
    return {"communes": communes, "demande_elargie": reader.boolean("demandeElargie"),
            "typologies": reader.codes("listeTypeLogement", "typeLogement", codes.TYPE_LOGEMENT),
            "type_habitat": reader.code("categorieLogementRecherche", codes.CATEGORIE_LOGEMENT_RECHERCHE),
            "surface_min_m2": reader.rounded("surfaceMinimum", "a surface in m²"),
            "loyer_max_mensuel": reader.montant("montantMaximumLoyer"),
            "ascenseur_requis": reader.boolean("besoinAscenseur"),
            "rez_de_chaussee_requis": reader.boolean("besoinRezDeChaussee"),
            "accessible_fauteuil_roulant": reader.boolean("accessibiliteFauteuilRoulant")}


def _handicap(reader: Reader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    return {"personnes": reader.codes("listePersonneConcernee", "personneConcernee", codes.PERSONNE_CONCERNEE),
            "etat": reader.code("etatHandicap", codes.ETAT_HANDICAP),
            "capacite_marche": reader.code("capaciteMarche", codes.CAPACITE_MARCHE),
            "natures_moteur": reader.codes("listeNatureHandicapMoteur", "natureHandicapMoteur",
                                           codes.NATURE_HANDICAP_MOTEUR),
            "natures_sensoriel": reader.codes("listeNatureHandicapSensoriel", "natureHandicapSensoriel",
                                              codes.NATURE_HANDICAP_SENSORIEL),
            "psychique_mental": reader.boolean("handicapPsychiqueMental"),
            "aides_techniques": reader.codes("listeAideTechnique", "aideTechnique", codes.AIDE_TECHNIQUE),
            "equipements_necessaires": reader.codes("listeEquipementNecessaire", "equipementHandicap",
                                                    codes.EQUIPEMENT_HANDICAP),
            "logement_adapte_requis": reader.boolean("logementAdapteRequis")}


def _priorite(reader: Reader | None) -> dict[str, Any]:
    if reader is None:
        return {}
    return {"recours_dalo": reader.boolean("recoursDalo"), "numero_recours_dalo": reader.text("numeroRecoursDalo"),
            "prioritaire_dalo": reader.boolean("prioritaireDalo"),
            "date_decision_dalo": reader.date("dateDecisionDalo"),
            "criteres_l441_1": reader.codes("listeCriterePriorite", "criterePriorite", codes.CRITERE_PRIORITE),
            "suivi_travailleur_social": reader.boolean("suiviTravailleurSocial"),
            "labellise_siao": reader.boolean("labelliseSiao")}


def _mutation(reader: Reader | None) -> dict[str, Any] | None:
    if reader is None:
        return None
    return {"bailleur": entite_from(reader.child("bailleur")), "rpls": reader.text("rpls")}


def demande_to_dict(demande_logement: etree._Element | Reader) -> dict[str, Any]:
    """The ``demandeLogement`` element as the input of ``Demande.model_validate`` (raises :class:`MappingError`).
    Given a :class:`Reader` of it (the bulk reader has one), its index of the children is used, not built again."""
    reader = demande_logement if isinstance(demande_logement, Reader) else Reader(demande_logement)
    demande_logement = reader.element
    personne = reader.child("personnePhysique")
    if personne is None:  # the XSD requires it; kept for documents validated elsewhere
        raise MappingError("personnePhysique is missing", demande_logement)
    demandeur = personne.child("demandeur")
    if demandeur is None:
        raise MappingError("demandeur is missing", personne.element)
    cotitulaires = list(personne.child("listeCotitulaire").children("cotitulaire")) \
        if personne.child("listeCotitulaire") is not None else []
    if len(cotitulaires) > 1:
        raise MappingError("the demand lists more than one cotitulaire; a demand has one co-applicant at most",
                           cotitulaires[1].element)
    en_garde = personne.child("listePersonneEnGarde")
    a_naitre = personne.child("personneANaitre")
    return {
        "demandeur": _demandeur(demandeur),
        "cotitulaire": _cotitulaire(cotitulaires[0]) if cotitulaires else None,
        "personnes_a_charge": _personnes_a_charge(personne, demandeur),
        "enfants_en_garde": [] if en_garde is None else [
            {"date_naissance": g.date("dateNaissance"), "sexe": g.code("sexe", codes.SEXE),
             "coparentalite": g.code("coParentalite", codes.COPARENTALITE)}
            for g in en_garde.children("personneEnGarde")],
        "enfants_attendus": None if a_naitre is None else {
            "nombre": a_naitre.integer("nombre"), "date_naissance_prevue": a_naitre.date("dateNaissancePrevue")},
        "logement_actuel": _logement_actuel(personne.child("logementActuel")),
        "motifs": reader.codes("listeMotifDemande", "motifDemande", codes.MOTIF_DEMANDE),
        "motif_precision": reader.text("precisionMotif"),
        "souhaits": _souhaits(reader.child("logementRecherche")),
        "handicap": _handicap(reader.child("complementHandicap")),
        "priorite": _priorite(reader.child("situationPrioritaire")),
        "mutation": _mutation(reader.child("logementSocialActuel")),
        "date_depot": reader.date("dateDepot"),
        "date_enregistrement": reader.date("dateCreationDemande"),
        "date_dernier_renouvellement": reader.date("dateDernierRenouvellement"),
    }


# --- encoding ---------------------------------------------------------------------------------------------------

def write_entite(parent: etree._Element, name: str, entite: LegalEntity | None) -> None:
    if entite is not None:
        element = etree.SubElement(parent, q(name))
        add(element, "siren", entite.siren)
        add(element, "raisonSociale", entite.nom)


def _write_ressources(parent: etree._Element, liste: str, ressources: list[Any]) -> None:
    if ressources:
        container = etree.SubElement(parent, q(liste))
        for ressource in ressources:
            detail = etree.SubElement(container, q("detailRessource"))
            add_code(detail, "ressource", ressource.code, codes.RESSOURCE)
            add(detail, "montant", ressource.montant_mensuel)


def _write_situation_et_ressources(parent: etree._Element, personne: Any) -> None:
    situation = personne.situation_professionnelle
    if situation is not None:
        element = etree.SubElement(parent, q("situationProfessionnelle"))
        add(element, "profession", situation.profession)
        add_code(element, "typeContratTravail", situation.statut, codes.TYPE_CONTRAT_TRAVAIL)
        add(element, "nomEmployeurPrincipal", situation.employeur)
        if situation.commune_travail is not None or situation.code_postal_travail is not None:
            add_bool(element, "etranger", False)
            add(element, "codePostal", situation.code_postal_travail)
            add_commune(element, "commune", situation.commune_travail)
    ressources = personne.ressources
    if ressources.revenu_fiscal_n1 is not None or ressources.revenu_fiscal_n2 is not None:
        fiscal = etree.SubElement(parent, q("revenuFiscal"))
        for revenu, annee, montant in ((ressources.revenu_fiscal_n1, "anneeMoins1", "montantMoins1"),
                                       (ressources.revenu_fiscal_n2, "anneeMoins2", "montantMoins2")):
            if revenu is not None:
                add(fiscal, annee, revenu.annee)
                add(fiscal, montant, revenu.montant)
    _write_ressources(parent, "listeRessourceRecue", [r for r in ressources.mensuelles if not r.code.versee])
    _write_ressources(parent, "listeRessourceVersee", [r for r in ressources.mensuelles if r.code.versee])


def _write_identite(parent: etree._Element, personne: Any) -> None:
    add_code(parent, "civilite", personne.civilite, codes.CIVILITE)
    add(parent, "nom", personne.nom)
    add(parent, "nomPatronymique", personne.nom_naissance)
    add(parent, "prenom", personne.prenom)
    add_date(parent, "dateNaissance", personne.date_naissance)
    add_code(parent, "nationalite", personne.nationalite, codes.NATIONALITE)


def _write_demandeur(parent: etree._Element, demande: Demande) -> None:
    demandeur = demande.demandeur
    element = etree.SubElement(parent, q("demandeur"))
    _write_identite(element, demandeur)
    add_code(element, "situationFamiliale", demandeur.situation_familiale, codes.SITUATION_FAMILIALE)
    add(element, "telPortable", demandeur.telephone)
    add(element, "telFixe", demandeur.telephone_secondaire)
    add(element, "mel", demandeur.courriel)
    adresse = demandeur.adresse
    if adresse is not None:
        postale = etree.SubElement(element, q("adressePostale"))
        add_bool(postale, "etranger", adresse.pays != "FR")
        add(postale, "numero", adresse.numero)
        add(postale, "voie", adresse.voie)
        add(postale, "complement", adresse.complement)
        add(postale, "codePostal", adresse.code_postal)
        add_commune(postale, "commune", adresse.commune)
        add(postale, "localite", adresse.localite)
        if adresse.pays != "FR":
            etree.SubElement(postale, q("pays"), code=adresse.pays)
    _write_situation_et_ressources(element, demandeur)
    pooled = [r for personne in demande.personnes_a_charge if personne.ressources is not None
              for r in personne.ressources.mensuelles]
    _write_ressources(element, "listeRessourceRecuePersACharge", [r for r in pooled if not r.code.versee])
    _write_ressources(element, "listeRessourceVerseePersACharge", [r for r in pooled if r.code.versee])


def _write_personne_physique(parent: etree._Element, demande: Demande) -> None:
    personne = etree.SubElement(parent, q("personnePhysique"))
    _write_demandeur(personne, demande)
    if demande.personnes_a_charge:
        liste = etree.SubElement(personne, q("listePersonneACharge"))
        for p in demande.personnes_a_charge:
            element = etree.SubElement(liste, q("personneACharge"))
            add(element, "nom", p.nom)
            add(element, "prenom", p.prenom)
            add_date(element, "dateNaissance", p.date_naissance)
            add_code(element, "sexe", p.sexe, codes.SEXE)
            add_code(element, "lienParente", p.lien_parente, codes.LIEN_PARENTE)
    if demande.enfants_attendus is not None:
        element = etree.SubElement(personne, q("personneANaitre"))
        add(element, "nombre", demande.enfants_attendus.nombre)
        add_date(element, "dateNaissancePrevue", demande.enfants_attendus.date_naissance_prevue)
    if demande.enfants_en_garde:
        liste = etree.SubElement(personne, q("listePersonneEnGarde"))
        for enfant in demande.enfants_en_garde:
            element = etree.SubElement(liste, q("personneEnGarde"))
            add_date(element, "dateNaissance", enfant.date_naissance)
            add_code(element, "sexe", enfant.sexe, codes.SEXE)
            add_code(element, "coParentalite", enfant.coparentalite, codes.COPARENTALITE)
    cotitulaire = demande.cotitulaire
    if cotitulaire is not None:
        element = etree.SubElement(etree.SubElement(personne, q("listeCotitulaire")), q("cotitulaire"))
        _write_identite(element, cotitulaire)
        add_code(element, "situationFamiliale", cotitulaire.situation_familiale, codes.SITUATION_FAMILIALE)
        add_code(element, "lienDemandeur", cotitulaire.lien_demandeur, codes.LIEN_DEMANDEUR)
        _write_situation_et_ressources(element, cotitulaire)
    logement = demande.logement_actuel
    if logement is not None:
        element = etree.SubElement(personne, q("logementActuel"))
        add_list(element, "listeModeleLogement", "modeleLogement", [logement.situation], codes.MODELE_LOGEMENT)
        add(element, "montantMensuelLoyer", logement.loyer_mensuel)
        add(element, "nombreHabitant", logement.nombre_occupants)
        add_code(element, "categorieLogement", logement.categorie, codes.CATEGORIE_LOGEMENT)
        add_code(element, "typeLogementActuel", logement.typologie, codes.TYPE_LOGEMENT)
        add(element, "surface", logement.surface_m2)
        add_bool(element, "proprietaire", logement.situation is SituationLogementActuel.PROPRIETAIRE_OCCUPANT)
        add_commune(element, "commune", logement.commune)
        add(element, "montantAideLogement", logement.aide_logement_mensuelle)


def _write_souhaits(parent: etree._Element, demande: Demande) -> None:
    souhaits = demande.souhaits
    if souhaits == type(souhaits)():
        return
    element = etree.SubElement(parent, q("logementRecherche"))
    add_bool(element, "demandeElargie", souhaits.demande_elargie)
    add_list(element, "listeTypeLogement", "typeLogement", souhaits.typologies, codes.TYPE_LOGEMENT)
    add_code(element, "categorieLogementRecherche", souhaits.type_habitat, codes.CATEGORIE_LOGEMENT_RECHERCHE)
    if souhaits.communes:
        liste = etree.SubElement(element, q("listeLocalisationSouhaite"))
        for commune in souhaits.communes:
            add_commune(etree.SubElement(liste, q("localisationSouhaite")), "commune", commune)
    add(element, "surfaceMinimum", souhaits.surface_min_m2)
    add(element, "montantMaximumLoyer", souhaits.loyer_max_mensuel)
    add_bool(element, "besoinAscenseur", souhaits.ascenseur_requis)
    add_bool(element, "besoinRezDeChaussee", souhaits.rez_de_chaussee_requis)
    add_bool(element, "accessibiliteFauteuilRoulant", souhaits.accessible_fauteuil_roulant)


def _write_handicap(parent: etree._Element, demande: Demande) -> None:
    handicap = demande.handicap
    if handicap is None:
        return
    element = etree.SubElement(parent, q("complementHandicap"))
    add_list(element, "listePersonneConcernee", "personneConcernee", handicap.personnes, codes.PERSONNE_CONCERNEE)
    add_code(element, "etatHandicap", handicap.etat, codes.ETAT_HANDICAP)
    add_code(element, "capaciteMarche", handicap.capacite_marche, codes.CAPACITE_MARCHE)
    add_list(element, "listeNatureHandicapMoteur", "natureHandicapMoteur", handicap.natures_moteur,
             codes.NATURE_HANDICAP_MOTEUR)
    add_list(element, "listeNatureHandicapSensoriel", "natureHandicapSensoriel", handicap.natures_sensoriel,
             codes.NATURE_HANDICAP_SENSORIEL)
    add_bool(element, "handicapPsychiqueMental", handicap.psychique_mental)
    add_list(element, "listeAideTechnique", "aideTechnique", handicap.aides_techniques, codes.AIDE_TECHNIQUE)
    add_list(element, "listeEquipementNecessaire", "equipementHandicap", handicap.equipements_necessaires,
             codes.EQUIPEMENT_HANDICAP)
    add_bool(element, "logementAdapteRequis", handicap.logement_adapte_requis)


def _write_priorite(parent: etree._Element, demande: Demande) -> None:
    priorite = demande.priorite
    if priorite == type(priorite)():
        return
    element = etree.SubElement(parent, q("situationPrioritaire"))
    add_bool(element, "recoursDalo", priorite.recours_dalo)
    add(element, "numeroRecoursDalo", priorite.numero_recours_dalo)
    add_bool(element, "prioritaireDalo", priorite.prioritaire_dalo)
    add_date(element, "dateDecisionDalo", priorite.date_decision_dalo)
    add_list(element, "listeCriterePriorite", "criterePriorite", priorite.criteres_l441_1, codes.CRITERE_PRIORITE)
    add_bool(element, "suiviTravailleurSocial", priorite.suivi_travailleur_social)
    add_bool(element, "labelliseSiao", priorite.labellise_siao)


def write_demande(parent: etree._Element, demande: Demande, *, numero_unique: str | None,
                  date_creation: Any, guichet: LegalEntity | str | None) -> etree._Element:
    """Append a ``demandeLogement`` for ``demande``. ``date_creation`` is the registration date (the SNE's
    ``dateCreationDemande``); ``guichet`` the registering desk, a legal entity or a desk code."""
    element = etree.SubElement(parent, q("demandeLogement"))
    add(element, "numUnique", numero_unique)
    if isinstance(guichet, str):
        add(element, "numGuichet", guichet)      # the official element for a desk known by its number
    add_date(element, "dateCreationDemande", date_creation)
    add_date(element, "dateDepot", demande.date_depot)
    add_date(element, "dateDernierRenouvellement", demande.date_dernier_renouvellement)
    if isinstance(guichet, LegalEntity):
        write_entite(element, "guichetEnregistrement", guichet)
    _write_personne_physique(element, demande)
    _write_souhaits(element, demande)
    add_list(element, "listeMotifDemande", "motifDemande", demande.motifs, codes.MOTIF_DEMANDE)
    add(element, "precisionMotif", demande.motif_precision)
    _write_handicap(element, demande)
    _write_priorite(element, demande)
    mutation = demande.mutation
    if mutation is not None:
        social = etree.SubElement(element, q("logementSocialActuel"))
        write_entite(social, "bailleur", mutation.bailleur)
        add(social, "rpls", mutation.rpls)
    return element
