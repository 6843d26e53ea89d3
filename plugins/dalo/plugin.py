"""Hook implementations of the dalo plugin: the COMED's connector, the ``dalo_attente`` processor and the ``relais
dalo`` commands."""

from __future__ import annotations

from hub import Connector, PartnerRole, RawMessage, hookimpl
from plugins.dalo.codec import decode_decisions, encode_outcome
from plugins.dalo.commands import dalo
from plugins.dalo.processor import DaloAttenteProcessor
from plugins.dalo.schema import document_schema

#: The attribution outcomes of a DALO household (docs/domain.md: the COMED "must receive the attribution outcome for
#: DALO households"); the access rule ``comed_for_dalo_households`` keeps them to the households it decided on.
OUTCOMES = ("decision_cal.*", "refus_demandeur.*", "bail_signe.*", "attribution_reportee.*", "demande_radiee.*")


class DaloConnector(Connector):
    """The COMED posts (or drops) its decisions; it receives the attribution outcomes of DALO households, written to
    its outbox as ``relais.dalo.issues/1`` notices."""

    name = "dalo"
    version = "0.1.0"
    role = PartnerRole.COMED
    emits = ("decision_dalo.*",)
    subscriptions = OUTCOMES
    file_suffixes = (".json",)

    def decode(self, raw: RawMessage):
        return decode_decisions(raw, source=self.name)

    def encode(self, event):
        return encode_outcome(event)

    def inbound_schema(self):
        return document_schema()


@hookimpl
def relais_register_connectors(register):
    register(DaloConnector)
    register(DaloAttenteProcessor)


@hookimpl
def relais_register_commands(register):
    register(dalo)
