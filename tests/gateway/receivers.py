"""A partner's webhook receiver for the tests: an ASGI app served by uvicorn (``tests.asgi.serve``) that checks the
hub's signature and records what it accepted, with the behaviours the tests need (fail, block, count in flight)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from hub.webhooks import SIGNATURE_HEADER, SignatureMismatch, verify


@dataclass
class Receiver:
    secret: str
    status: int = 200                       # what it answers once the signature is checked
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None     # set: answer; unset: every request waits (a slow partner)
    delay: float = 0.0                      # seconds every answer takes (a partner slow to fail, say)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/events")
        async def events(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.calls += 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.hold is not None:   # waits off the event loop: other requests go on meanwhile
                    await anyio.to_thread.run_sync(self.hold.wait, 20)
                if self.delay:
                    await anyio.sleep(self.delay)
                try:
                    verify(self.secret, request.headers.get(SIGNATURE_HEADER), body)
                except SignatureMismatch as exc:
                    with self.lock:
                        self.refused.append(str(exc))
                    return JSONResponse({"error": str(exc)}, status_code=400)
                if self.status >= 300:
                    return Response(status_code=self.status, headers=self.headers)
                with self.lock:
                    self.accepted.append({"headers": dict(request.headers), "body": body})
                return Response(status_code=204)
            finally:
                with self.lock:
                    self.in_flight -= 1

        return app

    def event_ids(self) -> list[str]:
        with self.lock:
            return [a["headers"]["idempotency-key"] for a in self.accepted]


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
