"""A partner system for fault tests: an HTTP endpoint on 127.0.0.1 (random port) that counts what it accepts.

It behaves like a careful real partner: it accepts an event once, keyed by the ``Idempotency-Key`` header the hub
sends (the event id), and answers a redelivery of an accepted event with 200 without accepting it again — so a
test can tell "accepted exactly once" (``accepted[id] == 1``) from "seen again" (``redelivered``). A call it
refuses (the ``refuse`` hook answers a status) is refused *before* acceptance, as a partner that is down would.
It records, per demand (the envelope's ``subject``), the order in which events were accepted, and which hub
process (``X-Hub-Pid``) delivered each.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FakePartner", "Call"]


class Call:
    """What the partner saw of one request, for a ``refuse`` hook to decide on."""

    def __init__(self, key: str, envelope: dict, number: int):
        self.key = key
        self.envelope = envelope
        self.number = number          # 1-based index of this call among all calls


class FakePartner:
    def __init__(self, refuse: Callable[[Call], int | None] | None = None):
        self.refuse = refuse          # returns an HTTP status to refuse with, or None to accept
        self.accepted: Counter[str] = Counter()
        self.redelivered: Counter[str] = Counter()
        self.refused = 0
        self.calls = 0
        self.order: dict[str | None, list[str]] = defaultdict(list)
        self.delivered_by: dict[str, str] = {}
        self.hang = threading.Event()   # set: every call waits until it is cleared (or 30 s), then fails
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-partner", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/events"

    def __enter__(self) -> "FakePartner":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hang.clear()
        self._server.shutdown()
        self._server.server_close()

    # --- what tests read ----------------------------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def duplicates(self) -> dict[str, int]:
        """Events accepted more than once: must always be empty."""
        with self._lock:
            return {k: n for k, n in self.accepted.items() if n != 1}

    def wait_for(self, count: int, timeout: float = 180.0, what: str = "deliveries") -> None:
        """Block until ``count`` distinct events were accepted (a liveness bound, not a speed assertion)."""
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"partner accepted {self.count()} of {count} {what} before giving up")
            time.sleep(0.02)

    # --- the endpoint -------------------------------------------------------------------------------------------
    def _receive(self, key: str, body: bytes, pid: str | None) -> int:
        envelope = json.loads(body)
        with self._lock:
            self.calls += 1
            call = Call(key, envelope, self.calls)
        if self.hang.is_set():
            deadline = time.monotonic() + 30
            while self.hang.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)
            return 503
        status = self.refuse(call) if self.refuse else None
        with self._lock:
            if status is not None:
                self.refused += 1
                return status
            if key in self.accepted:
                self.redelivered[key] += 1
                return 200
            self.accepted[key] += 1
            self.order[envelope.get("subject")].append(key)
            if pid:
                self.delivered_by[key] = pid
            return 201

    def _handler(self):
        partner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as the hub's client pools connections

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = partner._receive(self.headers.get("Idempotency-Key", ""), body,
                                          self.headers.get("X-Hub-Pid"))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:   # quiet
                pass

        return Handler
