"""What every console page shares: the templates, the signed-in person, CSRF, the French error pages.

* **Session**: the cookie ``relais_session`` (``HttpOnly``, ``SameSite=Lax``, ``Secure`` when served over HTTPS)
  holds a random id; :class:`~hub.console.accounts.AccountStore` finds the person (idle sessions expire).
* **CSRF**: every form that POSTs carries the session's token (sign-in: a token in a cookie and in the form,
  compared); a POST without the right one is refused with 403 before anything is done.
* **Errors**: a page, never a traceback — 401 leads to sign-in, 403/404/422 say why in French naming the field.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from hub.console.accounts import AccountStore, Person
from hub.console.scope import Denied, Scope

__all__ = [
    "PRE_CSRF_COOKIE",
    "SESSION_COOKIE",
    "ConsoleError",
    "NotSignedIn",
    "accounts",
    "check_csrf",
    "client_address",
    "page_error",
    "render",
    "set_cookie",
    "signed_in",
    "templates",
]

log = structlog.get_logger(__name__)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
#: a dead letter's status as the pages say it
templates.env.globals["statuts"] = {"open": "ouverte", "retried": "relancée", "discarded": "abandonnée"}
SESSION_COOKIE = "relais_session"
PRE_CSRF_COOKIE = "relais_csrf"


class ConsoleError(Exception):
    """An answer other than the page: ``status`` and the French ``message`` shown on the error page."""

    def __init__(self, status: int, message: str, title: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title


class NotSignedIn(Exception):
    """No live session: the page sends the person to sign-in (and back afterwards)."""


def accounts(request: Request) -> AccountStore:
    return request.app.state.accounts


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_cookie(request: Request, response: Any, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/console", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def signed_in(request: Request) -> tuple[Person, Scope]:
    """The person of the request's session and their scope; :class:`NotSignedIn` otherwise."""
    person = accounts(request).person(request.cookies.get(SESSION_COOKIE))
    if person is None:
        raise NotSignedIn()
    try:
        scope = Scope(request.app.state.hub, person)
    except Denied as exc:
        raise ConsoleError(403, exc.message) from None
    request.state.person = person
    return person, scope


#: A console form is a few fields; a corrected file's upload is allowed its connector's limit on top of this.
FORM_BYTES = 64 * 1024


async def check_csrf(request: Request, person: Person | None, *, upload_bytes: int = 0) -> dict[str, Any]:
    """The form, once its CSRF token is the session's (or, before sign-in, the cookie's); 403 otherwise.

    The body is bounded before it is read (the console shares its process with the partners' gateway: an anonymous
    sign-in form must not be able to fill its memory or disk): a declared length is required and at most
    ``FORM_BYTES`` plus ``upload_bytes``; the parser takes at most one file and a few fields."""
    expected = person.csrf if person is not None else request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected:
        raise _refused()
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise ConsoleError(411, "Formulaire refusé : longueur du contenu absente (en-tête Content-Length).")
    if int(declared) > FORM_BYTES + upload_bytes:
        raise ConsoleError(413, f"Formulaire refusé : plus de {FORM_BYTES + upload_bytes} octets.")
    form = await request.form(max_files=1 if upload_bytes else 0, max_fields=20, max_part_size=FORM_BYTES)
    given = str(form.get("csrf", ""))
    if not given or not hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                            expected.encode("utf-8", "surrogatepass")):
        raise _refused()
    return dict(form)


def _refused() -> ConsoleError:
    log.warning("console_csrf_refused")
    return ConsoleError(403, "Le formulaire a expiré ou ne vient pas de la console (jeton anti-falsification "
                             "absent ou invalide). Rechargez la page et recommencez.", "Formulaire refusé")


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    person = getattr(request.state, "person", None)
    return templates.TemplateResponse(request, template, {"person": person, "csrf": person.csrf if person else "",
                                                          **context}, status_code=status)


def page_error(request: Request, status: int, message: str, title: str | None = None) -> HTMLResponse:
    titles = {400: "Saisie incorrecte", 401: "Connexion requise", 403: "Accès refusé", 404: "Introuvable",
              405: "Méthode non permise", 413: "Fichier trop volumineux", 422: "Saisie incorrecte",
              500: "Erreur interne", 503: "Service indisponible"}
    return render(request, "erreur.html", status=status, title=title or titles.get(status, "Erreur"),
                  message=message, code=status)


def install_handlers(app: Any) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(ConsoleError)
    async def console_error(request: Request, exc: ConsoleError) -> HTMLResponse:
        return page_error(request, exc.status, exc.message, exc.title)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> HTMLResponse:
        return page_error(request, 403, exc.message)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote
        return RedirectResponse(f"/console/connexion?suite={quote(target, safe='')}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "requête"
            parts.append(f"champ « {where} » : {_french(err)}")
        return page_error(request, 422, "; ".join(parts) or "saisie incorrecte")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        message = {404: "Cette page n'existe pas dans la console.", 405: "Cette adresse ne s'utilise pas ainsi."}
        return page_error(request, exc.status_code, message.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> HTMLResponse:
        reference = secrets.token_hex(4)
        log.error("console_error", path=request.url.path, error_type=type(exc).__name__, reference=reference)
        return page_error(request, 500, f"Une erreur interne est survenue (référence {reference}, à donner à "
                                        "l'administrateur ; le détail est dans le journal du hub).")


def _french(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "obligatoire"
    if kind == "string_pattern_mismatch":
        return "format attendu non respecté"
    if kind in ("int_parsing", "int_type"):
        return "un nombre entier est attendu"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"valeur hors limites ({', '.join(f'{k} {v}' for k, v in ctx.items())})"
    if kind == "string_too_long":
        return f"trop long (au plus {ctx.get('max_length')} caractères)"
    if kind == "literal_error" or kind == "enum":
        return f"valeur non reconnue (attendu : {ctx.get('expected', '?')})"
    return "valeur incorrecte"
