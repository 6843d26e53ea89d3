"""The SIAO and the COMED drop files too: a file in the partner's own inbox directory is journaled as that partner
(entity stamped, ids scoped) and a bad record is kept in the dead letters with its path; a file naming another SIREN is refused whole and moved to rejected/ with its reason."""

from __future__ import annotations

import json

import pytest

from hub.core.runtime import Hub
from hub.testing import build_host
from tests.factories import siren
from tests.plugins.partners_support import ROOT, relais_cli, with_connectors

#: connector → (role, the example file, its list of records, a field to break in the second record)
CASES = {"siao": ("siao", "siao-2026-11-25.json", "records", ("syplo", "date")),
         "dalo": ("comed", "comed-2026-11-26.json", "decisions", ("date_decision",))}


@pytest.mark.parametrize("connector", sorted(CASES))
def test_a_partners_drop_is_journaled_as_it_and_a_bad_record_kept_with_its_path(hub_settings, connector):
    role, example, list_field, broken = CASES[connector]
    settings = with_connectors(hub_settings, **{connector: {}})
    own = siren()
    added = relais_cli(settings, connector, "partners", "add", "p1", "--siren", own, "--nom", "Partenaire", "--role",
                       role, "-c", connector)
    assert added.returncode == 0, added.stderr
    document = json.loads((ROOT / "examples" / "inbox" / connector / example).read_text(encoding="utf-8"))
    document[next(k for k in document if k in ("siao", "comed"))]["siren"] = own
    target = document[list_field][1]
    for part in broken[:-1]:
        target = target[part]
    target[broken[-1]] = "31/12/2026"
    forged = json.loads(json.dumps(document))
    forged[next(k for k in forged if k in ("siao", "comed"))]["siren"] = siren()

    inbox = settings.home / "inbox" / connector / "p1"
    inbox.mkdir(parents=True)
    (inbox / "a.json").write_text(json.dumps(document), encoding="utf-8")
    (inbox / "b.json").write_text(json.dumps(forged), encoding="utf-8")
    hub = Hub(settings, build_host([connector]))
    try:
        hub.run_once()
        [dead] = hub.journal.dead_letters(connector=connector)
        assert dead["field"] == f"{list_field}[1].{'.'.join(broken)}"
        history = hub.journal.history(document[list_field][0]["numero_unique"])
        assert history and {(h["source"], h["entity_siren"], h["entity_nom"]) for h in history} == \
            {(connector, own, "Partenaire")}                       # the registered partner, not the file's name
    finally:
        hub.close()
    # a file with a rejected record is moved aside too (its good records are journaled, the bad one is a dead letter)
    assert sorted(p.name for p in (inbox / "rejected").rglob("*.json")) == ["a.json", "b.json"]
    reason = next((inbox / "rejected").rglob("b.json.reason.txt")).read_text(encoding="utf-8")
    assert "entity.siren" in reason
