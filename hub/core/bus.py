"""The bus: kombu topology and the two things the hub does with it — publish journaled events with confirms, and
consume each subscriber's queue in batches.

Topology (names prefixed by the hub's namespace, ``relais`` by default)::

    <ns>.events   topic exchange; routing key = event type (decision_cal.v1); each subscriber's queue is bound
                  with its subscription patterns (decision_cal.*, demande_*.*, #)
    <ns>.deliver  topic exchange for re-dispatch to ONE subscriber (retry, replay, recovery): key ``<subscriber>``
                  or ``<tier>.<subscriber>``
    <ns>.q.<subscriber>      durable queue of one partner (quorum queue on RabbitMQ, with a delivery limit and a
                             dead-letter exchange for messages that repeatedly kill their consumer)
    <ns>.retry.<ms>          RabbitMQ only: delay queues (message TTL) whose expired messages dead-letter back
                             into <ns>.deliver — the broker holds retries, no process has to stay up for them
    <ns>.poison              RabbitMQ only: where the broker puts messages over the delivery limit; the hub
                             drains it back into the journal (``take_poison``): the journal's own attempt count,
                             not the broker's, decides when a delivery is dead, so nothing is stranded there

On RabbitMQ publishing is pipelined under publisher confirms: a batch is sent without waiting, then the
confirmations are counted; the outbox rows are deleted only for a fully confirmed batch (docs/performance.md:
waiting per message is 10× slower). The in-process transport (``memory://``) is a dispatcher only: the SQLite journal is the
durable record of pending deliveries there, and the hub re-dispatches from it after a restart. Its messages carry
no body (``REFERENCE_BODY``), only references: a delivery worker reads the event from the journal in any case, and a
partner that is down for days must not make the hub hold every event twice in memory. One reference message names
a whole batch of events of one routing key (header ``seqs``): kombu's in-process publish, routing and acknowledgement
cost ~60 µs a message, a sixth of the embedded hub's CPU when each event had its own (py-spy, bench/README.md).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message

from hub.core.errors import RetryableError

__all__ = ["Bus", "Topology", "OutgoingMessage", "RETRY_TIERS_MS", "REFERENCE_BODY", "message_seqs", "references"]

log = structlog.get_logger(__name__)

#: Delay queues on RabbitMQ. A retry goes to the smallest tier not shorter than its backoff.
RETRY_TIERS_MS = (1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000)

#: Seconds without a new message after which a consumer's batch is taken as complete: the messages of one
#: published batch arrive back to back, well within it.
IDLE = 0.002

#: Seconds a consumer's batch keeps waiting for new messages after its oldest one arrived; past it, only what has
#: already arrived (``ARRIVED``) is taken. Why: at a steady rate the relay's small batches can follow each other less
#: than ``IDLE`` apart for tens of milliseconds, and the batch in hand waited for all of them (p99 of that stage
#: 10–22 ms at 1,000 events/s, bench/README.md "Fifth round"). Under load nothing changes: what has arrived fills
#: the batch as before.
LINGER = 0.005

#: The wait that only takes what the connection has already received (a zero timeout is not "poll" for every
#: transport).
ARRIVED = 0.0002

#: Bytes a RabbitMQ connection asks its socket for at once (see ``ReadAhead``).
READ_AHEAD = 65_536

#: Body of a message on the in-process transport: only the ``seq`` header matters there.
REFERENCE_BODY = b"{}"


@dataclass(frozen=True)
class OutgoingMessage:
    """One bus message about event ``seq`` — or, with ``seqs``, a reference to several events (in-process only)."""

    seq: int
    routing_key: str
    body: bytes
    seqs: tuple[int, ...] = ()

    @property
    def headers(self) -> dict[str, Any]:
        return {"seqs": list(self.seqs)} if self.seqs else {"seq": self.seq}


def references(items: Iterable[tuple[int, str]], per_message: int) -> list[OutgoingMessage]:
    """Reference messages for the in-process bus: the (seq, routing key) pairs grouped by routing key, at most
    ``per_message`` seqs a message, oldest first and in seq order within each message (the journal's claim keeps each demand's order
    whatever order the messages arrive in)."""
    by_key: dict[str, list[int]] = {}
    for seq, key in items:
        by_key.setdefault(key, []).append(seq)
    out = []
    for key, seqs in by_key.items():
        seqs.sort()
        for start in range(0, len(seqs), per_message):
            chunk = tuple(seqs[start:start + per_message])
            out.append(OutgoingMessage(chunk[0], key, REFERENCE_BODY, chunk))
    return sorted(out, key=lambda m: m.seq)   # the oldest events first


def message_seqs(message: Any) -> list[int]:
    """The event seqs a consumed message is about: its ``seq`` header, or its ``seqs`` (a batch reference)."""
    headers = message.headers or {}
    seq = headers.get("seq")
    if isinstance(seq, int):
        return [seq]
    seqs = headers.get("seqs")
    if isinstance(seqs, (list, tuple)):
        return [s for s in seqs if isinstance(s, int)]
    return []


def _weight(message: Any) -> int:
    """How many events a consumed message counts for in a batch: a batch reference, as many as it names."""
    return max(1, len(message_seqs(message)))


class ReadAhead:
    """The ``recv`` of py-amqp's TCP transport, asking the socket for up to ``READ_AHEAD`` bytes at once and serving
    py-amqp's exact reads (a frame's header, its payload, its end byte) from what it holds.

    Why: py-amqp asks the socket for exactly the bytes it needs next, three system calls per frame and three frames
    per message, and each call gives up the GIL and waits to get it back while the hub's other threads hold it (up
    to the 5 ms switch interval each time): under a steady rate a consumer read its messages one wait at a time
    (bench/README.md, "Fifth round"). Nothing else changes: an empty buffer waits on the socket as before (its
    timeout included), and what is held is what the socket had already received."""

    def __init__(self, recv: Any):
        self._recv = recv
        self._held = b""
        self._at = 0

    def __call__(self, n: int) -> bytes:
        if self._at >= len(self._held):
            data = self._recv(max(n, READ_AHEAD))
            if len(data) <= n:
                return data   # b"" (connection closed) included
            self._held, self._at = data, 0
        start, self._at = self._at, min(self._at + n, len(self._held))
        return self._held[start:self._at]


def _read_ahead(conn: Connection) -> None:
    """Install ``ReadAhead`` on a RabbitMQ connection's plain TCP transport (TLS has its own read path: left as is).
    A py-amqp without the ``_quick_recv`` it reads through keeps its own reads: slower, never wrong."""
    from amqp.transport import TCPTransport
    transport = getattr(conn.connection, "transport", None)
    recv = getattr(transport, "_quick_recv", None)
    if type(transport) is TCPTransport and recv is not None and not isinstance(recv, ReadAhead):
        transport._quick_recv = ReadAhead(recv)


class Topology:
    """Declares exchanges and queues; knows nothing of what flows through them."""

    def __init__(self, namespace: str, is_amqp: bool):
        self.namespace = namespace
        self.is_amqp = is_amqp
        self.events = Exchange(f"{namespace}.events", type="topic", durable=True)
        self.deliver = Exchange(f"{namespace}.deliver", type="topic", durable=True)
        self.retry = Exchange(f"{namespace}.retry", type="topic", durable=True)
        self.poison_exchange = Exchange(f"{namespace}.poison", type="fanout", durable=True)

    def queue_name(self, subscriber: str) -> str:
        return f"{self.namespace}.q.{subscriber}"

    def subscriber_queue(self, subscriber: str, patterns: Iterable[str]) -> Queue:
        from kombu import binding
        bindings = [binding(self.events, routing_key=p) for p in patterns]
        bindings += [binding(self.deliver, routing_key=subscriber), binding(self.deliver, routing_key=f"*.{subscriber}")]
        arguments = None
        if self.is_amqp:
            arguments = {"x-queue-type": "quorum", "x-delivery-limit": 20,
                         "x-dead-letter-exchange": self.poison_exchange.name}
        return Queue(self.queue_name(subscriber), bindings=bindings, durable=True, queue_arguments=arguments)

    def retry_queues(self) -> list[Queue]:
        if not self.is_amqp:
            return []
        return [Queue(f"{self.namespace}.retry.{ms}", exchange=self.retry, routing_key=f"{ms}.*", durable=True,
                      queue_arguments={"x-queue-type": "quorum", "x-message-ttl": ms,
                                       "x-dead-letter-exchange": self.deliver.name})
                for ms in RETRY_TIERS_MS]

    def poison_queue(self) -> Queue | None:
        if not self.is_amqp:
            return None
        return Queue(f"{self.namespace}.poison", exchange=self.poison_exchange, durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def declare(self, conn: Connection, subscriptions: dict[str, Sequence[str]]) -> None:
        channel = conn.default_channel
        for ex in (self.events, self.deliver, self.retry, self.poison_exchange):
            ex(channel).declare()
        queues = [self.subscriber_queue(s, p) for s, p in subscriptions.items()] + self.retry_queues()
        poison = self.poison_queue()
        if poison is not None:
            queues.append(poison)
        for q in queues:
            q(channel).declare()


class Bus:
    """One hub process's access to the broker. Each thread that consumes gets its own connection."""

    def __init__(self, url: str, namespace: str = "relais"):
        self.url = url
        self.is_amqp = url.startswith(("amqp://", "amqps://", "pyamqp://"))
        self.topology = Topology(namespace, self.is_amqp)

    def connect(self) -> Connection:
        options: dict[str, Any] = {}
        if not self.is_amqp:
            options["transport_options"] = {"polling_interval": 0.005}
        conn = Connection(self.url, heartbeat=0, connect_timeout=10, **options)
        conn.ensure_connection(max_retries=3, interval_start=0.2, interval_step=0.5)
        if self.is_amqp:
            _read_ahead(conn)
        return conn

    def body(self, text: str) -> bytes:
        """What a message about an event carries: the event on RabbitMQ, a reference in process."""
        return text.encode() if self.is_amqp else REFERENCE_BODY

    def declare(self, subscriptions: dict[str, Sequence[str]]) -> None:
        with self.connect() as conn:
            self.topology.declare(conn, subscriptions)

    def take_poison(self, limit: int = 500) -> list[tuple[str, int]]:
        """Empty the poison queue: (subscriber, seq) of every message the broker gave up on, acknowledged at once.

        The caller makes the journal re-dispatch them; a crash in between leaves them open in the journal, where
        the periodic stale sweep finds them. Nothing to do on the in-process transport."""
        poison = self.topology.poison_queue()
        if poison is None:
            return []
        prefix = f"{self.topology.namespace}.q."
        found: list[tuple[str, int]] = []
        with self.connect() as conn:
            queue = poison(conn.default_channel)
            while len(found) < limit:
                message = queue.get(no_ack=False, accept=["application/json"])
                if message is None:
                    break
                headers = message.headers or {}
                origin = headers.get("x-first-death-queue") or ""
                seq = headers.get("seq")
                if isinstance(origin, bytes):
                    origin = origin.decode()
                if origin.startswith(prefix) and isinstance(seq, int):
                    found.append((origin[len(prefix):], seq))
                message.ack()
        return found

    # --- publishing -------------------------------------------------------------------------------------------
    def publisher(self) -> "Publisher":
        return Publisher(self)

    def consumer(self, subscriber: str, patterns: Sequence[str], prefetch: int) -> "QueueReader":
        return QueueReader(self, subscriber, patterns, prefetch)


