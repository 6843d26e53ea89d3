"""Stopping and restarting the machine's RabbitMQ and PostgreSQL in the middle of a test — and always leaving them
running again, accepting connections, whatever the test did (``finally``)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kombu import Connection
from sqlalchemy import create_engine, text

from tests.conftest import AMQP_URL, PG_URL

__all__ = ["rabbitmq_stopped", "postgres_stopped"]


def _pg_cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def _wait(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except Exception as exc:  # not up yet: any connection error
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not come back: {exc}") from exc
            time.sleep(0.2)


def _rabbitmq_accepts() -> None:
    with Connection(AMQP_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
        conn.default_channel.queue_declare(queue="", exclusive=True, auto_delete=True)


def _postgres_accepts() -> None:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _start_rabbitmq() -> None:
    result = subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, text=True, timeout=180)
    if result.returncode != 0:   # the node itself is down: start it
        subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, timeout=60)
        subprocess.run(["rabbitmqctl", "await_startup"], capture_output=True, timeout=180)
    _wait(_rabbitmq_accepts, "RabbitMQ")


@contextmanager
def rabbitmq_stopped() -> Iterator[None]:
    """RabbitMQ's application stopped (every connection closed, queues kept on disk) for the block."""
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=180)
    try:
        yield
    finally:
        _start_rabbitmq()


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """PostgreSQL stopped (fast shutdown: sessions cut) for the block."""
    subprocess.run([*_pg_cluster(), "stop", "-m", "fast"], check=True, capture_output=True, timeout=120)
    try:
        yield
    finally:
        subprocess.run([*_pg_cluster(), "start"], capture_output=True, timeout=120)
        _wait(_postgres_accepts, "PostgreSQL")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
