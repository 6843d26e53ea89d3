"""Partners' JSON documents (hub.json_documents) refuse what json itself refuses beyond syntax with a clear error, in
every JSON connector: the message is refused whole with the reason, never a crash of the decoder."""

from __future__ import annotations

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
