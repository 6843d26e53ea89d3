"""Hook implementations of the SIAO connector."""

from __future__ import annotations

from hub import Connector, PartnerRole, RawMessage, hookimpl
from plugins.siao.codec import decode_labels, encode_outcome
from plugins.siao.schema import document_schema

#: The outcomes of a household the SIAO follows (docs/domain.md: the SIAO "must receive outcomes of labelled
#: households"); the access rule ``siao_for_households_it_labelled_or_oriented`` keeps them to its households.
OUTCOMES = ("designation_candidat.*", "decision_cal.*", "bail_signe.*", "demande_radiee.*")


class SiaoConnector(Connector):
    """The SIAO posts (or drops) labels and orientations; it receives the outcomes of the households it oriented,
    written to its outbox as ``relais.siao.issues/1`` notices."""

    name = "siao"
    version = "0.1.0"
    role = PartnerRole.SIAO
    emits = ("transmission_siao.*", "preconisation_siao.*", "inscription_syplo.*", "label_prioritaire_pose.*",
             "label_prioritaire_leve.*")
    subscriptions = OUTCOMES
    file_suffixes = (".json",)

    def decode(self, raw: RawMessage):
        return decode_labels(raw, source=self.name)

    def encode(self, event):
        return encode_outcome(event)

    def inbound_schema(self):
        return document_schema()


@hookimpl
def relais_register_connectors(register):
    register(SiaoConnector)
