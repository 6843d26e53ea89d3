"""HTTP delivery to a Habisoft endpoint: one POST of one ``fichierPartage`` document per event.

Why plain HTTP rather than SOAP: the format is Relais's own; a POST with ``Content-Type: application/xml`` and an
``Idempotency-Key`` (the event id) is the least a fichier partagé's editor has to implement. Failures follow the
hub's error tree: connection errors, timeouts, HTTP 5xx/408/425/429 → :class:`~hub.RetryableError`; other 4xx →
:class:`~hub.RejectError` with Habisoft's rejection (``rejet``: code, chemin) when it sends one.
"""

from __future__ import annotations

import httpx
import structlog

from hub import ErrorLocation, RejectError, RetryableError
from hub.xml import XmlLimits, parse
from plugins.habisoft.schema import q

__all__ = ["HabisoftClient"]

log = structlog.get_logger(__name__)
_RETRYABLE = {408, 425, 429}
_REPLY_LIMITS = XmlLimits(max_bytes=1024 * 1024)


class HabisoftClient:
    def __init__(self, endpoint: str, *, timeout: float = 30.0, connect_timeout: float = 5.0,
                 token: str | None = None, verify: bool | str = True, transport: httpx.BaseTransport | None = None):
        headers = {"User-Agent": "relais-habisoft", "Content-Type": "application/xml; charset=utf-8"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.endpoint = endpoint
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=connect_timeout), headers=headers,
                                    verify=verify, transport=transport)

    def close(self) -> None:
        self._client.close()

    def send(self, body: bytes, *, event_id: str, filename: str) -> None:
        """POST one document; returns when Habisoft accepted it (2xx), raises otherwise."""
        try:
            reply = self._client.post(self.endpoint, content=body, headers={"Idempotency-Key": event_id})
        except httpx.TimeoutException as exc:
            raise RetryableError(f"Habisoft: timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"Habisoft: connection failed ({type(exc).__name__})") from exc
        log.info("habisoft_post", event_id=event_id, status=reply.status_code)
        if reply.is_success:
            return
        if reply.status_code >= 500 or reply.status_code in _RETRYABLE:
            retry_after = reply.headers.get("Retry-After")
            raise RetryableError(f"Habisoft: HTTP {reply.status_code}",
                                 retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)
        code, field = _rejection(reply.content)
        reason = f"Habisoft refused the event: HTTP {reply.status_code}" + (f", {code}" if code else "")
        raise RejectError(reason, location=ErrorLocation(file=filename, field=field))


def _rejection(body: bytes) -> tuple[str | None, str | None]:
    """Habisoft's ``rejet`` (code and path of the offending field), if the reply is one; never its free text."""
    if not body.strip().startswith(b"<"):
        return None, None
    try:
        root = parse(body, origin="habisoft-reply", limits=_REPLY_LIMITS, expected_root=q("rejet"))
    except RejectError:
        return None, None
    return root.findtext(q("code")), root.findtext(q("chemin"))
