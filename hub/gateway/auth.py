"""Partner authentication: a presented credential resolves a *partner* (a legal entity of the registry,
:mod:`hub.core.partners`), never only a connector.

Credentials, in the order tried: a client certificate's subject (mutual TLS, see :mod:`hub.gateway.limits`'s
protocol), a hub-issued key ``rk_<key id>_<secret>``, then — the migration path — one of the connector's configured
``connectors.<name>.api_keys``, compared in constant time, which authenticates the partner ``connector:NAME``.
Keys are presented in ``X-Relais-Api-Key`` or ``Authorization: Bearer``."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable

import structlog
from typing import Any

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from hub.core.connector import Connector
from hub.core.credentials import parse_key_id
from hub.core.partners import Authenticated, legacy_partner
from hub.gateway.limits import PEER_SUBJECT

__all__ = ["API_KEY_HEADER", "key_is_valid", "presented_key", "unauthorized", "forbidden", "require_api_key",
           "require_partner",
           "resolve_partner", "legacy_key_id", "PEER_SUBJECT"]

log = structlog.get_logger(__name__)

API_KEY_HEADER = "X-Relais-Api-Key"
#: The schemes as OpenAPI declares them (checking is ``key_is_valid``'s job, in constant time).
_API_KEY = APIKeyHeader(name=API_KEY_HEADER, scheme_name="ApiKey", auto_error=False)
_BEARER = HTTPBearer(scheme_name="Bearer", auto_error=False)


def presented_key(request: Request) -> str | None:
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def key_is_valid(connector: Connector, presented: str | None) -> bool:
    """Compare with every configured key in constant time, so that the answer's timing tells nothing about how
    much of a key was right, nor which key matched."""
    keys = getattr(connector.settings, "api_keys", None) or []
    if presented is None or not keys:
        return False
    given = presented.encode()
    matches = [hmac.compare_digest(given, k.get_secret_value().encode()) for k in keys]
    return any(matches)


def unauthorized(connector: str) -> HTTPException:
    log.warning("inbound_unauthorized", connector=connector)
    return HTTPException(401, detail=f"send your partner key (issued by `relais partners add`) or a key of "
                                     f"connectors.{connector}.api_keys in {API_KEY_HEADER} or Authorization: Bearer",
                         headers={"WWW-Authenticate": "Bearer"})


def forbidden(connector: str, partner: str | None = None, its_connector: str | None = None) -> HTTPException:
    """A key that authenticates another partner: the caller is known, but may not speak for this connector."""
    log.warning("inbound_forbidden", connector=connector, partner=partner)
    if partner is not None:
        return HTTPException(403, detail=f"this key authenticates partner {partner!r}, which speaks through "
                                         f"connector {its_connector!r}: post to /v1/inbound/{its_connector}")
    return HTTPException(403, detail=f"this key is not one of connectors.{connector}.api_keys (it belongs to "
                                     "another connector): post to your own connector's route")


def require_api_key(connector: str) -> Callable[..., Connector]:
    """A FastAPI dependency for plugin routes: the caller must present one of ``connectors.<connector>.api_keys``;
    the route then receives that configured connector (its settings included).

    Usage in a plugin: ``def route(connector = Depends(require_api_key("my_connector"))): ...``."""

    def authenticated_connector(request: Request, _api_key: str | None = Security(_API_KEY),
                                _bearer: Any = Security(_BEARER)) -> Connector:
        # the two Security parameters only declare the schemes in the OpenAPI document; the check is below
        conn = request.app.state.hub.connectors.get(connector)
        if conn is None or not key_is_valid(conn, presented_key(request)):
            raise unauthorized(connector)
        return conn

    return authenticated_connector


def require_partner(legacy_connector: str | None = None) -> Callable[..., Any]:
    """A FastAPI dependency for plugin routes that serve data to a *registry partner* (a key issued by ``relais
    partners add``, or its client certificate), whatever connector it speaks through; the route receives the
    :class:`~hub.core.partners.Authenticated` caller (``.partner``: id, role, communes; ``.key_id``) and decides
    with ``hub.demand_verdict`` what it may read. No valid credential: 401.

    ``legacy_connector``: also accept a key of ``connectors.<name>.api_keys``, as the partner ``connector:NAME``
    (that connector's role and communes): the migration path for desks configured before the registry.

    Usage: ``def route(caller = Depends(require_partner())): ...``."""

    async def authenticated_partner(request: Request, _api_key: str | None = Security(_API_KEY),
                                    _bearer: Any = Security(_BEARER)) -> Authenticated:
        hub = request.app.state.hub
        found = await _registry_partner(hub, request)
        if found is not None:
            return found
        presented = presented_key(request)
        conn = hub.connectors.get(legacy_connector) if legacy_connector else None
        if conn is not None and key_is_valid(conn, presented):
            return Authenticated(legacy_partner(conn), legacy_key_id(presented or ""), via="legacy-key")
        log.warning("partner_unauthorized", path=request.url.path)
        raise HTTPException(401, detail=f"send your partner key (issued by `relais partners add`) in "
                                        f"{API_KEY_HEADER} or Authorization: Bearer",
                            headers={"WWW-Authenticate": "Bearer"})

    return authenticated_partner


async def _registry_partner(hub: Any, request: Request) -> Authenticated | None:
    """The registry partner of the request's client certificate or hub-issued key, if valid. A key's first check
    costs one scrypt hash, computed off the event loop; later ones hit the registry's short cache."""
    registry = hub.partners
    subject = (request.scope.get("extensions") or {}).get(PEER_SUBJECT)
    found: Authenticated | None = None
    if subject:
        found = await asyncio.to_thread(registry.by_certificate, subject)
    presented = presented_key(request)
    if found is None and presented:
        found = registry.verified.get(presented)
        if found is None and parse_key_id(presented) is not None:   # only a hub key costs a look-up and a hash
            found = await asyncio.to_thread(registry.authenticate, presented)
    return found


def legacy_key_id(presented: str) -> str:
    """What the audit trail records of a configured key: a short fingerprint, never the key."""
    return "cfg-" + hashlib.sha256(presented.encode()).hexdigest()[:10]


async def resolve_partner(hub: Any, conn: Connector, request: Request) -> Authenticated:
    """The partner the request's credential authenticates for connector ``conn``; raises 401 (no valid credential)
    or 403 (a valid credential of a partner of another connector)."""
    presented = presented_key(request)
    found = await _registry_partner(hub, request)
    if found is not None:
        if found.partner.connector != conn.name:
            raise forbidden(conn.name, partner=found.partner.id, its_connector=found.partner.connector)
        return found
    if key_is_valid(conn, presented):
        return Authenticated(legacy_partner(conn), legacy_key_id(presented or ""), via="legacy-key")
    if presented and any(key_is_valid(c, presented) for c in hub.connectors.values()):
        raise forbidden(conn.name)
    raise unauthorized(conn.name)
