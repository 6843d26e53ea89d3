"""One test (at least) per hook, named after it: the meta-test in test_hook_meta.py checks that each hook has one."""

from __future__ import annotations

import click
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from hub import Connector, DuplicateRegistration, PartnerRole, hookimpl
from hub.gateway import create_app
from hub.testing import build_host
from tests.sdk.conftest import plain_env, run_relais


class Alpha(Connector):
    name = "alpha"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)


class AlphaAgain(Connector):
    name = "alpha"


class RegistersAlpha:
    @hookimpl
    def relais_register_connectors(self, register):
        register(Alpha)


class RegistersAlphaAgain:
    @hookimpl
    def relais_register_connectors(self, register):
        register(AlphaAgain)


def test_relais_register_connectors_registers_classes_under_their_plugin():
    host = build_host([RegistersAlpha()])
    assert host.connector_classes()["alpha"] == ("registersalpha", Alpha)


def test_relais_register_connectors_refuses_a_duplicate_naming_both_plugins():
    host = build_host([RegistersAlpha(), RegistersAlphaAgain()])
    with pytest.raises(DuplicateRegistration) as refused:
        host.connector_classes()
    assert "registersalpha" in str(refused.value) and "registersalphaagain" in str(refused.value)


# --- relais_register_commands -----------------------------------------------------------------------------------
class AddsHello:
    @hookimpl
    def relais_register_commands(self, register):
        @click.command("hello")
        def hello() -> None:
            click.echo("hello from a plugin")
        register(hello)


class RaisesInCommands:
    @hookimpl
    def relais_register_commands(self, register):
        raise RuntimeError("plugin bug")


def test_relais_register_commands_collects_commands_and_isolates_a_failing_plugin():
    host = build_host([AddsHello(), RaisesInCommands()])
    group = click.Group("relais")
    host.register_commands(group.add_command)
    assert "hello" in group.commands
    assert [(f.plugin, f.stage) for f in host.failures] == [("raisesincommands", "relais_register_commands")]


def test_relais_register_commands_of_an_installed_package_reach_the_relais_cli(commune_csv_installed, tmp_path):
    out = run_relais("commune-csv", "template", env=plain_env(tmp_path, RELAIS_PLUGINS="commune_csv"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("reference;numero_unique;rpls;commune;")


# --- relais_register_routes -------------------------------------------------------------------------------------
class ServesPing:
    @hookimpl
    def relais_register_routes(self, register):
        router = APIRouter()

        @router.get("/ping")
        def ping() -> dict:
            return {"pong": True}

        register(router)


class RegistersNotARouter:
    @hookimpl
    def relais_register_routes(self, register):
        register(object())


class RaisesInRoutes:
    @hookimpl
    def relais_register_routes(self, register):
        register(APIRouter())
        raise RuntimeError("half-built routes")


def test_relais_register_routes_mounts_routers_under_the_plugin_name(relais_hub):
    relais = relais_hub(ServesPing(), RegistersNotARouter(), RaisesInRoutes(), strict=False)
    with TestClient(create_app(relais.hub)) as client:
        assert client.get("/v1/plugins/servesping/ping").json() == {"pong": True}
        assert client.get("/healthz").status_code == 200
    failed = {(f.plugin, f.stage) for f in relais.failures}
    assert failed == {("registersnotarouter", "relais_register_routes"), ("raisesinroutes", "relais_register_routes")}


# --- relais_startup / relais_shutdown ---------------------------------------------------------------------------
class Lifecycle:
    def __init__(self):
        self.calls: list[tuple[str, object]] = []

    @hookimpl
    def relais_startup(self, hub):
        self.calls.append(("startup", hub))

    @hookimpl
    def relais_shutdown(self, hub):
        self.calls.append(("shutdown", hub))


class RaisesAtStartup:
    @hookimpl
    def relais_startup(self, hub):
        raise RuntimeError("partner unreachable")


def test_relais_startup_is_called_once_with_the_started_hub_and_a_failure_is_isolated(relais_hub):
    lifecycle = Lifecycle()
    relais = relais_hub(lifecycle, RaisesAtStartup(), strict=False)
    relais.run_once()   # start() is idempotent: startup is not called again
    assert lifecycle.calls == [("startup", relais.hub)]
    assert [(f.plugin, f.stage) for f in relais.failures] == [("raisesatstartup", "relais_startup")]


def test_relais_shutdown_is_called_when_the_hub_closes(relais_hub):
    lifecycle = Lifecycle()
    relais = relais_hub(lifecycle)
    relais.close()
    assert [name for name, _ in lifecycle.calls] == ["startup", "shutdown"]
    assert lifecycle.calls[-1][1] is relais.hub
