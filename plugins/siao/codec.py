"""The SIAO's ``relais.siao.labels/1`` documents (:mod:`plugins.siao.wire`, README) → canonical events, and the
outcomes sent back to it as ``relais.siao.issues/1`` notices.

One record speaks of one household and may carry up to five facts; each becomes its event:

| record part | event |
|---|---|
| ``demande_siao`` (always) | ``transmission_siao.v1``: the SIAO orients the household — what lets it receive the household's outcomes (access rule ``siao_for_households_it_labelled_or_oriented``) |
| ``label`` | ``label_prioritaire_pose.v1`` (nature ``siao``, ``pdalhpd`` or ``l441_1_<critere>``, emitted by the SIAO) |
| ``preconisation`` | ``preconisation_siao.v1`` |
| ``syplo`` | ``inscription_syplo.v1`` |
| ``levee`` | ``label_prioritaire_leve.v1`` |

A record is taken whole or rejected whole with its path (``records[2].syplo.date``); the other records are journaled.
Ids: each fact's ``sourcemessageid`` is the SIAO's SIREN, the record's id and the part, so a resent record is
absorbed and the same id with other content is a conflict (409). The SIAO demand is the exception: its id names the
demand itself (reference, date, object, numéro unique), so that the records of one demand journal it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import REGISTRY, EventData, LegalEntity
from contracts.enums import NatureLabel
from contracts.envelope import Envelope
from contracts.events import (
    InscriptionSyplo,
    LabelPrioritaireLeve,
    LabelPrioritairePose,
    PreconisationSiao,
    TransmissionSiao,
)
from hub import (
    ContractError,
    ErrorLocation,
    OutboundMessage,
    RawMessage,
    RecordReject,
)
from hub.json_documents import correlation_of, decode_records, load_document, notice
from plugins.siao.wire import FORMAT, OUTCOMES_FORMAT, SiaoRecord

__all__ = ["decode_labels", "encode_outcome", "nature_of"]

PARIS = ZoneInfo("Europe/Paris")


def nature_of(fondement: str, critere: Any) -> NatureLabel:
    """The label's nature from its basis: the SIAO's own label, the PDALHPD's priority public, or one CCH L441-1
    criterion (``l441_1_<critere>``)."""
    if fondement == "l441_1":
        return NatureLabel(f"l441_1_{critere.value}")
    return NatureLabel(fondement)


def decode_labels(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    doc = load_document(raw, expected_format=FORMAT, list_field="records")
    try:
        siao = LegalEntity.model_validate(doc.get("siao"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="siao") from None
    correlation = correlation_of(raw, doc)
    demands_seen: set[str] = set()

    def event(data: EventData, day: date, key: str) -> Envelope[Any]:
        # the fact happened on its own date, not when the file reached us
        return REGISTRY.build(data, source=source, entity=siao, sourcemessageid=key, correlationid=correlation,
                              time=datetime.combine(day, datetime.min.time(), tzinfo=PARIS))

    def build(item: dict[str, Any], _path: str) -> Iterator[Envelope[Any]]:
        record = SiaoRecord.model_validate(item)
        nu, demande, prefix = record.numero_unique, record.demande_siao, f"{siao.siren}:{record.id}"
        found: list[Envelope[Any]] = []
        demand_key = f"{siao.siren}:demande:{demande.reference}:{demande.objet.value}:{demande.date_demande}:{nu}"
        if demand_key not in demands_seen:
            found.append(event(TransmissionSiao(numero_unique=nu, objet=demande.objet,
                                                date_transmission=demande.date_demande,
                                                reference_siao=demande.reference), demande.date_demande, demand_key))
        if record.label is not None:
            label = record.label
            found.append(event(LabelPrioritairePose(
                numero_unique=nu, nature=nature_of(label.fondement, label.critere), emetteur=siao,
                date_decision=label.date_decision, date_fin_validite=label.date_fin_validite,
                reference=label.reference, communes_souhaitees=record.communes_souhaitees),
                label.date_decision, f"{prefix}:label"))
        if record.preconisation is not None:
            pre = record.preconisation
            found.append(event(PreconisationSiao(
                numero_unique=nu, preconisation=pre.type, date_preconisation=pre.date, typologies=pre.typologies,
                accompagnement_social=pre.accompagnement_social, reference_siao=demande.reference),
                pre.date, f"{prefix}:preconisation"))
        if record.syplo is not None:
            syplo = record.syplo
            found.append(event(InscriptionSyplo(numero_unique=nu, statut=syplo.statut, date_statut=syplo.date,
                                                numero_syplo=syplo.numero), syplo.date, f"{prefix}:syplo"))
        if record.levee is not None:
            levee = record.levee
            found.append(event(LabelPrioritaireLeve(
                numero_unique=nu, nature=nature_of(levee.fondement, levee.critere), emetteur=siao,
                date_levee=levee.date, motif=levee.motif, communes_souhaitees=record.communes_souhaitees),
                levee.date, f"{prefix}:levee"))
        demands_seen.add(demand_key)      # only once the whole record is valid: a rejected one journals nothing
        return iter(found)

    return decode_records(raw, doc, "records", build)


def encode_outcome(event: Envelope[Any]) -> OutboundMessage:
    """An outcome for the SIAO (désignation, CAL decision, lease, radiation) as a ``relais.siao.issues/1`` notice."""
    return OutboundMessage(body=notice(OUTCOMES_FORMAT, event), filename=f"{event.id}.json")
