"""The SNE's message kinds, both ways: each record element of an ``interfaceNuu`` document ↔ one event payload.

| element                                   | event                         |
|-------------------------------------------|-------------------------------|
| ``demande`` in a CRE/CRS/DIS/RET/COP file | ``demande_enregistree.v1``    |
| ``demande`` in a MOD file                 | ``demande_modifiee.v1``       |
| ``demande`` in a REN file                 | ``demande_renouvelee.v1``     |
| ``renouvellement``            | ``demande_renouvelee.v1`` (without the demand's content) |
| ``radiation``                 | ``demande_radiee.v1``         |
| ``attribution``               | ``attribution_reportee.v1``   |
| ``decisionDalo``              | ``decision_dalo.v1``          |

What a ``demande`` is comes from the document's ``entete/typeFichier`` (the official interface; CRE when absent, as
in the public sample). ``typeMouvement`` C/M/R, which Relais wrote before it knew ``typeFichier``, is still read and
wins when present; it is no longer written.

Decoding returns a :class:`DecodedMessage` (the payload as a dict, its model, the date of the fact, and the legal
entity the element names, if any); the codec validates it and wraps it in an envelope. Encoding appends the element
for an event to a document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lxml import etree

from contracts import (
    AttributionReportee,
    DecisionDalo,
    DemandeEnregistree,
    DemandeModifiee,
    DemandeRadiee,
    DemandeRenouvelee,
    Envelope,
    EventData,
    LegalEntity,
)
from contracts.enums import AuteurModification, MotifRadiation
from hub import RejectError
from plugins.sne import codes
from plugins.sne.codes import TypeFichier, TypeMouvement
from plugins.sne.mapping import demande_to_dict, entite_from, write_demande, write_entite
from plugins.sne.schema import q
from plugins.sne.tolerance import KeptElement
from plugins.sne.xmlutil import MappingError, Reader, add, add_bool, add_code, add_commune, add_date, add_list

__all__ = ["DecodedMessage", "DocumentContext", "decode_record", "write_record", "type_fichier_of", "RECORD_TAGS",
           "ENCODABLE_TYPES"]


@dataclass(frozen=True)
class DecodedMessage:
    model: type[EventData]
    payload: dict[str, Any]
    fact_date: date | None          # when the fact happened: becomes the envelope's time
    entity: dict[str, Any] | None   # a legal entity named by the element itself (desk, landlord)


@dataclass(frozen=True)
class DocumentContext:
    """What the document's header says that its records need: its kind, and its day (the date of a modification
    or renewal whose record carries none)."""

    type_fichier: TypeFichier = TypeFichier.CREATION
    date_fichier: date | None = None


#: The event a ``demande`` record becomes, by the kind of document it came in.
_MOUVEMENT_BY_TYPE_FICHIER = {
    TypeFichier.CREATION: TypeMouvement.CREATION, TypeFichier.CREATION_SEPARATION: TypeMouvement.CREATION,
    TypeFichier.DISPATCHING: TypeMouvement.CREATION, TypeFichier.RETOUR: TypeMouvement.CREATION,
    TypeFichier.COPIE_NUMERIQUE: TypeMouvement.CREATION, TypeFichier.MODIFICATION: TypeMouvement.MODIFICATION,
    TypeFichier.RENOUVELLEMENT: TypeMouvement.RENOUVELLEMENT,
}


def _guichet(reader: Reader) -> tuple[Any, dict[str, Any] | None]:
    """The desk as the event's ``guichet`` (entity or desk code) and, when it is an entity, as envelope entity.
    ``guichetEnregistrement`` (a SIREN) is preferred; else the official ``numGuichet``, a desk's number."""
    guichet = reader.child("guichetEnregistrement")
    if guichet is None:
        return reader.text("numGuichet"), None
    code = guichet.text("code")
    if code is not None:
        return code, None
    entity = entite_from(guichet)
    return entity, entity


def _mouvement(reader: Reader, context: DocumentContext) -> TypeMouvement:
    explicit = reader.code("typeMouvement", codes.TYPE_MOUVEMENT)
    if explicit is not None:
        return explicit
    mouvement = _MOUVEMENT_BY_TYPE_FICHIER.get(context.type_fichier)
    if mouvement is None:
        raise MappingError(f"a demande record in a typeFichier {context.type_fichier.value} document: the SNE's "
                           "radiations and deletions are read from radiation records; send this demand in a CRE, "
                           "MOD or REN document", reader.element)
    return mouvement


