"""Failpoints: named places where a test can make the hub process die, to prove nothing acknowledged is lost.

``RELAIS_FAILPOINTS=after_journal,before_record_delivery`` makes the process ``SIGKILL`` itself when it reaches
those places. Read once at import; when the variable is unset a failpoint costs one set lookup.
"""

from __future__ import annotations

import os
import signal

__all__ = ["failpoint", "ACTIVE"]

ACTIVE = frozenset(filter(None, os.environ.get("RELAIS_FAILPOINTS", "").split(",")))


def failpoint(name: str) -> None:
    if name in ACTIVE:
        os.kill(os.getpid(), signal.SIGKILL)
