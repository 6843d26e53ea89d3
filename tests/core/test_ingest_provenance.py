"""A connector journals events under its own name only: an event claiming another source is rejected and kept.

Why it matters: the router never delivers an event back to its source (no echo), so an event a connector ``alpha``
journaled as ``source="sne"`` would silently never reach the SNE.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from contracts import DecisionCal
from hub import Connector, PartnerRole, RawMessage
from hub.core.journal import Journal
from hub.core.ingest import Ingestor
from hub.core.routing import AccessPolicy, Router
from hub.testing import make_connector
from hub.testing.samples import make_event


class Alpha(Connector):
    name = "alpha"
    role = PartnerRole.BAILLEUR
    emits = ("decision_cal.*",)

    def decode(self, raw: RawMessage):
        claimed = json.loads(raw.body)["source"]
        data = DecisionCal(numero_unique="0631126000001G6301", rpls="6300054321", commune="63430",
                           date_commission=date(2026, 11, 20), decision="attribution")
        yield make_event(data, source=claimed, sourcemessageid=f"alpha:{claimed}")


class Sne(Connector):
    name = "sne"
    role = PartnerRole.SNE
    subscriptions = ("decision_cal.*",)


def _setup(tmp_path: Path):
    alpha, sne = make_connector(Alpha, home=tmp_path), make_connector(Sne, home=tmp_path)
    policy = AccessPolicy()
    journal = Journal(f"sqlite:///{tmp_path / 'j.sqlite3'}", router=Router({"alpha": alpha, "sne": sne}, policy))
    return alpha, journal, Ingestor(journal, policy)


def test_an_event_under_another_connectors_name_is_rejected_with_the_reason(tmp_path: Path) -> None:
    alpha, journal, ingestor = _setup(tmp_path)
    try:
        report = ingestor.ingest(alpha, [RawMessage.from_bytes(b'{"source": "sne"}', origin="forged.json")])
        assert (report.journaled, report.rejected) == (0, 1)
        [dead] = journal.dead_letters()
        assert dead["field"] == "source" and dead["origin"] == "forged.json"
        assert "'sne'" in dead["reason"] and "'alpha'" in dead["reason"]
        assert dead["payload"] == b'{"source": "sne"}'        # kept, to be fixed and replayed
        assert journal.count_events() == 0
    finally:
        journal.close()


def test_an_event_under_its_own_name_reaches_the_other_partner(tmp_path: Path) -> None:
    alpha, journal, ingestor = _setup(tmp_path)
    try:
        report = ingestor.ingest(alpha, [RawMessage.from_bytes(b'{"source": "alpha"}', origin="ok.json")])
        assert (report.journaled, report.rejected) == (1, 0)
        assert journal.delivery_counts() == {("sne", "pending"): 1}
    finally:
        journal.close()
