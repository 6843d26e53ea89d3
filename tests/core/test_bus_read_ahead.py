"""A RabbitMQ connection reads its socket ahead (``hub.core.bus.ReadAhead``): py-amqp's exact reads are served from
what one system call returned, byte for byte as the socket would have given them, a read with nothing held waits
on the socket with its timeout as before, and a consumer receives every message, in order, whole."""

from __future__ import annotations

import random
import socket

import pytest

from hub.core.bus import READ_AHEAD, Bus, OutgoingMessage, ReadAhead
from tests.conftest import AMQP_URL, require_rabbitmq


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


class Counting:
    def __init__(self, sock: socket.socket):
        self.sock, self.calls = sock, 0

    def __call__(self, n: int) -> bytes:
        self.calls += 1
        return self.sock.recv(n)


def test_exact_reads_are_served_from_one_system_call(pair) -> None:
    ours, theirs = pair
    frames = [bytes([i]) * size for i, size in enumerate((7, 1_000, 1, 7, 30_000, 1))]
    theirs.sendall(b"".join(frames))
    recv = Counting(ours)
    read = ReadAhead(recv)
    assert [read(len(f)) for f in frames] == frames
    assert recv.calls == 1


def test_a_read_asks_for_what_is_missing_when_the_held_bytes_end_mid_frame(pair) -> None:
    ours, theirs = pair
    theirs.sendall(b"abc")
    read = ReadAhead(ours.recv)
    assert read(2) == b"ab"
    assert read(5) == b"c"          # what is held, as a socket's recv returns what it has
    theirs.sendall(b"defg")
    assert read(4) == b"defg"


def test_with_nothing_held_a_read_waits_on_the_socket_and_times_out_as_before(pair) -> None:
    ours, theirs = pair
    ours.settimeout(0.01)
    read = ReadAhead(ours.recv)
    with pytest.raises(socket.timeout):
        read(7)
    theirs.sendall(b"x" * 10)
    assert read(7) == b"x" * 7 and read(7) == b"x" * 3
    theirs.close()
    assert read(7) == b""           # the peer closed: py-amqp sees it as before


def test_a_consumer_receives_every_message_whole_and_in_order(amqp_namespace) -> None:
    require_rabbitmq()
    bus = Bus(AMQP_URL, namespace=amqp_namespace)
    bus.declare({"partner": ["#"]})
    rng = random.Random(18)
    bodies = [bytes([65 + seq % 26]) * rng.randint(1, 3 * READ_AHEAD // 50) for seq in range(300)]   # frames
    publisher = bus.publisher()                                                  # straddle the chunks
    publisher.publish([OutgoingMessage(seq, "decision_cal.v1", body) for seq, body in enumerate(bodies)])
    reader = bus.consumer("partner", ["#"], prefetch=500)
    received = []
    try:
        while len(received) < len(bodies):
            batch = reader.next_batch(500, wait=5.0)
            assert batch, "messages missing"
            received += [(m.headers["seq"], m.body) for m in batch]
            batch[-1].ack(multiple=True)
        assert isinstance(reader.conn.connection.transport._quick_recv, ReadAhead)
    finally:
        reader.close()
        publisher.close()
    assert received == [(seq, body.decode()) for seq, body in enumerate(bodies)]   # kombu decodes utf-8
