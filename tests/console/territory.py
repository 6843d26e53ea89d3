"""A small territory for the console's tests: two demands (one wishing the landlord OPHIS's commune, one wishing a
commune of another landlord), their cotation, a CAL decision and a priority label; the registry's partners (the
device's manager, two landlords) and their people; one inbound dead letter. Fixed dates, a fixed clock: the same
data whatever the day the tests run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from contracts import REGISTRY
from contracts.events import BailSigne
from hub import RawMessage
from hub.console.accounts import AccountStore
from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.runtime import Hub
from plugins.sne.synthetic import SyntheticSne
from tests.contracts.contracts_factories import exemple
from tests.factories import decision, decisions_document
from tests.plugins.lifecycle.test_echeances_walkthrough import _registration

PASSWORD = "correct horse battery staple"
TODAY = date(2026, 3, 2)
PLUGINS = ["bailleurs", "habisoft", "dossier", "cotation", "lifecycle", "listes", "statistics"]
GESTIONNAIRE = "gestionnaire@epci.example.fr"
OPHIS = "agent@ophis.example.fr"
LECTEUR = "lecteur@epci.example.fr"
AUTRE = "agent@autre-bailleur.example.fr"


class Clock:
    """The hub's clock, moved by the tests (session expiry, lockout window)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Territory:
    hub: Hub
    clock: Clock
    mine: str          # a demand wishing OPHIS's commune
    other: str         # a demand wishing only another landlord's commune
    dead_letter: int
    bad: bytes
    fixed: bytes
    names: list[str]   # the applicants' names (never in a log or the audit trail)


def _bad_and_fixed() -> tuple[bytes, bytes]:
    """A CAL decision missing its rank (rejected), then the same decision corrected."""
    wrong = decision(decision="attribution_rang", id="CONSOLE-1")
    wrong.pop("rang", None)
    fixed = {**wrong, "rang": 1}
    return json.dumps(decisions_document([wrong])).encode(), json.dumps(decisions_document([fixed])).encode()


def build(settings: Any) -> Territory:
    clock = Clock(end_of_day(TODAY) - timedelta(hours=6))
    hub = Hub(settings, PluginHost.load(allow=PLUGINS), clock=clock)
    sne = SyntheticSne(seed=19)
    registered = date(2025, 2, 3)
    first = _registration(sne, registered, courriel=True)
    second = _registration(sne, registered, courriel=False)
    ours = first.data.demande.souhaits.communes[0]
    theirs = next(c for c in ["63113", "63124", "63178", "63300"] if c not in first.data.demande.souhaits.communes)
    second = second.model_copy(update={"data": second.data.model_copy(update={"demande": second.data.demande.model_copy(
        update={"souhaits": second.data.demande.souhaits.model_copy(update={"communes": (theirs,)})})})})
    derived = []
    for i, nu in enumerate((first.subject, second.subject)):
        for j, name in enumerate(("cotation_calculee.v1", "decision_cal.v1", "label_prioritaire_pose.v1")):
            payload = exemple(name).model_copy(update={"numero_unique": nu})
            derived.append(REGISTRY.build(payload, source="tests", entity=first.entity,
                                          time=end_of_day(date(2025, 6, 1)), id=f"c{i}{j}-{nu}"))
    # a third household housed in 2025: one attribution in its commune, a cell statistical secrecy must hide
    housed = _registration(sne, date(2024, 5, 6), courriel=False)
    lease = REGISTRY.build(BailSigne(numero_unique=housed.subject, rpls="0001234567",
                                     commune=housed.data.demande.souhaits.communes[0],
                                     date_signature=date(2025, 9, 15)),
                           source="tests", entity=first.entity, time=end_of_day(date(2025, 9, 15)),
                           id=f"bail-{housed.subject}")
    hub.journal.append([first, second, *derived, housed, lease])
    hub.tick(end_of_day(TODAY))
    hub.clock = clock   # tick() leaves its day as the hub's clock; the tests move this one
    hub.partners.add("epci-thiers", siren="200071389", nom="Thiers Dore et Montagne", role="gestionnaire",
                     connector="habisoft", communes=())
    hub.partners.add("ophis", siren="272900010", nom="OPHIS", role="bailleur", connector="bailleurs",
                     communes=[ours])
    hub.partners.add("autre-bailleur", siren="382910008", nom="Autre bailleur", role="bailleur",
                     connector="bailleurs", communes=[theirs])
    accounts = AccountStore(hub.journal.engine, clock)
    accounts.add(GESTIONNAIRE, "epci-thiers", "operator", PASSWORD)
    accounts.add(LECTEUR, "epci-thiers", "reader", PASSWORD)
    accounts.add(OPHIS, "ophis", "operator", PASSWORD)
    accounts.add(AUTRE, "autre-bailleur", "reader", PASSWORD)
    bad, fixed = _bad_and_fixed()
    report = hub.ingestor.ingest(hub.connectors["bailleurs"], [RawMessage.from_bytes(bad, origin="cal-mars.json")])
    names = [e.data.demande.demandeur.nom for e in (first, second)]
    return Territory(hub, clock, first.subject, second.subject, report.dead_letter_ids[0], bad, fixed, names)

