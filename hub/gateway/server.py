"""Serving the gateway with uvicorn in a background thread: ``relais serve`` and ``relais run --http``.

Why a thread even for ``relais serve``: uvicorn run in the main thread re-raises the stop signal once it has shut
down, which would kill the process before the hub is closed; in a thread it leaves signals to the command.
"""

from __future__ import annotations

import threading
from typing import Any

from hub.gateway.app import create_app

__all__ = ["GatewayServer"]


class GatewayServer:
    """Serves the gateway with uvicorn in a background thread, next to ``relais run`` (``--http HOST:PORT``)."""

    def __init__(self, hub: Any, host: str, port: int):
        import uvicorn
        self.app = create_app(hub)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=host, port=port, log_config=None,
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="gateway", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.app.state.gateway.close()
