"""The example third-party processor (examples/relance_pieces): its own tests pass as an author runs them, and it uses
only the public plugin API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.sdk.test_public_api import internal_imports

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "relance_pieces"


def test_its_own_tests_pass_with_the_relais_pytest_plugin():
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=EXAMPLE,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "3 passed" in out.stdout


def test_it_imports_only_the_public_api():
    assert internal_imports(EXAMPLE / "src", own_package="relais_relance_pieces") == []
