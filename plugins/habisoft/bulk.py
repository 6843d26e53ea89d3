"""Streaming import of a Habisoft extraction: a large ``fichierPartage`` whose ``evenement`` records carry
``demandeEnregistree`` snapshots (every demand of the department), read in constant memory.

Same contract as the SNE's bulk import: one :class:`~hub.BulkRecord` per demand, keyed by its numéro unique,
fingerprinted by the SHA-256 of the demand's canonical JSON; ``build(None)`` gives the registration,
``build(other)`` a modification dated by the extraction. A bad record is a :class:`~hub.RecordReject`; damage to the
file itself raises :class:`~hub.DecodeError` after the good records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lxml import etree

from contracts import REGISTRY, Demande, DemandeEnregistree, DemandeModifiee, Envelope, LegalEntity
from contracts.enums import AuteurModification
from hub import BulkRecord, DecodeError, ErrorLocation, RecordReject, RejectError
from hub.xml import XmlLimits, iter_records
from plugins.habisoft.codec import SOURCE, decode_evenement
from plugins.habisoft.schema import habisoft_schema, q

__all__ = ["iter_bulk", "fingerprint"]

BULK_LIMITS = XmlLimits(max_bytes=None)


def fingerprint(demande: Demande) -> str:
    return "sha256:" + hashlib.sha256(demande.model_dump_json().encode()).hexdigest()


def iter_bulk(path: Path, *, limits: XmlLimits = BULK_LIMITS) -> Iterator[BulkRecord | RecordReject]:
    origin = path.name
    schema = habisoft_schema()
    file_date: datetime | None = None
    index = 0
    for element in iter_records(path, tags={q("entete"), q("evenement")}, origin=origin,
                                expected_root=q("fichierPartage"), limits=limits):
        if element.tag == q("entete"):
            value = element.findtext(q("dateFichier"))
            file_date = datetime.fromisoformat(value) if value else None
            continue
        index += 1
        raw = etree.tostring(element)
        try:
            schema.assert_valid(element, origin=origin, record=index)
            data, entity, when, _identifier = decode_evenement(element, origin=origin, record=index)
            if not isinstance(data, DemandeEnregistree):
                raise DecodeError(f"a Habisoft extraction holds demandeEnregistree records only, not {data.event_type}",
                                  location=ErrorLocation(file=origin, line=element.sourceline, record=index))
            yield _record(data, entity, when, file_date, element.sourceline, raw)
        except RejectError as exc:
            yield RecordReject(error=exc, line=element.sourceline, raw=raw)


def _record(data: DemandeEnregistree, entity: LegalEntity, registered_at: datetime, file_date: datetime | None,
            line: int | None, raw: bytes) -> BulkRecord:
    digest = fingerprint(data.demande)
    modified_at = file_date or datetime.now(timezone.utc)
    sourcemessageid = f"habisoft:{data.numero_unique}:{digest[7:27]}"

    def build(previous: str | None) -> list[Envelope[Any]]:
        if previous is None:
            return [REGISTRY.build(data, source=SOURCE, entity=entity, time=registered_at,
                                   sourcemessageid=sourcemessageid)]
        modified = DemandeModifiee(numero_unique=data.numero_unique, demande=data.demande, champs_modifies=(),
                                   auteur=AuteurModification.GUICHET, guichet=data.guichet or entity,
                                   date_modification=modified_at.date())
        return [REGISTRY.build(modified, source=SOURCE, entity=entity, time=modified_at,
                               sourcemessageid=sourcemessageid)]

    return BulkRecord(key=data.numero_unique, fingerprint=digest, build=build, line=line, raw=raw)

