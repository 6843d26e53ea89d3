"""The three lists on a generated territory — 10,000 demands and a year of their events, journaled month by month
with the hub's clock at each month's end — against an independent computation written here, from the generated
events alone (not from the processor's projection nor its rules module).
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from contracts import REGISTRY
from contracts.enums import TypeDecisionCal
from hub.settings import HubSettings
from plugins.listes import tables
from tests.plugins.cotation.processor_support import derived, make_hub
from tests.plugins.listes.territory import END, GUICHET, generate

MONTHS = 15


def _plus_months(day: date, months: int) -> date:
    # written again here on purpose: the independent computation shares no code with the processor
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def expected_lists(events, on: date) -> dict[str, dict[str, object]]:
    """list → {numéro unique: detail}, from the events (sorted by day) as the seed's §3.2 defines the lists."""
    status: dict[str, str] = {}
    content: dict[str, object] = {}
    housed: dict[str, bool] = defaultdict(bool)
    labels: dict[str, dict[tuple[str, str], date | None]] = defaultdict(dict)
    dalo: dict[str, dict[str, str]] = defaultdict(dict)
    contingents: dict[str, tuple[str, ...]] = {}
    offered: set[str] = set()
    rankings: list[tuple[str, str, date, int]] = []
    leases: list[tuple[str, str, date]] = []
    for _day, p in events:
        name, nu = p.event_type.rsplit(".", 1)[0], p.numero_unique
        if name in ("demande_enregistree", "demande_modifiee"):
            content[nu] = p.demande
            status.setdefault(nu, "active")
        elif name == "demande_radiee":
            status[nu] = "radiee"
        elif name == "demande_reactivee" and status.get(nu) == "radiee":
            status[nu], housed[nu] = "active", False
        elif name == "demande_supprimee":
            status[nu] = "supprimee"
        elif name == "label_prioritaire_pose":
            labels[nu][(p.nature.value, p.emetteur.siren)] = p.date_fin_validite
        elif name == "label_prioritaire_leve":
            labels[nu].pop((p.nature.value, p.emetteur.siren), None)
        elif name == "decision_dalo":
            dalo[nu][p.numero_recours] = p.decision.value
        elif name == "contingents_eligibles":
            contingents[nu] = tuple(c.value for c in p.contingents)
        elif name == "decision_cal":
            if p.decision is TypeDecisionCal.ATTRIBUTION or p.rang == 1:
                offered.add(nu)
            elif p.rang >= 2:
                rankings.append((nu, p.rpls, p.date_commission, p.rang))
        elif name == "refus_demandeur" and p.offre_adaptee:
            offered.add(nu)
        elif name in ("bail_signe", "attribution_reportee"):
            housed[nu] = True
            offered.add(nu)
            leases.append((nu, p.rpls, p.date_signature if name == "bail_signe" else p.date_attribution))
    result: dict[str, dict[str, object]] = {"prioritaires": {}, "delai_depasse": {}, "poulidor": {}}
    for nu, demande in content.items():
        if status[nu] != "active" or housed[nu]:
            continue
        reasons = []
        if demande.priorite.prioritaire_dalo or "prioritaire_et_urgent" in dalo[nu].values():
            reasons.append("dalo")
        reasons += sorted(f"label:{n}" for n in {n for (n, _s), fin in labels[nu].items() if fin is None or fin >= on})
        reasons += sorted(f"l441_1:{c.value}" for c in set(demande.priorite.criteres_l441_1))
        if reasons:
            prefet = any(r in ("dalo", "label:siao") or r.startswith(("l441_1:", "label:l441_1_")) for r in reasons)
            result["prioritaires"][nu] = (tuple(reasons), contingents.get(nu, ("PPRIOR",) if prefet else ()))
        depot = demande.date_depot or demande.date_enregistrement
        if _plus_months(depot, MONTHS) <= on and nu not in offered:
            result["delai_depasse"][nu] = depot
        lost = [(r, day, rang) for who, r, day, rang in rankings if who == nu
                and any(w != nu and l_rpls == r and l_day >= day for w, l_rpls, l_day in leases)]
        if lost:
            result["poulidor"][nu] = sorted(lost, key=lambda x: x[1], reverse=True)
    return result


def _month_ends():
    for month in range(1, 13):
        yield date(2026, month, calendar.monthrange(2026, month)[1])


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(20, 0), timezone.utc)


@pytest.mark.timeout(1200)     # ~16,000 events through the processor, month by month: minutes on a loaded CI box
@pytest.mark.parametrize("backend", ["embedded"])
def test_the_lists_of_a_territory_of_10000_demands_after_a_year(hub_settings: HubSettings):
    territory = generate(10_000)
    clock_at = [_instant(date(2025, 12, 31))]
    with make_hub(hub_settings, lambda: clock_at[0], ("listes",)) as hub:
        steps = [date(2025, 12, 31), *_month_ends()]
        position = 0
        for step in steps:
            batch = []
            while position < len(territory.events) and territory.events[position][0] <= step:
                day, payload = territory.events[position]
                batch.append(REGISTRY.build(payload, source="tests", entity=GUICHET, id=f"terr-{position}",
                                            time=datetime.combine(day, time(8, 0), timezone.utc)))
                position += 1
            for start in range(0, len(batch), 2000):
                hub.journal.append(batch[start:start + 2000])
            clock_at[0] = _instant(step)
            hub.tick(clock_at[0])                 # this month's events, then the timers due (délai reached…)
        assert position == len(territory.events)
        assert hub.journal.backlog("listes").total == 0
        with hub.journal.engine.connect() as conn:
            members = defaultdict(dict)
            for r in conn.execute(select(tables.membres)):
                members[r.liste][r.numero_unique] = r
            entries, exits = derived(hub, "liste_entree.v1"), derived(hub, "liste_sortie.v1")

    expected = expected_lists(territory.events, END)
    for liste in ("prioritaires", "delai_depasse", "poulidor"):
        assert set(members[liste]) == set(expected[liste]), liste
        assert len(expected[liste]) > 20, f"the territory exercises {liste}"
    for nu, (reasons, contingents) in expected["prioritaires"].items():
        assert tuple(json.loads(members["prioritaires"][nu].motifs)) == reasons
        assert tuple(json.loads(members["prioritaires"][nu].contingents)) == contingents
    for nu, depot in expected["delai_depasse"].items():
        assert members["delai_depasse"][nu].depuis == _plus_months(depot, MONTHS).isoformat()
    for nu, lost in expected["poulidor"].items():
        assert json.loads(members["poulidor"][nu].motifs) == [f"rang:{rang}:{rpls}" for rpls, _d, rang in lost]
    # the events tell partners the same story: replaying entries and exits gives the final lists
    for liste in ("prioritaires", "delai_depasse", "poulidor"):
        ins = [e["numero_unique"] for e in entries if e["liste"] == liste]
        outs = [e["numero_unique"] for e in exits if e["liste"] == liste]
        balance = defaultdict(int)
        for nu in ins:
            balance[nu] += 1
        for nu in outs:
            balance[nu] -= 1
        assert {nu for nu, b in balance.items() if b == 1} == set(expected[liste]), liste
        assert all(b in (0, 1) for b in balance.values()), liste
