"""Running a hub in a thread until something happened, then stopping it (whatever the test asserted)."""

from __future__ import annotations

import threading

from hub.core.runtime import Hub


def run_until(hub: Hub, done: threading.Event, timeout: float = 30.0) -> bool:
    """``hub.run`` in a thread until ``done`` is set or ``timeout`` seconds passed; whether ``done`` was set. The hub
    is stopped and its thread joined before this returns."""
    stop = threading.Event()
    runner = threading.Thread(target=hub.run, args=(stop,))
    runner.start()
    try:
        return done.wait(timeout)
    finally:
        stop.set()
        runner.join(timeout)
