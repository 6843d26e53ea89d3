"""The shell examples of a README, as the tests run them: a documented command that no longer works fails CI.

Why: a partner's integrator copies the README's ``curl`` line first; it must work as written.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["curl_blocks", "runnable", "shell_commands"]

_FENCE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
_SHELLS = {"", "sh", "bash", "shell", "console"}


def shell_commands(readme_path: Path | str) -> list[str]:
    """Every command of the README's shell blocks, a command continued over lines (``\\`` at the end) joined into
    one; comments and blank lines left out."""
    text = Path(readme_path).read_text(encoding="utf-8")
    commands: list[str] = []
    for block in _FENCE.finditer(text):
        if block.group("lang") not in _SHELLS:
            continue
        pending = ""
        for line in block.group("body").splitlines():
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if stripped.endswith("\\"):
                pending += stripped[:-1].rstrip() + " "
                continue
            commands.append((pending + stripped).strip())
            pending = ""
        if pending:
            commands.append(pending.strip())
    return commands


def curl_blocks(readme_path: Path | str) -> list[str]:
    """The README's ``curl`` commands, each as one line that a shell runs as written."""
    return [c for c in shell_commands(readme_path) if c.split(maxsplit=1)[0] == "curl"]


def runnable(command: str, *, key: str, port: int) -> str:
    """The README's command against a test gateway: its key for ``$RELAIS_KEY`` and its port for 8080. Fails when
    the placeholders are missing, so a README that stops naming them cannot pass silently."""
    if "$RELAIS_KEY" not in command or "127.0.0.1:8080" not in command:
        raise AssertionError(f"the README's curl must use $RELAIS_KEY and 127.0.0.1:8080: {command}")
    return command.replace("$RELAIS_KEY", key).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
