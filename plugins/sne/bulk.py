"""Streaming import of an SNE extraction: a large ``interfaceNuu`` document of ``demande`` records (a department's
whole stock, up to 10⁶ demands), read in constant memory.

Each record becomes a :class:`~hub.BulkRecord` keyed by its numéro unique, fingerprinted by the SHA-256 of its
decoded demand (the contract's canonical JSON: formatting, element order of optional parts and the file's date do
not count as changes). The hub looks up the fingerprint it last imported for the key and calls ``build``:
``build(None)`` gives ``demande_enregistree.v1``, ``build(other)`` gives ``demande_modifiee.v1``; an unchanged
record is not built at all. An extraction is a snapshot: neither ``typeFichier`` nor ``typeMouvement`` chooses the
event. Records go through the same tolerant pass as unit documents (:mod:`plugins.sne.tolerance`), so an unknown
element is kept in ``Demande.extensions`` rather than rejecting the demand.

A bad record is yielded as a :class:`~hub.RecordReject` (its line, the reason, its bytes) and the import goes on;
damage to the document itself (malformed or truncated XML, wrong root or namespace, DOCTYPE) raises a
:class:`~hub.DecodeError` once the good records before it were yielded.

Two processes can share an import (``owned``, :class:`hub.core.bulk.ShardedBulk`): each parses the whole file —
cheap, in C — but serialises, validates and decodes only the records it owns, the costly part.

The usual record is checked by one validation against a strict schema (:mod:`plugins.sne.strict`) that accepts
only canonical, valid records; any other is checked as a unit document is (:func:`is_canonical`, the XSD, the
tolerant walk).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import ValidationError

from contracts import Demande, DemandeEnregistree, DemandeModifiee, Envelope, LegalEntity
from contracts.enums import AuteurModification
from hub import BulkRecord, ContractError, DecodeError, ErrorLocation, RecordReject, RejectError
from hub.xml import XmlLimits, element_path, iter_records
from plugins.sne.codec import envelope_for, fact_time, resolve_entity
from plugins.sne.mapping import demande_to_dict, entite_from
from plugins.sne.messages import RECORD_TAGS
from plugins.sne.schema import VERSIONS, interface_schema, q
from plugins.sne.strict import plainly_canonical, strict_schema
from plugins.sne.tolerance import KeptElement, canonicalize, is_canonical
from plugins.sne.xmlutil import MappingError, Reader

__all__ = ["iter_bulk", "fingerprint"]

_ENTETE = q("entete")
_DEMANDE = q("demande")
BULK_LIMITS = XmlLimits(max_bytes=None)


def fingerprint(demande: Demande) -> str:
    """SHA-256 of the demand's canonical JSON: equal for equal content, whatever the XML layout."""
    return "sha256:" + hashlib.sha256(demande.model_dump_json().encode()).hexdigest()


class _Header:
    """What the extraction's header says, read as it streams by."""

    def __init__(self) -> None:
        self.date_fichier: datetime | None = None
        self.emetteur: LegalEntity | None = None
        self.checked_root = False


def iter_bulk(path: Path, *, default_entity: LegalEntity | None, limits: XmlLimits = BULK_LIMITS,
              owned: Callable[[int], bool] | None = None) -> Iterator[BulkRecord | RecordReject | None]:
    """Stream ``path`` (see the module docstring). With ``owned``, a record whose 0-based position it refuses is
    yielded as None, neither serialised, validated nor decoded: another reader decodes it
    (:class:`hub.core.bulk.ShardedBulk`); the header and damage to the document are read all the same."""
    origin = path.name
    header = _Header()
    schema = interface_schema()
    strict = strict_schema()
    index = 0
    for element in iter_records(path, tags={_ENTETE, *RECORD_TAGS}, origin=origin, expected_root=q("interfaceNuu"),
                                limits=limits):
        if not header.checked_root:
            _check_root(element.getparent(), origin)
            header.checked_root = True
        if element.tag == _ENTETE:
            canonicalize(element, shape="Entete")
            _read_header(element, header, origin)
            continue
        index += 1
        if owned is not None and not owned(index - 1):
            yield None
            continue
        line = element.sourceline
        raw = etree.tostring(element)
        try:
            if len(raw) > limits.max_record_bytes:
                raise DecodeError(f"record of {len(raw)} bytes exceeds the limit of {limits.max_record_bytes}",
                                  location=ErrorLocation(file=origin, line=line, record=index))
            if element.tag != _DEMANDE:
                raise DecodeError(f"a bulk extraction holds demande records only; send {element.tag.split('}')[1]} "
                                  "as a unit message", location=ErrorLocation(file=origin, line=line, record=index,
                                                                              field=element_path(element, element)))
            if strict is not None and plainly_canonical(strict, element, raw):
                kept: list[KeptElement] = []     # the usual record: one validation in C proves it canonical and valid
            elif is_canonical(element) and not schema.problems(element):
                kept = []                        # canonical, but refused by the strict schema (a leap day…)
            else:
                kept = canonicalize(element)
                schema.assert_valid(element, origin=origin, record=index)
            yield _record(element, index, origin, header, default_entity, raw, kept)
        except RejectError as exc:
            yield RecordReject(error=exc, line=line, raw=raw)


