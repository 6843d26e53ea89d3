"""Partner authentication: one or more API keys per connector (``connectors.<name>.api_keys``), compared in
constant time, presented in ``X-Relais-Api-Key`` or ``Authorization: Bearer``."""

from __future__ import annotations

import hmac
from collections.abc import Callable

import structlog
from typing import Any

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from hub.core.connector import Connector

__all__ = ["API_KEY_HEADER", "key_is_valid", "presented_key", "unauthorized", "forbidden", "require_api_key"]

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
    return HTTPException(401, detail=f"send a key of connectors.{connector}.api_keys in {API_KEY_HEADER} "
                                     "or Authorization: Bearer", headers={"WWW-Authenticate": "Bearer"})


def forbidden(connector: str) -> HTTPException:
    """A key that authenticates another partner: the caller is known, but may not speak for this connector."""
    log.warning("inbound_forbidden", connector=connector)
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
