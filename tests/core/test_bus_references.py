"""The in-process bus carries batch references (one message names many events): the relay and the re-dispatch
publish one message per routing key and batch, and a delivery worker reads as many events as its batch size,
whatever the number of messages."""

from __future__ import annotations

import uuid

from hub.core.bus import REFERENCE_BODY, Bus, OutgoingMessage, message_seqs, references


def test_references_group_by_routing_key_in_seq_order_and_bounded_size():
    items = [(5, "b.v1"), (1, "a.v1"), (3, "a.v1"), (2, "b.v1"), (4, "a.v1")]
    out = references(items, per_message=2)
    assert [(m.routing_key, m.seqs) for m in out] == [("a.v1", (1, 3)), ("b.v1", (2, 5)), ("a.v1", (4,))]
    assert all(m.body == REFERENCE_BODY for m in out)
    assert out[0].headers == {"seqs": [1, 3]}
    assert OutgoingMessage(7, "a.v1", b"{}").headers == {"seq": 7}


def test_a_reader_takes_events_not_messages_up_to_its_batch_size():
    bus = Bus("memory://", namespace=f"ref{uuid.uuid4().hex[:8]}")
    bus.declare({"partner": ("decision_cal.*",)})
    publisher = bus.publisher()
    reader = bus.consumer("partner", ("decision_cal.*",), prefetch=10)
    try:
        publisher.publish(references(((seq, "decision_cal.v1") for seq in range(1, 1201)), per_message=300))
        publisher.publish([OutgoingMessage(5000, "decision_cal.v1", REFERENCE_BODY)])   # a single-event message
        first = reader.next_batch(500, wait=1.0)
        assert sum(len(message_seqs(m)) for m in first) == 600     # two references of 300: the batch is full
        rest = []
        while len(rest) < 3:
            rest += reader.next_batch(500, wait=1.0)
        assert [message_seqs(m) for m in rest][-1] == [5000]
        assert sorted(s for m in first + rest for s in message_seqs(m)) == [*range(1, 1201), 5000]
        for m in first + rest:
            m.ack()
    finally:
        reader.close()
        publisher.close()


def test_a_message_without_usable_headers_names_no_event():
    class Bare:
        def __init__(self, headers):
            self.headers = headers

    assert message_seqs(Bare({"seqs": ["x", 3], "other": 1})) == [3]
    assert message_seqs(Bare(None)) == []
    assert message_seqs(Bare({"seq": "7"})) == []
