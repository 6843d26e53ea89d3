"""Serving the gateway with uvicorn in a background thread: ``relais serve`` and ``relais run --http``.

Why a thread even for ``relais serve``: uvicorn run in the main thread re-raises the stop signal once it has shut
down, which would kill the process before the hub is closed; in a thread it leaves signals to the command.
"""

from __future__ import annotations

import errno
import socket
import ssl
import threading
import time
from typing import Any

from hub.core.errors import StartupError
from hub.gateway.app import create_app
from hub.gateway.limits import MAX_HEADER_BYTES, HeaderDeadlineProtocol

__all__ = ["GatewayServer", "tls_options"]


def tls_options(settings: Any) -> dict[str, Any]:
    """uvicorn's TLS settings from the hub's: HTTPS with ``gateway_tls_certfile``/``keyfile``; with
    ``gateway_tls_client_ca``, mutual TLS where a client certificate is optional (partners may still use keys) but,
    when presented, must be signed by that CA — its subject then identifies the partner."""
    if settings.gateway_tls_certfile is None:
        if settings.gateway_tls_keyfile is not None or settings.gateway_tls_client_ca is not None:
            raise StartupError("gateway_tls_keyfile and gateway_tls_client_ca need gateway_tls_certfile (the "
                               "gateway's own certificate); set it, or unset them to serve plain HTTP")
        return {}
    options: dict[str, Any] = {"ssl_certfile": str(settings.gateway_tls_certfile),
                               "ssl_keyfile": str(settings.gateway_tls_keyfile) if settings.gateway_tls_keyfile
                               else None}
    if settings.gateway_tls_client_ca is not None:
        options.update(ssl_ca_certs=str(settings.gateway_tls_client_ca), ssl_cert_reqs=ssl.CERT_OPTIONAL)
    return options


class GatewayServer:
    """Serves the gateway with uvicorn in a background thread, next to ``relais run`` (``--http HOST:PORT``)."""

    def __init__(self, hub: Any, host: str, port: int):
        import uvicorn
        self.host, self.port = host, port
        self.app = create_app(hub)
        settings = hub.settings
        protocol = type("GatewayProtocol", (HeaderDeadlineProtocol,), {"read_timeout": settings.gateway_read_timeout})
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, host=host, port=port, log_config=None, access_log=False, lifespan="on", http=protocol,
            limit_concurrency=settings.gateway_max_connections,
            timeout_keep_alive=max(1, round(settings.gateway_keep_alive)),
            h11_max_incomplete_event_size=MAX_HEADER_BYTES, **tls_options(settings)))
        self.scheme = "https" if settings.gateway_tls_certfile else "http"
        self.thread = threading.Thread(target=self._serve, name="gateway", daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:   # uvicorn's way of saying it could not bind: start() reports why, as one line
            pass

    def start(self, timeout: float = 30.0) -> None:
        """Start serving and return once the port is bound; raise :class:`StartupError` (saying why) if it cannot
        be — uvicorn would otherwise end its thread quietly and leave a hub running without its gateway."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise StartupError(f"the gateway could not listen on {self.host}:{self.port}: {self._why()}")
            time.sleep(0.02)

    def _why(self) -> str:
        """Why binding failed, as the system says it (uvicorn only logs it)."""
        try:
            with socket.create_server((self.host, self.port)):
                return "uvicorn did not start (see the log above)"
        except OSError as exc:
            hint = "; choose another port or stop the process using it" if exc.errno == errno.EADDRINUSE else ""
            return f"{exc.strerror or exc}{hint}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.app.state.gateway.close()
