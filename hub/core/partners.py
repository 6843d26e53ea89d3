"""The partner registry: who may send to the hub, as which legal entity, through which connector, with which keys.

Why a registry and not connector settings: several landlords speak through the one ``bailleurs`` connector, each
answerable for its own decisions; the legal entity stamped on an inbound event must be the authenticated
partner's, never what the payload says (docs/partners.md). Keys are issued and checked here
(:mod:`hub.core.credentials`); a journal made before the registry keeps working through :meth:`legacy_partner`,
which turns a connector's configured ``api_keys`` into a partner of that connector.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import structlog
from sqlalchemy import Engine, delete, func, insert, or_, select, update

from contracts import LegalEntity
from contracts.identifiers import check_code_insee, check_rpls, check_siren
from hub.core.credentials import IssuedKey, VerifiedKeys, key_matches, new_key, parse_key_id
from hub.core.errors import RelaisError
from hub.core.partners_schema import PartnerStatus, partner_certificates, partner_keys, partner_stock, partners
from hub.core.roles import PartnerRole

__all__ = ["Partner", "Authenticated", "PartnerRegistry", "PartnerError", "legacy_partner", "PARTNER_ID",
           "partner_origin", "origin_partner"]

log = structlog.get_logger(__name__)

PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: Names a partner cannot take: a partner's inbox is a directory named after it, beside these two.
RESERVED_IDS = frozenset({"done", "rejected"})


class PartnerError(RelaisError):
    """The registry refused an operator's change; the message names the argument and the fix."""


@dataclass(frozen=True)
class Partner:
    """A legal entity the hub knows, as the gateway and the ingest checks see it.

    ``entity`` is None only for a legacy partner (a connector's configured keys) whose connector names no
    ``entity``: its messages keep the entity they carry, as before the registry. ``stock`` is the set of its
    dwellings' RPLS identifiers, or None when not known (then any dwelling is accepted)."""

    id: str
    entity: LegalEntity | None
    role: PartnerRole
    connector: str
    communes: frozenset[str] = frozenset()
    emits: tuple[str, ...] | None = None
    status: str = PartnerStatus.ACTIVE
    stock: frozenset[str] | None = None
    legacy: bool = False


@dataclass(frozen=True)
class Authenticated:
    """The outcome of a presented credential: the partner, and which key (or certificate) proved it."""

    partner: Partner
    key_id: str | None
    via: str = "key"          # key | legacy-key | certificate


def legacy_partner(connector: Any) -> Partner:
    """The partner a connector's configured ``api_keys`` authenticate (the migration path): named
    ``connector:NAME``, acting as ``connectors.NAME.entity`` when set."""
    settings = connector.settings
    return Partner(id=f"connector:{connector.name}", entity=getattr(settings, "entity", None), role=connector.role,
                   connector=connector.name, communes=frozenset(getattr(settings, "communes", ()) or ()),
                   legacy=True)


def partner_origin(partner: Partner, origin: str) -> str:
    """The origin a message of ``partner`` is kept under: a dead letter retried later is then decoded again as that
    partner's (its entity, its ids), not as an anonymous file. Legacy partners keep the origin as it was."""
    return origin if partner.legacy else f"partner:{partner.id}:{origin}"


