"""Running a hub in a thread until something happened, then stopping it (whatever the test asserted)."""

from __future__ import annotations

import threading

from hub import Connector, PartnerRole, hookimpl
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


class Keeping(Connector):
    """A partner that keeps what it receives — the event and the bytes it was sent — and sets ``done`` once it has
    ``expected`` of them (call :meth:`reset` before each hub)."""

    name = "keeping"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)
    received: list = []
    done = threading.Event()
    expected = 3

    def deliver(self, event, message) -> None:
        self.received.append((event, message.body))
        if len(self.received) >= self.expected:
            self.done.set()

    @classmethod
    def reset(cls) -> None:
        cls.received, cls.done = [], threading.Event()


class KeepingPlugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(Keeping)
