"""Hook implementations of the bailleurs (CALEOL) connector."""

from __future__ import annotations

from hub import Connector, PartnerRole, RawMessage, hookimpl
from plugins.bailleurs.codec import decode_decisions, document_schema


class BailleursConnector(Connector):
    """Landlords drop (or POST) their CAL decisions; the hub journals and routes them."""

    name = "bailleurs"
    version = "0.1.0"
    role = PartnerRole.BAILLEUR
    emits = ("decision_cal.*",)
    file_suffixes = (".json",)

    def decode(self, raw: RawMessage):
        return decode_decisions(raw, source=self.name)

    def inbound_schema(self):
        return document_schema()


@hookimpl
def relais_register_connectors(register):
    register(BailleursConnector)
