"""Hook implementations of the bailleurs (CALEOL) connector."""

from __future__ import annotations

from hub import Connector, PartnerRole, RawMessage, hookimpl
from plugins.bailleurs.codec import decode_message
from plugins.bailleurs.schema import inbound_schema


class BailleursConnector(Connector):
    """Landlords drop (or POST) the events of their attribution chain — designations, CAL registrations, visits,
    CAL decisions, refusals, signed leases, attribution reports — as JSON or as a CSV batch; the hub journals and
    routes them."""

    name = "bailleurs"
    version = "0.2.0"
    role = PartnerRole.BAILLEUR
    emits = ("designation_candidat.*", "inscription_cal.*", "visite_proposee.*", "visite_effectuee.*",
             "decision_cal.*", "refus_demandeur.*", "bail_signe.*", "attribution_reportee.*")
    file_suffixes = (".json", ".csv")

    def decode(self, raw: RawMessage):
        return decode_message(raw, source=self.name)

    def inbound_schema(self):
        return inbound_schema()


@hookimpl
def relais_register_connectors(register):
    register(BailleursConnector)