class Publisher:
    """Publishes batches; returns only when the broker has confirmed every message of the batch."""

    def __init__(self, bus: Bus):
        self.bus = bus
        self.conn: Connection | None = None
        self.channel: Any = None
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._next_tag = 1

    def _ensure(self) -> None:
        if self.conn is not None and self.conn.connected:
            return
        self.close()
        self.conn = self.bus.connect()
        self.channel = self.conn.channel()
        self._next_tag = 1
        if self.bus.is_amqp:
            self.channel.confirm_select()
            self.channel.events["basic_ack"].add(self._on_ack)
            self.channel.events["basic_nack"].add(self._on_nack)
        self.producer = Producer(self.channel)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(self._acked, tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(self._nacked, tag, multiple)

    def _settle(self, into: set[int], tag: int, multiple: bool) -> None:
        if multiple:
            into.update(t for t in self._pending if t <= tag)
        else:
            into.add(tag)

    def publish(self, messages: Sequence[OutgoingMessage], *, exchange: Any = None,
                timeout: float = 30.0) -> None:
        """Publish and wait for the confirmation of the whole batch (raises RetryableError if not confirmed)."""
        if not messages:
            return
        exchange = exchange or self.bus.topology.events
        try:
            self._ensure()
            self._pending: set[int] = set()
            self._acked.clear()
            self._nacked.clear()
            for m in messages:
                self.producer.publish(m.body, exchange=exchange, routing_key=m.routing_key,
                                      content_type="application/json", content_encoding="utf-8",
                                      delivery_mode=2, headers=m.headers, retry=False)
                self._pending.add(self._next_tag)
                self._next_tag += 1
            if self.bus.is_amqp:
                self._await_confirms(timeout)
        except RetryableError:
            self.close()
            raise
        except Exception as exc:  # socket, AMQP or kombu failure mid-batch: drop the connection, the caller retries
            self.close()
            raise RetryableError(f"publish failed: {type(exc).__name__}: {exc}") from exc

    def _await_confirms(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._pending <= (self._acked | self._nacked):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RetryableError("publisher confirms not received in time")
            try:
                self.conn.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                continue
        if self._nacked & self._pending:
            raise RetryableError(f"broker refused {len(self._nacked & self._pending)} message(s) (basic.nack)")

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.release()
            except Exception:  # closing a dead connection may fail; nothing to recover
                pass
        self.conn = None
        self.channel = None


class QueueReader:
    """Reads one subscriber's queue in batches, with manual acknowledgement."""

    def __init__(self, bus: Bus, subscriber: str, patterns: Sequence[str], prefetch: int):
        self.bus = bus
        self.subscriber = subscriber
        self.queue = bus.topology.subscriber_queue(subscriber, patterns)
        self.prefetch = prefetch
        self.conn: Connection | None = None
        self._buffer: list[Message] = []
        self._weight = 0   # the events the buffered messages name (kept as they come: summing it per drain was
                           # quadratic in the prefetch, a fifth of the hub's CPU on RabbitMQ)
        self._first_at = 0.0   # when the oldest buffered message arrived (monotonic)

    def _ensure(self) -> None:
        if self.conn is not None and self.conn.connected:
            return
        self.close()
        self.conn = self.bus.connect()
        self.channel = self.conn.channel()
        # on_message, not callbacks: the worker reads the seq header and the journal, never the decoded body
        self.consumer = Consumer(self.channel, queues=[self.queue], on_message=self._on_message,
                                 accept=["application/json"], prefetch_count=self.prefetch, no_ack=False)
        self.consumer.consume()

    def _on_message(self, message: Message) -> None:
        if not self._buffer:
            self._first_at = time.monotonic()
        self._buffer.append(message)
        self._weight += _weight(message)

    def next_batch(self, max_size: int, wait: float) -> list[Message]:
        """Up to ``max_size`` messages: wait at most ``wait`` seconds for the first, then take what keeps arriving
        back to back, and return as soon as the queue is idle (nothing for ``IDLE`` seconds) or the batch is full;
        once the oldest message in hand is ``LINGER`` seconds old, only what has already arrived is added.

        Why not wait for the batch to fill: at a steady rate below ``batch_size`` per ``wait`` every event waited
        for the timer (p50 ≈ 300 ms at 1,000 events/s, bench/README.md). Under load the batches stay large anyway:
        what arrived while the previous batch was being delivered is already in hand (prefetch), as in a group
        commit."""
        try:
            self._ensure()
            deadline = time.monotonic() + wait
            while self._weight < max_size:
                try:   # past the deadline, keep taking what is already there: a zero wait means "what is there now"
                    self.conn.drain_events(timeout=self._drain_wait(deadline))
                except socket.timeout:
                    break
        except Exception as exc:  # socket, AMQP or kombu failure: drop the connection, the caller retries
            self.close()
            raise RetryableError(f"consume failed: {type(exc).__name__}: {exc}") from exc
        # a batch reference counts as the events it names: ``max_size`` bounds events, not messages
        taken = weight = 0
        while taken < len(self._buffer) and weight < max_size:
            weight += _weight(self._buffer[taken])
            taken += 1
        batch, self._buffer = self._buffer[:taken], self._buffer[taken:]
        self._weight -= weight
        return batch

    def _drain_wait(self, deadline: float) -> float:
        """How long the next read may wait: for a first message, until ``deadline``; then ``IDLE`` for the next one,
        until the oldest in hand is ``LINGER`` old; then only for what has already arrived."""
        now = time.monotonic()
        if not self._buffer:
            return max(deadline - now, IDLE)
        return IDLE if now - self._first_at < LINGER else ARRIVED

    def ready(self) -> int | None:
        """Messages waiting in the queue, not yet sent to any consumer (None if the broker cannot say now)."""
        try:
            self._ensure()
            _name, count, _consumers = self.conn.default_channel.queue_declare(queue=self.queue.name, passive=True)
        except Exception:  # a depth we cannot read now (broker away): the caller skips what needs it
            return None
        return int(count)

    def close(self) -> None:
        self._buffer.clear()   # unacked messages go back to the queue when the channel closes
        self._weight = 0
        if self.conn is not None:
            try:
                self.conn.release()
            except Exception:  # closing a dead connection may fail; nothing to recover
                pass
        self.conn = None