def origin_partner(origin: str | None) -> str | None:
    """The partner id :func:`partner_origin` put in an origin, if any."""
    if not origin or not origin.startswith("partner:"):
        return None
    partner_id = origin.split(":", 2)[1]
    return partner_id if PARTNER_ID.match(partner_id) else None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class PartnerRegistry:
    """The ``partners``, ``partner_keys``, ``partner_certificates`` and ``partner_stock`` tables on one engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow, cache_ttl: float = 30.0):
        self.engine = engine
        self.clock = clock
        self.verified: VerifiedKeys[Authenticated] = VerifiedKeys(cache_ttl)
        #: well-formed keys that did not verify: the same wrong key sent again costs no hash (a client retrying in a
        #: loop with a revoked key, or someone trying one) for as long as a good one is remembered
        self.refused: VerifiedKeys[bool] = VerifiedKeys(cache_ttl)

    # --- the registry ---------------------------------------------------------------------------------------
    def add(self, partner_id: str, *, siren: str, nom: str, role: str, connector: str,
            communes: Iterable[str] = (), emits: Iterable[str] | None = None) -> Partner:
        if not PARTNER_ID.match(partner_id):
            raise PartnerError(f"partner id {partner_id!r}: use 1 to 64 lower-case letters, digits, '.', '_' or "
                               "'-', starting with a letter or digit (e.g. bailleur-ophis)")
        if partner_id in RESERVED_IDS:
            raise PartnerError(f"partner id {partner_id!r} is the name of an inbox's own directory "
                               f"({', '.join(sorted(RESERVED_IDS))}); choose another (e.g. bailleur-{partner_id})")
        siren, role_value, communes = _checked(siren, role, communes)
        if not nom.strip():
            raise PartnerError("--nom: the legal entity's name (raison sociale) is required")
        now = self.clock()
        with self.engine.begin() as conn:
            if conn.execute(select(partners.c.id).where(partners.c.id == partner_id)).first():
                raise PartnerError(f"partner {partner_id!r} already exists (see `relais partners show {partner_id}`)")
            conn.execute(insert(partners).values(
                id=partner_id, siren=siren, nom=nom.strip(), role=role_value, connector=connector,
                communes=json.dumps(sorted(communes)), emits=None if emits is None else json.dumps(list(emits)),
                status=PartnerStatus.ACTIVE, created_at=now, updated_at=now))
        log.info("partner_added", partner=partner_id, role=role_value, connector=connector)
        return self.get(partner_id)  # type: ignore[return-value]

    def set_emits(self, partner_id: str, emits: Iterable[str] | None) -> Partner:
        self.require(partner_id)
        with self.engine.begin() as conn:
            conn.execute(update(partners).where(partners.c.id == partner_id).values(
                emits=None if emits is None else json.dumps(list(emits)), updated_at=self.clock()))
        self.verified.forget(lambda a: a.partner.id == partner_id)
        return self.require(partner_id)

    def get(self, partner_id: str) -> Partner | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(partners).where(partners.c.id == partner_id)).mappings().first()
            stock = self._stock(conn, partner_id) if row else None
        return _partner(row, stock) if row else None

    def require(self, partner_id: str) -> Partner:
        found = self.get(partner_id)
        if found is None:
            raise PartnerError(f"no partner {partner_id!r} (see `relais partners list`)")
        return found

    def list(self, connector: str | None = None) -> list[Partner]:
        query = select(partners).order_by(partners.c.id)
        if connector:
            query = query.where(partners.c.connector == connector)
        with self.engine.connect() as conn:
            return [_partner(r, None) for r in conn.execute(query).mappings()]

    def keys(self, partner_id: str) -> list[dict[str, Any]]:
        """The partner's keys as an operator sees them: ids and dates, never a hash."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(partner_keys.c.key_id, partner_keys.c.created_at, partner_keys.c.expires_at,
                                       partner_keys.c.revoked_at).where(partner_keys.c.partner == partner_id)
                                .order_by(partner_keys.c.created_at)).mappings().all()
        now = self.clock()
        return [{**r, "valid": r["revoked_at"] is None and (r["expires_at"] is None or r["expires_at"] > now)}
                for r in rows]

    # --- keys -----------------------------------------------------------------------------------------------
    def issue_key(self, partner_id: str, *, expires_at: datetime | None = None) -> IssuedKey:
        """A new key for the partner; the caller shows ``key`` once (it is not stored)."""
        partner = self.require(partner_id)
        if partner.status != PartnerStatus.ACTIVE:
            raise PartnerError(f"partner {partner_id!r} is revoked; add a new partner rather than revive it")
        issued = new_key()
        with self.engine.begin() as conn:
            conn.execute(insert(partner_keys).values(key_id=issued.key_id, partner=partner_id, hash=issued.hash,
                                                     created_at=self.clock(), expires_at=expires_at))
        log.info("partner_key_issued", partner=partner_id, key_id=issued.key_id)
        return issued

    def rotate_key(self, partner_id: str, *, overlap: timedelta) -> tuple[IssuedKey, list[str]]:
        """A new key; the partner's other valid keys expire after ``overlap`` (both work meanwhile, so that the
        partner can deploy the new one without a gap). Returns the new key and the ids of those set to expire."""
        issued = self.issue_key(partner_id)
        until = self.clock() + overlap
        with self.engine.begin() as conn:
            rows = conn.execute(select(partner_keys.c.key_id).where(
                partner_keys.c.partner == partner_id, partner_keys.c.key_id != issued.key_id,
                partner_keys.c.revoked_at.is_(None),
                or_(partner_keys.c.expires_at.is_(None), partner_keys.c.expires_at > until))).scalars().all()
            if rows:
                conn.execute(update(partner_keys).where(partner_keys.c.key_id.in_(rows)).values(expires_at=until))
        self.verified.forget(lambda a: a.partner.id == partner_id)
        return issued, list(rows)

    def revoke(self, partner_id: str, key_id: str | None = None) -> list[str]:
        """Revoke one key, or (no ``key_id``) the partner and every key it has. Returns the keys revoked."""
        self.require(partner_id)
        now = self.clock()
        with self.engine.begin() as conn:
            query = select(partner_keys.c.key_id).where(partner_keys.c.partner == partner_id,
                                                        partner_keys.c.revoked_at.is_(None))
            if key_id is not None:
                query = query.where(partner_keys.c.key_id == key_id)
            ids = list(conn.execute(query).scalars())
            if key_id is not None and not ids:
                raise PartnerError(f"partner {partner_id!r} has no valid key {key_id!r} (see `relais partners "
                                   f"show {partner_id}`)")
            if ids:
                conn.execute(update(partner_keys).where(partner_keys.c.key_id.in_(ids)).values(revoked_at=now))
            if key_id is None:
                conn.execute(update(partners).where(partners.c.id == partner_id).values(
                    status=PartnerStatus.REVOKED, updated_at=now))
        self.verified.forget(lambda a: a.partner.id == partner_id)
        log.info("partner_revoked", partner=partner_id, key_id=key_id, keys=len(ids))
        return ids

    def authenticate(self, presented: str) -> Authenticated | None:
        """The partner a hub-issued key belongs to, if the key is valid now (active partner, not expired, not
        revoked); None otherwise. Verified keys are remembered briefly (see :class:`VerifiedKeys`)."""
        cached = self.verified.get(presented)
        if cached is not None:
            return cached
        key_id = parse_key_id(presented)
        if key_id is None or self.refused.get(presented):
            return None
        now = self.clock()
        with self.engine.connect() as conn:
            row = conn.execute(select(partner_keys, partners).join(
                partners, partners.c.id == partner_keys.c.partner).where(
                partner_keys.c.key_id == key_id)).mappings().first()
            if row is None or not key_matches(presented, row["hash"]) or row["revoked_at"] is not None \
                    or (row["expires_at"] is not None and row["expires_at"] <= now) \
                    or row["status"] != PartnerStatus.ACTIVE:
                self.refused.put(presented, True)
                return None
            stock = self._stock(conn, row["partner"])
        found = Authenticated(_partner(row, stock), key_id)
        ttl = self.verified.ttl
        if row["expires_at"] is not None:   # never remembered past its expiry
            ttl = min(ttl, (row["expires_at"] - now).total_seconds())
        self.verified.put(presented, found, ttl)
        return found

    # --- certificates (mutual TLS) --------------------------------------------------------------------------
    def add_certificate(self, partner_id: str, subject: str) -> None:
        self.require(partner_id)
        with self.engine.begin() as conn:
            conn.execute(delete(partner_certificates).where(partner_certificates.c.subject == subject))
            conn.execute(insert(partner_certificates).values(subject=subject, partner=partner_id,
                                                             created_at=self.clock()))

    def by_certificate(self, subject: str) -> Authenticated | None:
        with self.engine.connect() as conn:
            partner_id = conn.execute(select(partner_certificates.c.partner).where(
                partner_certificates.c.subject == subject)).scalar()
        partner = self.get(partner_id) if partner_id else None
        if partner is None or partner.status != PartnerStatus.ACTIVE:
            return None
        return Authenticated(partner, None, via="certificate")

    # --- stock ----------------------------------------------------------------------------------------------
    def import_stock(self, partner_id: str, rpls: Iterable[str], *, replace_all: bool = True) -> int:
        """Record the partner's dwellings (replacing what was known unless ``replace_all`` is False); every
        identifier is checked first, so that a bad file changes nothing."""
        self.require(partner_id)
        checked: set[str] = set()
        for index, value in enumerate(rpls, start=1):
            try:
                checked.add(check_rpls(value.strip()))
            except ValueError as exc:
                raise PartnerError(f"dwelling {index}: {exc}; nothing was imported") from None
        now = self.clock()
        with self.engine.begin() as conn:
            if replace_all:
                conn.execute(delete(partner_stock).where(partner_stock.c.partner == partner_id))
            else:
                checked -= set(self._stock(conn, partner_id) or ())
            if checked:
                conn.execute(insert(partner_stock), [{"partner": partner_id, "rpls": r, "imported_at": now}
                                                     for r in sorted(checked)])
        self.verified.forget(lambda a: a.partner.id == partner_id)
        return len(checked)

    def stock_size(self, partner_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(partner_stock).where(
                partner_stock.c.partner == partner_id)).scalar_one()

    @staticmethod
    def _stock(conn: Any, partner_id: str) -> frozenset[str] | None:
        found = frozenset(conn.execute(select(partner_stock.c.rpls).where(
            partner_stock.c.partner == partner_id)).scalars())
        return found or None