def _decode_demande(element: etree._Element, context: DocumentContext,
                    kept: Sequence[KeptElement]) -> DecodedMessage:
    reader = Reader(element)
    mouvement = _mouvement(reader, context)
    logement = reader.child("demandeLogement")
    if logement is None:
        raise MappingError("demandeLogement is missing", element)
    numero = logement.text("numUnique")
    if numero is None:
        raise MappingError("numUnique is missing: only a numUnique request may omit it", logement.element)
    demande = demande_to_dict(logement.element)
    demande["extensions"] = [{"path": k.path, "xml": k.xml, "reason": k.reason} for k in kept]
    guichet, entity = _guichet(logement)
    if mouvement is TypeMouvement.CREATION:
        payload = {"numero_unique": numero, "demande": demande, "guichet": guichet,
                   "date_enregistrement": demande["date_enregistrement"]}
        return DecodedMessage(DemandeEnregistree, payload, demande["date_enregistrement"], entity)
    if mouvement is TypeMouvement.MODIFICATION:
        # the official interface dates a modification by its file; dateModification is Relais's own
        when = reader.date("dateModification") or context.date_fichier
        if when is None:
            raise MappingError("dateModification is required for a modification when the header has no "
                               "dateFichier", element)
        auteur = reader.code("auteurModification", codes.AUTEUR_MODIFICATION) or (
            AuteurModification.GUICHET if guichet is not None else AuteurModification.DEMANDEUR)
        payload = {"numero_unique": numero, "demande": demande, "champs_modifies": (), "guichet": guichet,
                   "auteur": auteur, "date_modification": when}
        return DecodedMessage(DemandeModifiee, payload, when, entity)
    when = demande["date_dernier_renouvellement"] or context.date_fichier
    if when is None:
        raise MappingError("dateDernierRenouvellement is required for a renewal when the header has no "
                           "dateFichier", logement.element)
    payload = {"numero_unique": numero, "demande": demande, "guichet": guichet, "date_renouvellement": when,
               "mode_attestation": reader.code("modeAttestation", codes.MODE_ATTESTATION)}
    return DecodedMessage(DemandeRenouvelee, payload, when, entity)


def _decode_renouvellement(element: etree._Element) -> DecodedMessage:
    reader = Reader(element)
    guichet, entity = _guichet(reader)
    when = reader.date("dateRenouvellement")
    payload = {"numero_unique": reader.text("numUnique"), "date_renouvellement": when, "guichet": guichet,
               "mode_attestation": reader.code("modeAttestation", codes.MODE_ATTESTATION)}
    return DecodedMessage(DemandeRenouvelee, payload, when, entity)


def _decode_radiation(element: etree._Element) -> DecodedMessage:
    reader = Reader(element)
    conserve = reader.text("numUniqueConserve")
    logement = reader.child("logementAttribue")
    when = reader.date("dateRadiation")
    payload = {"numero_unique": reader.text("numUnique"), "date_radiation": when,
               "motif": MotifRadiation.FUSION if conserve else reader.code("motifRadiation", codes.MOTIF_RADIATION),
               "sous_motif": reader.code("sousMotifRadiation", codes.SOUS_MOTIF_IRRECEVABILITE),
               "rpls": logement.text("rpls") if logement else None,
               "commune": logement.commune() if logement else None,
               "numero_unique_conserve": conserve}
    return DecodedMessage(DemandeRadiee, payload, when, None)


def _decode_attribution(element: etree._Element) -> DecodedMessage:
    reader = Reader(element)
    logement = reader.child("logement")
    when = reader.date("dateAttribution")
    payload = {"numero_unique": reader.text("numUnique"), "date_attribution": when,
               "rpls": logement.text("rpls"), "commune": logement.commune(),
               "typologie": logement.code("typeLogement", codes.TYPE_LOGEMENT), "qpv": logement.text("qpv"),
               "reservataire": entite_from(reader.child("reservataire")),
               "contingent": reader.code("typeReservataire", codes.TYPE_RESERVATAIRE)}
    accord = reader.code("accordCollectif", codes.ACCORD_COLLECTIF)
    if accord is not None:
        payload["acd_aci"] = accord
    for name, field in (("dalo", "dalo"), ("agentEtat", "agent_etat"), ("relogementAnru", "relogement_anru"),
                        ("cia", "cia"), ("prioritaire", "prioritaire")):
        value = reader.boolean(name)
        if value is not None:
            payload[field] = value
    payload["premier_quartile"] = reader.boolean("premierQuartile")
    return DecodedMessage(AttributionReportee, payload, when, entite_from(reader.child("bailleur")))