def _check_root(root: etree._Element | None, origin: str) -> None:
    version = root.get("versionInterface") if root is not None else None
    if version not in VERSIONS:
        raise DecodeError(f"versionInterface {version!r} is not one this connector reads ({', '.join(VERSIONS)})",
                          location=ErrorLocation(file=origin, line=root.sourceline if root is not None else None,
                                                 field="interfaceNuu/@versionInterface"))


def _read_header(element: etree._Element, header: _Header, origin: str) -> None:
    reader = Reader(element)
    value = reader.text("dateFichier")
    try:
        header.date_fichier = datetime.fromisoformat(value) if value else None
    except ValueError:
        raise DecodeError(f"dateFichier {value!r} is not a date-time",
                          location=ErrorLocation(file=origin, line=element.sourceline,
                                                 field="interfaceNuu/entete/dateFichier")) from None
    emetteur = entite_from(reader.child("emetteur"))
    if emetteur is not None:
        try:
            header.emetteur = LegalEntity.model_validate(emetteur)
        except ValidationError as exc:
            raise ContractError.from_validation(exc, location=ErrorLocation(file=origin, line=element.sourceline),
                                                prefix="entete.emetteur") from None


def _record(element: etree._Element, index: int, origin: str, header: _Header,
            default_entity: LegalEntity | None, raw: bytes, kept: list[KeptElement]) -> BulkRecord:
    location = ErrorLocation(file=origin, line=element.sourceline, record=index)
    reader = Reader(element)
    logement = reader.child("demandeLogement")
    try:
        numero = logement.text("numUnique")
        if numero is None:
            raise MappingError("numUnique is missing", logement.element)
        payload = demande_to_dict(logement.element)
        payload["extensions"] = [{"path": k.path, "xml": k.xml, "reason": k.reason} for k in kept]
        guichet_reader = logement.child("guichetEnregistrement")
        guichet: Any = logement.text("numGuichet")
        named: dict[str, Any] | None = None
        if guichet_reader is not None:
            guichet = guichet_reader.text("code") or entite_from(guichet_reader)
            named = None if isinstance(guichet, str) else guichet
        modified_on = reader.date("dateModification")
    except MappingError as exc:
        raise DecodeError(exc.reason, location=ErrorLocation(file=origin, line=exc.element.sourceline, record=index,
                                                             field=element_path(exc.element, element))) from None
    try:
        demande = Demande.model_validate(payload)
        if isinstance(guichet, dict):
            guichet = LegalEntity.model_validate(guichet)
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=location, prefix="data.demande") from None
    entity = resolve_entity(named, header.emetteur or default_entity, location)
    canonical = demande.model_dump_json()
    digest = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()   # fingerprint(demande), dumped once
    file_day = (header.date_fichier or datetime.now(timezone.utc)).date()
    return BulkRecord(key=numero, fingerprint=digest, line=element.sourceline, raw=raw,
                      build=_Builder(numero, canonical, guichet, entity, digest, modified_on or file_day, location))


@dataclass(frozen=True)
class _Builder:
    """The ``build`` of one record: registration when the hub never saw the key, else modification.

    An object rather than a closure so that a record can be pickled: the hub reads a large extraction in a second
    process and sends it the records (:mod:`hub.core.bulk_stream`). It holds the demand as its canonical JSON (the
    text the fingerprint hashes), validated again only when the record is built: unpickling nested pydantic models
    cost the journaling process more than validating the JSON, and an unchanged record is never built at all.

    An extraction does not say who changed a demand: the desk named by the record, or else the legal entity
    answerable for the extraction, is recorded as the desk behind the change."""

    numero: str
    demande_json: str
    guichet: Any
    entity: LegalEntity
    digest: str
    modified_on: date
    location: ErrorLocation

    def __call__(self, previous: str | None) -> list[Envelope[Any]]:
        numero, guichet = self.numero, self.guichet
        try:
            demande = Demande.model_validate_json(self.demande_json)
            if previous is None:
                registered = demande.date_enregistrement
                payload: Any = DemandeEnregistree(numero_unique=numero, demande=demande, guichet=guichet,
                                                  date_enregistrement=registered)
                when = fact_time(registered, datetime.now(timezone.utc))
            else:
                payload = DemandeModifiee(numero_unique=numero, demande=demande, champs_modifies=(),
                                          auteur=AuteurModification.GUICHET, guichet=guichet or self.entity,
                                          date_modification=self.modified_on)
                when = fact_time(self.modified_on, datetime.now(timezone.utc))
        except ValidationError as exc:
            raise ContractError.from_validation(exc, location=self.location, prefix="data") from None
        return [envelope_for(payload, entity=self.entity, when=when,
                             sourcemessageid=f"sne:{numero}:{self.digest[7:27]}")]
