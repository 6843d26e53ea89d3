"""Partners' JSON documents (hub.json_documents) refuse what json itself refuses beyond syntax with a clear error, in
every JSON connector: the message is refused whole with the reason, never a crash of the decoder."""

from __future__ import annotations

import json

import pytest

from hub.core.connector import RawMessage
from hub.core.errors import DecodeError
from plugins.bailleurs.codec import decode_message
from plugins.dalo.codec import decode_decisions as decode_dalo
from plugins.siao.codec import decode_labels as decode_siao

HUGE = b'{"format": "x", "records": [{"n": ' + b"9" * 5000 + b"}]}"


@pytest.mark.parametrize("decode", [lambda raw: list(decode_message(raw, "bailleurs")),
                                    lambda raw: list(decode_siao(raw, "siao")),
                                    lambda raw: list(decode_dalo(raw, "dalo"))],
                         ids=["bailleurs", "siao", "dalo"])
def test_a_number_of_thousands_of_digits_is_a_decode_error(decode):
    with pytest.raises(DecodeError, match="thousands of digits"):
        decode(RawMessage(body=HUGE, origin="huge.json", message_id="m1"))


@pytest.mark.parametrize("decode, document", [
    (lambda raw: list(decode_message(raw, "bailleurs")),
     {"format": "relais.bailleurs.decisions_cal/1", "bailleur": {"siren": "276300019", "nom": "Office"},
      "decisions": [{"id": "D1"}]}),
    (lambda raw: list(decode_message(raw, "bailleurs")),
     {"format": "relais.bailleurs.evenements/1", "bailleur": {"siren": "276300019", "nom": "Office"},
      "evenements": [{"type": "bail_signe", "id": "E1"}]}),
], ids=["decisions_cal", "evenements"])
def test_a_correlation_id_longer_than_the_envelopes_refuses_the_document_naming_it(decode, document):
    body = json.dumps({**document, "correlation_id": "c" * 129}).encode()
    with pytest.raises(DecodeError, match="correlation_id: a string of at most 128") as refused:
        decode(RawMessage(body=body, origin="long.json", message_id="m2"))
    assert refused.value.location.field == "correlation_id"
