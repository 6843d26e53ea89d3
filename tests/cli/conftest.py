"""Fixtures of the command-line tests: ``relais`` run in process (click's runner) from an empty directory with none
of the developer's ``RELAIS_*`` variables, so that a test sees exactly the configuration it writes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner

from hub.cli import prepare


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        """The line a script or an operator reads first: click's ``Error: …`` line (after a usage reminder, for a
        usage error), else the first line of standard error."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("Error: ")]
        return errors[0] if errors else (lines[0] if lines else "")


@pytest.fixture
def relais(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """``relais(*args, env={...})`` → :class:`Outcome`, run in ``tmp_path`` with an embedded home there."""
    saved_env = dict(os.environ)
    saved_logging = structlog.get_config()
    for name in list(os.environ):
        if name.startswith("RELAIS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    group = prepare()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None, bare: bool = False) -> Outcome:
        """``bare``: no ``RELAIS_*`` variable at all (the hub's home is then ``./var/relais``)."""
        base = {} if bare else {"RELAIS_HOME": str(tmp_path / "home"), "RELAIS_LOG_FORMAT": "json",
                                "RELAIS_SEED_EXAMPLES": "false"}
        result = CliRunner().invoke(group, list(args), env={**base, **(env or {})}, input=input,
                                    catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    try:
        yield run
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        structlog.configure(**saved_logging)
        sys.stdout.flush()
