"""A landlord's reference client for a Relais hub: post CAL decisions, pull and acknowledge the events that concern
it, and check the signature of the hub's webhooks. One file, httpx only: copy it, adapt it.

    python relais_client.py --url https://relais.example --key-file key.txt post decisions.json
    python relais_client.py --url https://relais.example --key-file key.txt pull --out events/
    python relais_client.py receive --port 8088 --secret-file secret.txt --out events/

Why it pulls then acknowledges: the hub serves the same events until they are acknowledged (at-least-once); store
each event first (its ``id`` is unique: storing it twice must be harmless), then acknowledge, so that a crash
between the two costs a duplicate, never a loss.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx

__all__ = ["RelaisClient", "SignatureError", "make_receiver", "verify_signature"]

SIGNATURE_HEADER = "Relais-Signature"
DECISIONS_FORMAT = "relais.bailleurs.decisions_cal/1"
MAX_BODY = 5 * 1024 * 1024


class SignatureError(ValueError):
    """A webhook request that the hub did not sign with our secret within the window: refuse it."""


def verify_signature(secret: str, header: str | None, body: bytes, now: float | None = None,
                     tolerance: float = 300) -> int:
    """Check ``Relais-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`` on the raw body; return t."""
    if not header:
        raise SignatureError("missing Relais-Signature header")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("Relais-Signature has no valid t=<unix seconds>") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError(f"timestamp outside the {tolerance:g}s window (replayed, or a clock to set right)")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise SignatureError("signature does not match (tampered body, or another secret)")
    return timestamp


class RelaisClient:
    """The hub's partner API with one key (``rk_…``, from ``relais partners add``)."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
                                 headers={"Authorization": f"Bearer {key}"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post_decisions(self, decisions: list[dict[str, Any]], siren: str, nom: str,
                       message_id: str | None = None) -> dict[str, Any]:
        """Post CAL decisions; returns the hub's 202 answer. A 4xx raises with the problem's fields in the message."""
        document = {"format": DECISIONS_FORMAT, "bailleur": {"siren": siren, "nom": nom}, "decisions": decisions}
        headers = {"Idempotency-Key": message_id} if message_id else {}
        return self._json(self.http.post("/v1/inbound/bailleurs", json=document, headers=headers))

    def pull(self, after: str | None = None, limit: int = 100) -> dict[str, Any]:
        """One page of pending events: ``{"events": [...], "cursor": ..., "more": bool}``."""
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        return self._json(self.http.get("/v1/partners/me/events", params=params))

    def acknowledge(self, cursor: str | None = None, ids: list[str] | None = None) -> int:
        body: dict[str, Any] = {}
        if cursor:
            body["cursor"] = cursor
        if ids:
            body["ids"] = ids
        return self._json(self.http.post("/v1/partners/me/events/ack", json=body))["acknowledged"]

    def pull_all(self, handle: Callable[[dict[str, Any]], None], limit: int = 100) -> int:
        """Hand every pending event to ``handle`` (which must store it), acknowledging each page once handled."""
        handled = 0
        while True:
            page = self.pull(limit=limit)
            for event in page["events"]:
                handle(event)
            if not page["events"]:
                return handled
            handled += len(page["events"])
            self.acknowledge(ids=[e["id"] for e in page["events"]])

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:300]}
            fields = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in problem.get("errors", []) or [])
            raise RuntimeError(f"HTTP {response.status_code}: {problem.get('detail')}" + (f" ({fields})" if fields
                                                                                            else ""))
        return response.json()


def store_event(directory: Path) -> Callable[[dict[str, Any]], None]:
    """One file per event, named by its id (a redelivery rewrites the same file), written then renamed."""
    directory.mkdir(parents=True, exist_ok=True)

    def store(event: dict[str, Any]) -> None:
        target = directory / f"{event['id']}.json"
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(event, ensure_ascii=False), encoding="utf-8")
        partial.replace(target)

    return store


def make_receiver(secret: str, handle: Callable[[dict[str, Any]], None], host: str = "127.0.0.1",
                  port: int = 0) -> ThreadingHTTPServer:
    """A tiny webhook receiver: 400 for a request the hub did not sign, 204 once ``handle`` stored the event.
    Serve it with ``serve_forever()`` (behind a TLS-terminating proxy in production)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._answer(413, "too large")
            body = self.rfile.read(length)
            try:
                verify_signature(secret, self.headers.get(SIGNATURE_HEADER), body)
                event = json.loads(body)
            except (SignatureError, ValueError) as exc:
                return self._answer(400, str(exc))
            handle(event)
            return self._answer(204, "")

        def _answer(self, status: int, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:   # no request lines on stderr (event ids are enough)
            return

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="The hub's gateway, e.g. https://relais.example")
    parser.add_argument("--key-file", type=Path, help="File holding the partner key (rk_…).")
    sub = parser.add_subparsers(dest="command", required=True)
    post = sub.add_parser("post", help="Post a JSON file of decisions (a list, or a full decisions document).")
    post.add_argument("file", type=Path)
    post.add_argument("--siren", help="Our SIREN (when the file is a list of decisions).")
    post.add_argument("--nom", default="", help="Our name (when the file is a list of decisions).")
    pull = sub.add_parser("pull", help="Store every pending event in a directory, then acknowledge it.")
    pull.add_argument("--out", type=Path, required=True)
    receive = sub.add_parser("receive", help="Receive signed webhooks into a directory.")
    receive.add_argument("--port", type=int, default=8088)
    receive.add_argument("--secret-file", type=Path, required=True)
    receive.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "receive":
        server = make_receiver(args.secret_file.read_text().strip(), store_event(args.out), port=args.port)
        print(f"receiving on port {server.server_address[1]}", flush=True)
        server.serve_forever()
        return 0
    if not args.url or not args.key_file:
        parser.error("--url and --key-file are needed to talk to the hub")
    with RelaisClient(args.url, args.key_file.read_text().strip()) as client:
        if args.command == "post":
            loaded = json.loads(args.file.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                answer = client.post_decisions(loaded["decisions"], loaded["bailleur"]["siren"],
                                               loaded["bailleur"].get("nom", ""))
            else:
                answer = client.post_decisions(loaded, args.siren, args.nom)
            print(f"{answer['journaled']} journaled, {answer['duplicates']} already known")
        else:
            print(f"{client.pull_all(store_event(args.out))} event(s) stored in {args.out} and acknowledged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
