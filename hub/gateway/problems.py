"""Error answers of the gateway as RFC 9457 problem details (``application/problem+json``).

Why one format: a partner's integrator writes one error handler for every route — status, a stable ``type`` to
branch on, a human ``detail`` saying what to fix, and, when the message was rejected, the field paths of every
problem (``decisions[1].rang``). The models here are also the schemas the OpenAPI document publishes.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["PROBLEM_JSON", "Problem", "FieldProblem", "RejectedPart", "InboundAccepted", "problem",
           "install_problem_handlers", "PROBLEM_TYPES"]

PROBLEM_JSON = "application/problem+json"

#: The ``type`` of each problem the gateway sends, by status: stable URNs a client may branch on.
PROBLEM_TYPES = {
    400: "urn:relais:problem:rejected",
    401: "urn:relais:problem:unauthorized",
    403: "urn:relais:problem:forbidden",
    404: "urn:relais:problem:not-found",
    409: "urn:relais:problem:conflict",
    408: "urn:relais:problem:request-timeout",
    413: "urn:relais:problem:too-large",
    415: "urn:relais:problem:unsupported-media-type",
    429: "urn:relais:problem:too-many-requests",
    422: "urn:relais:problem:invalid-request",
    503: "urn:relais:problem:unavailable",
}


class FieldProblem(BaseModel):
    """One problem found in a message: where (field path, line) and what rule it breaks."""

    model_config = ConfigDict(extra="allow")

    reason: str
    field: str | None = Field(default=None, description="Path in the message, e.g. decisions[1].rang.")
    rule: str | None = None
    line: int | None = None
    file: str | None = None


class RejectedPart(BaseModel):
    """A rejected message or record, kept in the dead-letter store."""

    reason: str
    problems: list[FieldProblem]
    dead_letter_id: int | None = Field(default=None, description="`relais dead show ID` on the hub.")


class ConflictingPart(BaseModel):
    """409: an id the journal already holds, sent again with different content."""

    event_id: str
    sourcemessageid: str | None = Field(default=None, description="The id the partner reused (e.g. SIREN:decision).")
    journaled_id: str = Field(description="The event the journal holds under that id (`relais event ID`).")
    fields: list[str] = Field(description="Paths that differ from the journaled version (never their values).")
    dead_letter_id: int | None = Field(default=None, description="Where the refused message is kept.")


class Problem(BaseModel):
    """RFC 9457 problem details, with Relais's extension members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="A URN naming the kind of problem (urn:relais:problem:…).")
    title: str
    status: int
    detail: str = Field(description="What went wrong and how to fix it.")
    errors: list[FieldProblem] = Field(default_factory=list, description="Every problem found, with its field path.")
    message_id: str | None = None
    journaled: int | None = Field(default=None, description="Events of the message journaled (400: the good part).")
    duplicates: int | None = None
    event_ids: list[str] | None = None
    rejected: list[RejectedPart] | None = None
    conflicts: list[ConflictingPart] | None = None


class InboundAccepted(BaseModel):
    """202: every event of the message is durably in the journal (or already was)."""

    message_id: str
    journaled: int
    duplicates: int
    event_ids: list[str]


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPES.get(status, "about:blank"), "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, **{k: v for k, v in extensions.items() if v is not None}}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error FastAPI or a route raises (``HTTPException``, request validation) answers as a problem."""

    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"], "rule": e["type"]}
                  for e in exc.errors()]
        return problem(422, "the request does not match this route's parameters", errors=errors)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
