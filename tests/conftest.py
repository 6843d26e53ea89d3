"""Shared fixtures: hub settings on each backend, isolated per test.

The ``backend`` fixture runs a test on the embedded default (SQLite + in-process transport) and on RabbitMQ +
PostgreSQL, the services every developer and CI machine has. Those are never skipped: if a service is down the
test fails and says how to start it (docs/architecture.md).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text

from hub.settings import HubSettings

PG_URL = os.environ.get("RELAIS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("RELAIS_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, port: int, start: str) -> None:
    if not _reachable("127.0.0.1", port):
        pytest.fail(f"{name} is not reachable on 127.0.0.1:{port}; start it with: {start}", pytrace=False)


def require_postgres() -> None:
    require_service("PostgreSQL", 5432,
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")


def require_rabbitmq() -> None:
    require_service("RabbitMQ", 5672, "rabbitmq-server -detached")


@pytest.fixture(autouse=True)
def _logging_config_restored() -> Iterator[None]:
    """A test that runs a command in process configures logging for the whole process (the reliability tests run
    ``relais`` at level error): what the next test's ``capture_logs`` sees must not depend on the order of tests."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL, pool_pre_ping=True)   # survives a test that restarts PostgreSQL
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def amqp_namespace() -> Iterator[str]:
    """A unique exchange/queue prefix on the real broker; its queues are deleted afterwards."""
    require_rabbitmq()
    ns = f"t{uuid.uuid4().hex[:10]}"
    yield ns
    _delete_amqp_namespace(ns)


#: Queues of registered partners with a delivery channel (subscriber ``partner.<id>``) that tests declare.
PARTNER_SUBSCRIBERS = tuple(f"partner.{p}" for p in ("bailleur-a", "bailleur-b", "bailleur-c", "action-logement",
                                                     "slow", "fast", "down", "up", "landlord"))


def _delete_amqp_namespace(ns: str) -> None:
    from kombu import Connection
    try:
        with Connection(AMQP_URL) as conn:
            ch = conn.default_channel
            for suffix in ("habisoft", "sne", "bailleurs", "dossier", "contingents", "partner", "slow", "fast", "broken",
                           "commune_x", "reservataire", "tiers", "echeances", "statistiques", "cotation", "listes",
                           "siao", "dalo", "dalo_attente", "bailleur_thiers", "bailleur_ailleurs",
                           "reservataire_thiers", "reservataire_ailleurs", "ledger", "sink", *PARTNER_SUBSCRIBERS):
                ch.queue_delete(f"{ns}.q.{suffix}")
            from hub.core.bus import RETRY_TIERS_MS
            for ms in RETRY_TIERS_MS:
                ch.queue_delete(f"{ns}.retry.{ms}")
            ch.queue_delete(f"{ns}.poison")
            for ex in ("events", "deliver", "retry", "poison"):
                ch.exchange_delete(f"{ns}.{ex}")
    except Exception:  # cleanup is best effort; a leftover queue does not affect other tests' namespaces
        pass


@pytest.fixture(params=["embedded", "rabbitmq_postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def hub_settings(backend, tmp_path, request) -> HubSettings:
    """Settings for a hub in ``tmp_path`` on the requested backend (no example seeding)."""
    overrides: dict = {"home": tmp_path / "home", "seed_examples": False, "batch_wait": 0.02}
    if backend == "rabbitmq_postgres":
        overrides["journal_url"] = request.getfixturevalue("pg_schema_url")
        overrides["broker_url"] = AMQP_URL
        overrides["namespace"] = request.getfixturevalue("amqp_namespace")
    else:
        overrides["namespace"] = f"t{uuid.uuid4().hex[:10]}"
    return HubSettings(**overrides)


def env_for(settings: HubSettings, **extra: str) -> dict[str, str]:
    """Environment for a ``relais`` subprocess using these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update({
        "RELAIS_HOME": str(settings.home), "RELAIS_JOURNAL_URL": settings.journal,
        "RELAIS_BROKER_URL": settings.broker_url, "RELAIS_NAMESPACE": settings.namespace,
        "RELAIS_SEED_EXAMPLES": "false", "RELAIS_BATCH_WAIT": "0.02", "RELAIS_LOG_FORMAT": "json",
    })
    env.update(extra)
    return env
