"""The pytest plugin for connector authors, registered as ``relais`` in the ``pytest11`` entry-point group: installing
Relais is enough for these fixtures to exist in any test suite.

Fixtures::

    relais_host          factory: a fresh plugin host with exactly the plugins named (entry points, objects, classes)
    relais_bus           an in-process bus (kombu ``memory://``) in a namespace of its own
    relais_journal       an empty journal in a temporary SQLite file
    relais_hub           factory: a whole in-process hub with the plugins named, closed after the test (TestHub)
    relais_connector     factory: one configured connector instance, outside any hub, for decode/encode tests
    fake_partner         a partner HTTP endpoint on 127.0.0.1 that records requests, with scripted failures
    relais_golden        golden-file assertions for the test's directory (``tests/golden/``)

Helpers: :func:`assert_decodes` ("this raw input becomes these events"), :func:`assert_encodes` ("this event renders
to this output"), :func:`decode`, :func:`make_event`, :func:`raw_message`; golden files are rewritten with
``pytest --relais-update-golden``. The guide is ``docs/write-a-connector.md``.

This module is imported by every pytest run of an environment where Relais is installed, so beyond the plugin API it
imports only pytest; the hub's runtime (journal, bus) is imported when a fixture or helper is first used.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hub.testing.golden import Golden
    from hub.testing.harness import TestHub
    from hub.testing.partner import FakePartner

#: Helpers importable from here, each loaded from its module on first use (PEP 562), so that merely having Relais
#: installed does not slow down every pytest run.
_LAZY = {
    "assert_decodes": "golden", "assert_encodes": "golden", "decode": "golden", "render_decoded": "golden",
    "Decoded": "golden", "Golden": "golden", "TestHub": "harness", "build_host": "harness",
    "connector_plugin": "harness", "FakePartner": "partner", "RecordedRequest": "partner",
    "make_event": "samples", "raw_message": "samples", "TEST_ENTITY": "samples", "TEST_TIME": "samples",
}

__all__ = [*_LAZY, "make_connector", "UPDATE_GOLDEN_OPTION"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hub.testing.{module}"), name)


UPDATE_GOLDEN_OPTION = "--relais-update-golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("relais", "Relais connector testing")
    group.addoption(UPDATE_GOLDEN_OPTION, action="store_true", default=False,
                    help="rewrite the golden files compared by relais_golden instead of comparing them")


def make_connector(cls: type[Any], settings: Mapping[str, Any] | None = None, home: Path | None = None) -> Any:
    """An instance of connector class ``cls`` configured as the hub would (its settings model validates
    ``settings``), with inbox and outbox under ``home``."""
    from hub.core.connector import ConnectorContext
    home = home or Path.cwd() / "var" / "relais-test"
    conn_settings = cls.settings_model.model_validate(dict(settings or {}))
    context = ConnectorContext(name=cls.name, home=home, inbox=home / "inbox" / cls.name,
                               outbox=home / "outbox" / cls.name)
    return cls(conn_settings, context)


@pytest.fixture
def relais_host() -> Callable[..., Any]:
    """``relais_host("my_plugin", MyConnector, strict=True)`` → a fresh :class:`hub.core.plugins.PluginHost`."""
    return _host_with


def _host_with(*plugins: str | object, strict: bool = True) -> Any:
    from hub.testing.harness import build_host
    return build_host(plugins, strict=strict)


@pytest.fixture
def relais_bus() -> Any:
    from hub.core.bus import Bus
    return Bus("memory://", namespace=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def relais_journal(tmp_path: Path) -> Iterator[Any]:
    from hub.core.journal import Journal
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    try:
        yield journal
    finally:
        journal.close()


@pytest.fixture
def relais_hub(tmp_path: Path) -> Iterator[Callable[..., TestHub]]:
    """``relais_hub("my_plugin", connectors={"my_plugin": {...}}, settings={...}, clock=...)`` → a started
    :class:`TestHub` (``clock``: what processors see as now, e.g. ``lambda: datetime(2027, 1, 4, tzinfo=UTC)``).

    Plugins are entry-point names (an installed package), plugin objects, or Connector classes. Every hub made in a
    test is closed after it."""
    from hub.testing.harness import TestHub
    made: list[TestHub] = []

    def make(*plugins: str | object, connectors: Mapping[str, Any] | None = None,
             settings: Mapping[str, Any] | None = None, strict: bool = True, clock: Any = None) -> TestHub:
        home = tmp_path / f"relais-{len(made)}"
        harness = TestHub(home, plugins, connectors=connectors, settings=settings, strict=strict, clock=clock)
        made.append(harness)
        return harness

    try:
        yield make
    finally:
        for harness in reversed(made):
            harness.close()


@pytest.fixture
def relais_connector(tmp_path: Path) -> Callable[..., Any]:
    """``relais_connector(MyConnector, {"setting": value})`` → a configured instance with a temporary home."""

    def make(cls: type[Any], settings: Mapping[str, Any] | None = None) -> Any:
        return make_connector(cls, settings, tmp_path / "relais-home")

    return make


@pytest.fixture
def fake_partner() -> Iterator[FakePartner]:
    from hub.testing.partner import FakePartner
    partner = FakePartner().start()
    try:
        yield partner
    finally:
        partner.close()


@pytest.fixture
def relais_golden(request: pytest.FixtureRequest) -> Golden:
    """Golden files in ``golden/`` beside the test module."""
    from hub.testing.golden import Golden
    return Golden(Path(request.path).parent / "golden", update=request.config.getoption(UPDATE_GOLDEN_OPTION))
