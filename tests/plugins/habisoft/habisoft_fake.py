"""A local stand-in for a Habisoft endpoint, for tests: FastAPI under uvicorn in a thread on 127.0.0.1.

It validates what it receives against habisoft.xsd (a ``rejet`` with HTTP 400 when invalid), keeps each accepted
document with its Idempotency-Key, and can be told to fail the next calls in each way the client must handle."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response

from hub.xml_safe import parse
from plugins.habisoft.schema import NS, habisoft_schema, q
from tests.asgi import free_port, serve  # noqa: F401  (re-exported for the tests)


@dataclass
class FakeHabisoft:
    received: list[tuple[str, bytes]] = field(default_factory=list)     # (Idempotency-Key, body)
    failures: deque[str] = field(default_factory=deque)

    def fail_next(self, *kinds: str) -> None:
        """Queue failures: http-500, http-503, http-429, http-400, http-422-rejet, slow."""
        self.failures.extend(kinds)


def _rejet(code: str, chemin: str) -> bytes:
    return (f'<hab:rejet xmlns:hab="{NS}"><hab:code>{code}</hab:code><hab:chemin>{chemin}</hab:chemin>'
            "<hab:message>Donnée refusée</hab:message></hab:rejet>").encode()


def build_app(fake: FakeHabisoft) -> FastAPI:
    app = FastAPI()

    @app.post("/habisoft/evenements")
    async def receive(request: Request) -> Response:
        body = await request.body()
        failure = fake.failures.popleft() if fake.failures else None
        if failure == "slow":
            time.sleep(1.5)
        if failure == "http-500":
            return Response(b"boom", status_code=500)
        if failure == "http-503":
            return Response(b"", status_code=503, headers={"Retry-After": "30"})
        if failure == "http-429":
            return Response(b"", status_code=429)
        if failure == "http-400":
            return Response(b"mauvaise requete", status_code=400)
        if failure == "http-422-rejet":
            return Response(_rejet("HAB-042", "evenement/decisionCal/rang"), status_code=422,
                            media_type="application/xml")
        root = parse(body, origin="post", expected_root=(q("fichierPartage"), q("evenement")))
        problems = habisoft_schema().problems(root)
        if problems:
            return Response(_rejet("XSD", problems[0].field or ""), status_code=400, media_type="application/xml")
        fake.received.append((request.headers.get("Idempotency-Key", ""), body))
        return Response(status_code=202)

    return app

