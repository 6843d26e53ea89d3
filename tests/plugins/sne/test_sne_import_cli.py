"""``relais import --connector sne``: a real extraction through the hub, twice — the second import changes nothing."""

from __future__ import annotations

import subprocess
import sys

from plugins.sne.synthetic import write_extraction
from tests.conftest import env_for


def _import(settings, path, status: int = 0):
    out = subprocess.run([sys.executable, "-m", "hub", "import", "--connector", "sne", "--no-progress", str(path)],
                         capture_output=True, text=True, env=env_for(settings, RELAIS_PLUGINS="sne"), timeout=300)
    assert out.returncode == status, out.stderr[-3000:]
    return out.stdout


def test_reimporting_an_extraction_reports_everything_unchanged(tmp_path):
    from hub.settings import HubSettings
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    path = write_extraction(tmp_path / "extraction.xml", 300, seed=7, distinct=20)
    first = _import(settings, path)
    assert "300 imported, 0 updated, 0 unchanged, 0 rejected" in first
    second = _import(settings, path)
    assert "0 imported, 0 updated, 300 unchanged, 0 rejected" in second


def test_a_corrupted_record_is_rejected_with_its_line_and_the_import_goes_on(tmp_path):
    from hub.settings import HubSettings
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    path = write_extraction(tmp_path / "extraction.xml", 50, seed=3, distinct=10)
    text = path.read_text(encoding="utf-8")
    # break one record's registration date: its record is refused, the 49 others go in
    marker = "<ns1:dateCreationDemande>"
    cut = text.index(marker, len(text) // 2) + len(marker)
    path.write_text(text[:cut] + "2026-13-45" + text[cut + 10:], encoding="utf-8")
    out = _import(settings, path, status=3)   # some records rejected: a script must know
    assert "49 imported" in out and "1 rejected" in out
    listing = subprocess.run([sys.executable, "-m", "hub", "dead", "list", "--connector", "sne"],
                             capture_output=True, text=True, env=env_for(settings, RELAIS_PLUGINS="sne"), timeout=120)
    assert "extraction.xml" in listing.stdout and "line" in listing.stdout
