"""``topic_matches`` agrees exactly with a RabbitMQ topic exchange: the journal's delivery rows (computed by the
router) and the broker's bindings must route every event to the same subscribers.

The truth table is exhaustive over a small universe: every pattern of up to three words from ``a``, ``b``, ``*``,
``#`` (85 patterns, the empty one included) against every key of up to three words from ``a``, ``b`` (15 keys) —
checked once in pure Python and once on the real broker.
"""

from __future__ import annotations

import itertools
import uuid

import amqp
import pytest
from kombu import Connection

from hub.core.routing import topic_matches
from tests.conftest import AMQP_URL, require_rabbitmq


def _strings(alphabet: str, longest: int) -> list[str]:
    return [".".join(words) for n in range(longest + 1) for words in itertools.product(alphabet, repeat=n)]


PATTERNS = _strings("ab*#", 3)
KEYS = _strings("ab", 3) + ["decision_cal.v1"]


@pytest.mark.parametrize("pattern, key, expected", [
    ("#.a", "a", True), ("a.#", "a", True), ("#", "", True), ("#.#", "a", True), ("a.#.b", "a.b", True),
    ("*", "", False), ("*.a", "a", False), ("a.*.#", "a", False), ("#.*", "", False), ("", "", True),
    ("", "a", False), ("decision_cal.*", "decision_cal.v1", True), ("demande_*.*", "demande_modifiee.v1", False),
    ("#.v1", "decision_cal.v1", True), ("*.*.*", "a.b", False),
])
def test_known_cases(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches([pattern], key) is expected


@pytest.mark.rabbitmq
def test_truth_table_is_rabbitmqs() -> None:
    require_rabbitmq()
    exchange = f"t{uuid.uuid4().hex[:10]}.topic-truth"
    routed: dict[str, set[str]] = {}
    with Connection(AMQP_URL) as conn:
        channel = conn.default_channel
        channel.exchange_declare(exchange, "topic", auto_delete=True)
        queues = {}
        for index, pattern in enumerate(PATTERNS):
            queue = f"{exchange}.{index}"
            channel.queue_declare(queue, exclusive=True, auto_delete=True)
            channel.queue_bind(queue, exchange, routing_key=pattern)
            queues[pattern] = queue
        for key in KEYS:
            channel.basic_publish(amqp.Message(key), exchange=exchange, routing_key=key)
        for pattern, queue in queues.items():
            # same channel, in order: the broker has routed every publish before it answers this
            channel.queue_declare(queue, passive=True)
            got = routed.setdefault(pattern, set())
            while (message := channel.basic_get(queue, no_ack=True)) is not None:
                got.add(message.body.decode() if isinstance(message.body, bytes) else message.body)
        channel.exchange_delete(exchange)
    mismatches = [(p, k, topic_matches([p], k), k in routed[p]) for p in PATTERNS for k in KEYS
                  if topic_matches([p], k) != (k in routed[p])]
    assert mismatches == [], "(pattern, key, topic_matches, rabbitmq)"
    assert sum(len(v) for v in routed.values()) > 100   # the broker really routed something