def _decode_decision_dalo(element: etree._Element) -> DecodedMessage:
    reader = Reader(element)
    when = reader.date("dateDecision")
    payload = {"numero_unique": reader.text("numUnique"), "numero_recours": reader.text("numeroRecours"),
               "date_depot_recours": reader.date("dateDepotRecours"), "date_decision": when,
               "decision": reader.code("decision", codes.DECISION_DALO),
               "situations": reader.codes("listeSituationDalo", "situationDalo", codes.SITUATION_DALO),
               "typologies_preconisees": reader.codes("listeTypeLogementPreconise", "typeLogement",
                                                      codes.TYPE_LOGEMENT),
               "date_limite_relogement": reader.date("dateLimiteRelogement")}
    return DecodedMessage(DecisionDalo, payload, when, None)


_DECODERS: dict[str, Callable[[etree._Element], DecodedMessage]] = {
    q("renouvellement"): _decode_renouvellement, q("radiation"): _decode_radiation,
    q("attribution"): _decode_attribution, q("decisionDalo"): _decode_decision_dalo,
}
_DEMANDE = q("demande")
#: Clark names of the elements that are messages (records) of a document.
RECORD_TAGS = frozenset({_DEMANDE, *_DECODERS})


def decode_record(element: etree._Element, context: DocumentContext = DocumentContext(),
                  kept: Sequence[KeptElement] = ()) -> DecodedMessage:
    """Decode one record element (raises :class:`MappingError` for what the contracts cannot carry). ``kept`` are
    the elements the tolerant pass set aside (:mod:`plugins.sne.tolerance`); a demand carries them as
    ``extensions``."""
    if element.tag == _DEMANDE:
        return _decode_demande(element, context, kept)
    return _DECODERS[element.tag](element)


def type_fichier_of(event_type: str) -> TypeFichier:
    """The ``typeFichier`` of the document written for an event. Attribution reports and DALO decisions, records
    of Relais's reconstruction, change a demand's state: MOD."""
    return _TYPE_FICHIER_BY_EVENT.get(event_type, TypeFichier.MODIFICATION)


_TYPE_FICHIER_BY_EVENT = {
    "demande_enregistree.v1": TypeFichier.CREATION, "demande_modifiee.v1": TypeFichier.MODIFICATION,
    "demande_renouvelee.v1": TypeFichier.RENOUVELLEMENT, "demande_radiee.v1": TypeFichier.RADIATION,
}


# --- encoding ---------------------------------------------------------------------------------------------------

def _guichet_of(data: Any) -> LegalEntity | str | None:
    return getattr(data, "guichet", None)


def _write_enregistree(parent: etree._Element, data: DemandeEnregistree) -> None:
    element = etree.SubElement(parent, q("demande"))
    write_demande(element, data.demande, numero_unique=data.numero_unique,
                  date_creation=data.date_enregistrement, guichet=data.guichet)


def _date_creation(data: Any) -> date:
    if data.demande.date_enregistrement is None:
        raise RejectError(f"{data.event_type}: demande.date_enregistrement is required by the SNE format "
                          "(dateCreationDemande)")
    return data.demande.date_enregistrement


def _write_modifiee(parent: etree._Element, data: DemandeModifiee) -> None:
    element = etree.SubElement(parent, q("demande"))
    add_date(element, "dateModification", data.date_modification)
    add_code(element, "auteurModification", data.auteur, codes.AUTEUR_MODIFICATION)
    write_demande(element, data.demande, numero_unique=data.numero_unique, date_creation=_date_creation(data),
                  guichet=data.guichet)


def _write_renouvelee(parent: etree._Element, data: DemandeRenouvelee) -> None:
    if data.demande is None:
        element = etree.SubElement(parent, q("renouvellement"))
        add(element, "numUnique", data.numero_unique)
        add_date(element, "dateRenouvellement", data.date_renouvellement)
        _write_guichet(element, data.guichet)
        add_code(element, "modeAttestation", data.mode_attestation, codes.MODE_ATTESTATION)
        return
    element = etree.SubElement(parent, q("demande"))
    add_code(element, "modeAttestation", data.mode_attestation, codes.MODE_ATTESTATION)
    # the renewal date is the demand's last renewal: one value in the SNE format
    demande = data.demande.model_copy(update={"date_dernier_renouvellement": data.date_renouvellement})
    write_demande(element, demande, numero_unique=data.numero_unique, date_creation=_date_creation(data),
                  guichet=data.guichet)


def _write_guichet(parent: etree._Element, guichet: LegalEntity | str | None) -> None:
    # a renewal record is Relais's reconstruction: its desk keeps the guichetEnregistrement shape
    if isinstance(guichet, LegalEntity):
        write_entite(parent, "guichetEnregistrement", guichet)
    elif guichet is not None:
        add(etree.SubElement(parent, q("guichetEnregistrement")), "code", guichet)


