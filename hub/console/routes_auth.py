"""Sign-in and sign-out of the console's people (accounts: ``relais console users``)."""

from __future__ import annotations

import secrets

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.console.accounts import SignInRefused
from hub.console.web import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    accounts,
    check_csrf,
    client_address,
    render,
    set_cookie,
    signed_in,
)
from hub.core.audit import AuditEntry, AuditKind

__all__ = ["router"]

log = structlog.get_logger(__name__)
router = APIRouter()


def _next(target: str | None) -> str:
    """Where to go after signing in: a page of the console only (never another site: no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/flux"


def _sign_in_page(request: Request, suite: str, status: int = 200, error: str | None = None,
                  email: str = "") -> HTMLResponse:
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "connexion.html", status=status, error=error, suite=suite, email=email,
                      sign_in_csrf=token)
    set_cookie(request, response, PRE_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/console/flux", status_code=303)


@router.get("/connexion", response_class=HTMLResponse)
def sign_in_form(request: Request, suite: str = "") -> HTMLResponse:
    return _sign_in_page(request, _next(suite))


@router.post("/connexion", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await check_csrf(request, None)
    email, password = str(form.get("email", ""))[:254], str(form.get("motdepasse", ""))[:1024]
    suite = _next(str(form.get("suite", "")))
    hub = request.app.state.hub
    if not email.strip() or not password:
        missing = "adresse électronique" if not email.strip() else "mot de passe"
        return _sign_in_page(request, suite, 422, f"Le champ « {missing} » est obligatoire.", email)
    try:
        person, session_id = await run_in_threadpool(accounts(request).sign_in, email, password,
                                                      client_address(request))
    except SignInRefused as refused:
        # who it claimed to be: a known account, else a keyed hash of what was typed, never the text
        hub.audit.record(AuditEntry(kind=AuditKind.INBOUND, actor=refused.actor,
                                    outcome="refused", action="console sign-in",
                                    reason="locked out" if refused.locked else "bad credentials"))
        log.info("console_sign_in_refused", locked=refused.locked)
        return _sign_in_page(request, suite, 429 if refused.locked else 401, refused.message, email)
    hub.audit.record(AuditEntry(kind=AuditKind.INBOUND, actor=person.actor, outcome="accepted",
                                action="console sign-in"))
    response = RedirectResponse(suite, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(PRE_CSRF_COOKIE, path="/console")
    return response


@router.post("/deconnexion")
async def sign_out(request: Request) -> RedirectResponse:
    person, _scope = signed_in(request)
    await check_csrf(request, person)
    accounts(request).sign_out(person)
    response = RedirectResponse("/console/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response
