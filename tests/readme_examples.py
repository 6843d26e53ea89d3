"""The README examples a test runs as written: the ``curl`` commands of a plugin's README, the partner key and the
gateway's port substituted (``$RELAIS_KEY``, port ``8080``), so that the documented command is the tested one."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["curl_blocks", "runnable"]

_FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def curl_blocks(readme_path: Path | str) -> list[str]:
    """Every fenced code block of the README that is a ``curl`` command, its continuation lines joined."""
    text = Path(readme_path).read_text(encoding="utf-8")
    blocks = []
    for body in _FENCE.findall(text):
        command = re.sub(r"\\\n\s*", " ", body).strip()
        if command.startswith("curl "):
            blocks.append(command)
    return blocks


def runnable(command: str, *, key: str, port: int) -> str:
    """The README's command against a test gateway: its key for ``$RELAIS_KEY`` and its port for 8080. Fails when
    the placeholders are missing, so a README that stops naming them cannot pass silently."""
    if "$RELAIS_KEY" not in command or "127.0.0.1:8080" not in command:
        raise AssertionError(f"the README's curl must use $RELAIS_KEY and 127.0.0.1:8080: {command}")
    return command.replace("$RELAIS_KEY", key).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