def _write_logement(parent: etree._Element, name: str, rpls: str, commune: str, typologie: Any = None,
                    qpv: str | None = None) -> None:
    element = etree.SubElement(parent, q(name))
    add(element, "rpls", rpls)
    add_commune(element, "commune", commune)
    add_code(element, "typeLogement", typologie, codes.TYPE_LOGEMENT)
    add(element, "qpv", qpv)


def _write_radiee(parent: etree._Element, data: DemandeRadiee) -> None:
    element = etree.SubElement(parent, q("radiation"))
    add(element, "numUnique", data.numero_unique)
    add_date(element, "dateRadiation", data.date_radiation)
    if data.motif is MotifRadiation.FUSION:
        if data.numero_unique_conserve is None:
            raise RejectError("demande_radiee.v1: a merge (motif fusion) needs numero_unique_conserve in the SNE "
                              "format, which has no radiation code for a merge")
        add(element, "numUniqueConserve", data.numero_unique_conserve)
        return
    add_code(element, "motifRadiation", data.motif, codes.MOTIF_RADIATION)
    add_code(element, "sousMotifRadiation", data.sous_motif, codes.SOUS_MOTIF_IRRECEVABILITE)
    if data.rpls is not None or data.commune is not None:
        if data.rpls is None or data.commune is None:
            raise RejectError("demande_radiee.v1: the SNE format needs both rpls and commune of the dwelling "
                              "attributed, or neither")
        _write_logement(element, "logementAttribue", data.rpls, data.commune)


def _write_attribution(parent: etree._Element, data: AttributionReportee, entity: LegalEntity) -> None:
    element = etree.SubElement(parent, q("attribution"))
    add(element, "numUnique", data.numero_unique)
    add_date(element, "dateAttribution", data.date_attribution)
    write_entite(element, "bailleur", entity)
    _write_logement(element, "logement", data.rpls, data.commune, data.typologie, data.qpv)
    write_entite(element, "reservataire", data.reservataire)
    add_code(element, "typeReservataire", data.contingent, codes.TYPE_RESERVATAIRE)
    add_code(element, "accordCollectif", data.acd_aci, codes.ACCORD_COLLECTIF)
    add_bool(element, "dalo", data.dalo)
    add_bool(element, "agentEtat", data.agent_etat)
    add_bool(element, "relogementAnru", data.relogement_anru)
    add_bool(element, "cia", data.cia)
    add_bool(element, "prioritaire", data.prioritaire)
    add_bool(element, "premierQuartile", data.premier_quartile)


def _write_decision_dalo(parent: etree._Element, data: DecisionDalo) -> None:
    element = etree.SubElement(parent, q("decisionDalo"))
    add(element, "numUnique", data.numero_unique)
    add(element, "numeroRecours", data.numero_recours)
    add_date(element, "dateDepotRecours", data.date_depot_recours)
    add_date(element, "dateDecision", data.date_decision)
    add_code(element, "decision", data.decision, codes.DECISION_DALO)
    add_list(element, "listeSituationDalo", "situationDalo", data.situations, codes.SITUATION_DALO)
    add_list(element, "listeTypeLogementPreconise", "typeLogement", data.typologies_preconisees,
             codes.TYPE_LOGEMENT)
    add_date(element, "dateLimiteRelogement", data.date_limite_relogement)


#: Event types the SNE format can carry (the connector's subscriptions are taken from these).
ENCODABLE_TYPES = ("demande_enregistree.v1", "demande_modifiee.v1", "demande_renouvelee.v1", "demande_radiee.v1",
                   "attribution_reportee.v1", "decision_dalo.v1")


def write_record(parent: etree._Element, event: Envelope[Any]) -> None:
    """Append the record element for ``event`` to a document; :class:`RejectError` when the format cannot carry it
    (a contract value with no SNE code, a combination the format does not allow)."""
    data = event.data
    try:
        if isinstance(data, DemandeEnregistree):
            _write_enregistree(parent, data)
        elif isinstance(data, DemandeModifiee):
            _write_modifiee(parent, data)
        elif isinstance(data, DemandeRenouvelee):
            _write_renouvelee(parent, data)
        elif isinstance(data, DemandeRadiee):
            _write_radiee(parent, data)
        elif isinstance(data, AttributionReportee):
            _write_attribution(parent, data, event.entity)
        elif isinstance(data, DecisionDalo):
            _write_decision_dalo(parent, data)
        else:
            raise RejectError(f"the SNE format carries no {event.type} event; it carries {', '.join(ENCODABLE_TYPES)}")
    except codes.UnknownCode as exc:
        raise RejectError(f"{event.type}: {exc}") from None
