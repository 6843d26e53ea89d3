"""The console application: the pages under ``/console`` of the gateway (``relais run --http``, ``relais serve``).

A FastAPI sub-application mounted by :func:`hub.gateway.create_app`, so that its HTML error pages never mix with
the partner API's RFC 9457 problems and its routes stay out of the partners' OpenAPI document. Static files (one
stylesheet, no script needed) come from the package: nothing to build.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hub.console import routes_auth, routes_data, routes_ops
from hub.console.accounts import AccountStore, login_key
from hub.console.web import HERE, install_handlers

__all__ = ["create_console"]


def create_console(hub: Any) -> FastAPI:
    """The console for a constructed hub: its journal holds the accounts, its clock times sessions and lockouts."""
    console = FastAPI(title="Relais console", docs_url=None, redoc_url=None, openapi_url=None)
    console.state.hub = hub
    console.state.accounts = AccountStore(hub.journal.engine, hub.clock, key=login_key(hub.home))
    install_handlers(console)
    console.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (routes_auth, routes_ops, routes_data):
        console.include_router(module.router)

    @console.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                    "style-src 'self'; frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/console/public"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return console
