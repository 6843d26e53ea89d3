"""Owner-only files and directories: the journal, inboxes, outboxes and dead-letter exports hold households' names,
incomes and situations, so nothing the hub creates may be readable by other accounts on the machine.

Why explicit modes rather than a process umask: the hub runs inside other programs (tests, an embedding
application, a plugin's CLI) whose umask it must not change, and a file created before the umask was set would keep
the loose mode.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "private_dir", "private_file", "write_private"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; an existing directory is left as its owner set it (an
    inbox shared with a partner's transfer account may need group access, deliberately)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is owner-only (created 0600; an existing one tightened)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, body: bytes) -> Path:
    """Write ``body`` to ``path``, owner-only from the first byte (an export of a dead letter's payload)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(body)
    finally:
        os.close(fd)
    return path
