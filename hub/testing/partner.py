"""A fake partner HTTP endpoint for connector tests: records every request and answers as scripted.

It is a real server on 127.0.0.1 (an ephemeral port), so a connector under test uses its real HTTP client
(:class:`hub.HttpTarget`, httpx, requests…) unchanged. Failures are programmed ahead::

    fake_partner.fail(times=2, status=503)   # the next two requests get 503, then the default answer (200)
    fake_partner.hang(times=1)               # the next request gets no answer until release() (or the test's end)
    fake_partner.drop(times=1)               # the next request's connection is closed without an answer
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakePartner", "RecordedRequest", "ScriptedAnswer"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the partner received it; ``headers`` has lower-case names."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    drop: bool = False


class FakePartner:
    """Start with ``start()`` (the fixture does), stop with ``close()``; ``url`` is where to send."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.answers: list[ScriptedAnswer] = []     # what each request got, in the same order
        self.default = ScriptedAnswer(200, b'{"status": "ok"}', {"Content-Type": "application/json"})
        self._script: deque[ScriptedAnswer] = deque()
        self._lock = threading.Condition()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-partner", daemon=True)

    # --- scripting --------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url_for(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")

    def respond(self, status: int = 200, body: bytes | str = b"", headers: dict[str, str] | None = None,
                times: int = 1) -> None:
        """Queue ``times`` answers, used in order by the next requests before the default answer."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._script.extend(ScriptedAnswer(status, data, dict(headers or {})) for _ in range(times))

    def fail(self, times: int = 1, status: int = 503, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.respond(status, f'{{"error": "scripted failure {status}"}}', headers, times)

    def hang(self, times: int = 1) -> None:
        """The next ``times`` requests wait without an answer until :meth:`release` (or :meth:`close`)."""
        with self._lock:
            self._script.extend(ScriptedAnswer(hang=True) for _ in range(times))

    def drop(self, times: int = 1) -> None:
        with self._lock:
            self._script.extend(ScriptedAnswer(drop=True) for _ in range(times))

    def release(self) -> None:
        self._released.set()

    # --- observing --------------------------------------------------------------------------------------------
    @property
    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r.body for r in self.requests]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived; fail after ``timeout`` seconds, saying how many did."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"fake partner received {len(self.requests)} request(s), expected {count}")
            return list(self.requests)

    # --- serving ----------------------------------------------------------------------------------------------
    def _next_answer(self, request: RecordedRequest) -> ScriptedAnswer:
        with self._lock:
            self.requests.append(request)
            answer = self._script.popleft() if self._script else self.default
            self.answers.append(answer)
            self._lock.notify_all()
        return answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = partner._next_answer(RecordedRequest(self.command, self.path, headers, body))
                if answer.hang:
                    partner._released.wait()
                    self.close_connection = True
                    return
                if answer.drop:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_POST = do_PUT = do_GET = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
                """Silence the stdlib's per-request line on stderr: tests read what they need from ``requests``."""

        return Handler

    def start(self) -> "FakePartner":
        self._thread.start()
        return self

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
