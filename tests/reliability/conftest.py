"""Fixtures of the reliability tests: a fake HTTP partner, batches of CAL decisions, hub subprocesses, and the
journal's view of what happened.

Every fault test asserts the same two things at the partner: every journaled event was accepted, and none was
accepted twice (``FakePartner.duplicates()`` is empty); most also check per-demand order against the journal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.core.journal import Journal
from hub.core.journal_schema import deliveries, events
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings
from tests.conftest import env_for
from tests.factories import decision, numero_unique, write_decisions
from tests.reliability.partner import FakePartner

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "tests.reliability.partner_plugin"
SOURCE_PLUGINS = ["bailleurs"]

#: Short timings so that faults are recovered in seconds: a claim's lease, the partner call timeout, how long an
#: open delivery may sit untouched before the safety-net sweep re-dispatches it, and a fast retry schedule.
FAST = {"lease": 6.0, "delivery_timeout": 2.0, "stale_dispatch": 3.0, "poll_interval": 0.2,
        "retry": {"max_attempts": 30, "base_delay": 0.05, "max_delay": 0.5, "jitter": 0.5}}


def wait_until(predicate: Callable[[], bool], timeout: float = 180.0, what: str = "condition") -> None:
    """Poll until ``predicate()`` holds (a liveness bound against hangs, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def partner() -> Iterator[FakePartner]:
    with FakePartner() as p:
        yield p


def settings_with(base: HubSettings, partners: dict[str, str], **overrides: Any) -> HubSettings:
    """``base`` with the fast timings, the given HTTP partners enabled (name → URL) and more overrides."""
    connectors = {name: {"enabled": True, "url": url} for name, url in partners.items()}
    connectors.update(overrides.pop("connectors", {}))
    values = {**FAST, **overrides}
    if "retry" in overrides:
        values["retry"] = {**FAST["retry"], **overrides["retry"]}
    return HubSettings(**{**base.model_dump(), **values, "connectors": connectors})


def make_hub(settings: HubSettings, *extra_plugins: object) -> Hub:
    host = PluginHost.load(allow=SOURCE_PLUGINS, extra=[PLUGIN])
    for i, plugin in enumerate(extra_plugins):
        host.register(plugin, name=f"test-extra-{i}")
    return Hub(settings, host)


def write_batch(inbox: Path, n_events: int, *, per_file: int = 500, events_per_demand: int = 4,
                seed: int = 7, prefix: str = "cal") -> list[dict[str, Any]]:
    """``n_events`` CAL decisions in files of ``per_file``, about ``n_events / events_per_demand`` demands (so
    that per-demand order is exercised). Returns the decisions."""
    rng = random.Random(seed)
    demands = [numero_unique() for _ in range(max(1, n_events // events_per_demand))]
    decisions = [decision(numero_unique=rng.choice(demands)) for _ in range(n_events)]
    for start in range(0, n_events, per_file):
        write_decisions(inbox, f"{prefix}-{start // per_file:04d}.json", decisions[start:start + per_file],
                        bailleur_siren="276300019")
    return decisions


def subprocess_env(settings: HubSettings, **extra: str) -> dict[str, str]:
    """Environment for a ``relais run`` subprocess with these settings and the test plugin."""
    env = env_for(settings, RELAIS_PLUGINS=",".join(SOURCE_PLUGINS), RELAIS_EXTRA_PLUGINS=PLUGIN,
                  RELAIS_LOG_LEVEL="warning")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for key in ("lease", "delivery_timeout", "stale_dispatch", "poll_interval", "batch_size", "metrics_port"):
        value = getattr(settings, key)
        if value is not None:
            env[f"RELAIS_{key.upper()}"] = str(value)
    for key, value in settings.retry.model_dump().items():
        env[f"RELAIS_RETRY__{key.upper()}"] = str(value)
    if settings.connectors:   # sections go in a TOML file: lists and booleans survive as they are
        config = settings.home.parent / f"relais-{settings.namespace}.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("".join(
            f"[connectors.{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in section.items())
            for name, section in settings.connectors.items()))
        env["RELAIS_CONFIG"] = str(config)
    env.update(extra)
    return env


class HubProcess:
    """One ``relais run`` in a subprocess; its output goes to a file (never a pipe that could fill up)."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str = "hub"):
        self.env = env
        self.log_dir = log_dir
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []

    def start(self) -> "HubProcess":
        path = self.log_dir / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(path)
        with open(path, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", "run"], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind in the hub."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 120.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def __enter__(self) -> "HubProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.alive():
            self.kill()


@pytest.fixture
def hub_processes(tmp_path) -> Iterator[Callable[..., HubProcess]]:
    """Factory of hub subprocesses, all killed at the end of the test whatever happened."""
    made: list[HubProcess] = []

    def factory(env: dict[str, str], name: str = "hub") -> HubProcess:
        proc = HubProcess(env, tmp_path, name=f"{name}{len(made)}")
        made.append(proc)
        return proc

    yield factory
    for proc in made:
        if proc.alive():
            proc.kill()


# --- the journal's view ---------------------------------------------------------------------------------------
def journal_order(settings: HubSettings) -> dict[str | None, list[str]]:
    """Event ids per demand, in journal order: the order a partner must receive them in."""
    journal = Journal(settings.journal)
    try:
        with journal.engine.connect() as conn:
            order: dict[str | None, list[str]] = defaultdict(list)
            for event_id, subject in conn.execute(select(events.c.id, events.c.subject).order_by(events.c.seq)):
                order[subject].append(event_id)
            return dict(order)
    finally:
        journal.close()


def delivery_rows(settings: HubSettings, subscriber: str) -> list[dict[str, Any]]:
    journal = Journal(settings.journal)
    try:
        with journal.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(deliveries, events.c.id).join(events, events.c.seq == deliveries.c.seq)
                .where(deliveries.c.subscriber == subscriber).order_by(deliveries.c.seq))]
    finally:
        journal.close()


def assert_exactly_once_in_order(partner: FakePartner, settings: HubSettings, subscriber: str = "partner",
                                 expected: int | None = None) -> None:
    """Zero loss, zero duplicate acceptance, per-demand journal order, and the journal agrees (all delivered)."""
    order = journal_order(settings)
    journaled = {i for ids in order.values() for i in ids}
    if expected is not None:
        assert len(journaled) == expected
    assert partner.duplicates() == {}
    assert set(partner.accepted) == journaled, (
        f"missing at partner: {len(journaled - set(partner.accepted))}, "
        f"unknown to the journal: {len(set(partner.accepted) - journaled)}")
    for subject, ids in partner.order.items():
        assert ids == order[subject], f"demand {subject}: partner order differs from journal order"
    states = {r["status"] for r in delivery_rows(settings, subscriber)}
    assert states == {"delivered"}, states


# --- the command line -------------------------------------------------------------------------------------------
def relais_cli(settings: HubSettings, *args: str):
    """Run a ``relais`` command in process (click's CliRunner) against these settings, with the test plugin."""
    from click.testing import CliRunner

    from hub import cli as cli_module
    cli_module.prepare()
    saved = cli_module._HOST[0]
    cli_module._HOST[0] = PluginHost.load(allow=SOURCE_PLUGINS, extra=[PLUGIN])
    try:
        env = {k: v for k, v in subprocess_env(settings).items() if k.startswith("RELAIS_")}
        env["RELAIS_LOG_LEVEL"] = "error"
        return CliRunner().invoke(cli_module.cli, list(args), env=env, catch_exceptions=False)
    finally:
        cli_module._HOST[0] = saved