def read_rpls_csv(text: str, column: str | None = None) -> list[str]:
    """The RPLS identifiers of a CSV file (``,`` or ``;``, as the public RPLS extract is): the column named
    ``column``, else the first whose name contains "rpls" (case-insensitive)."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = reader.fieldnames or []
    chosen = column if column is not None else next((n for n in names if "rpls" in n.lower()), None)
    if chosen is None or chosen not in names:
        raise PartnerError(f"no {'column ' + repr(column) if column else 'RPLS column'} in the CSV header "
                           f"({', '.join(names) or 'empty'}); name it with --column")
    return [row[chosen] for row in reader if (row.get(chosen) or "").strip()]


def _checked(siren: str, role: str, communes: Iterable[str]) -> tuple[str, str, set[str]]:
    try:
        siren = check_siren(siren)
    except ValueError as exc:
        raise PartnerError(f"--siren: {exc}") from None
    try:
        role_value = PartnerRole(role).value
    except ValueError:
        raise PartnerError(f"--role: {role!r} is not a role; one of {', '.join(r.value for r in PartnerRole)}") \
            from None
    checked = set()
    for code in communes:
        try:
            checked.add(check_code_insee(code))
        except ValueError as exc:
            raise PartnerError(f"--commune {code}: {exc}") from None
    return siren, role_value, checked


def _partner(row: Any, stock: frozenset[str] | None) -> Partner:
    return Partner(id=row["id"] if "id" in row else row["partner"],
                   entity=LegalEntity(siren=row["siren"], nom=row["nom"]), role=PartnerRole(row["role"]),
                   connector=row["connector"], communes=frozenset(json.loads(row["communes"])),
                   emits=None if row["emits"] is None else tuple(json.loads(row["emits"])), status=row["status"],
                   stock=stock)
