"""Hooks are called through pluggy's own machinery: wrapper implementations run (they were silently skipped when the
host called each ``impl.function`` itself), and one plugin's failure is still attributed to it and isolated."""

from __future__ import annotations

import click
import pytest

from hub import Connector, DuplicateRegistration, PartnerRole, hookimpl
from hub.testing import build_host


def _connector(connector_name: str) -> type[Connector]:
    return type(f"C_{connector_name}", (Connector,), {"name": connector_name, "role": PartnerRole.AUTRE})


class NewStyleWrapper:
    @hookimpl(wrapper=True)
    def relais_register_connectors(self, register):
        register(_connector("from_wrapper"))
        return (yield)


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def relais_register_connectors(self, register):
        register(_connector("from_old_wrapper"))
        yield


class Plain:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_connector("plain"))


class Broken:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_connector("half_registered"))
        raise RuntimeError("plugin bug")


class BrokenWrapper:
    @hookimpl(wrapper=True)
    def relais_register_connectors(self, register):
        yield
        raise RuntimeError("wrapper bug after the others ran")


class SameNameFromWrapper:
    @hookimpl(wrapper=True)
    def relais_register_connectors(self, register):
        register(_connector("plain"))
        return (yield)


def test_wrapper_implementations_register_like_plain_ones() -> None:
    host = build_host([NewStyleWrapper(), OldStyleWrapper(), Plain()])
    found = host.connector_classes()
    assert {name: plugin for name, (plugin, _cls) in found.items()} == {
        "from_wrapper": "newstylewrapper", "from_old_wrapper": "oldstylewrapper", "plain": "plain"}
    assert host.failures == []


def test_a_failing_plugin_is_named_and_contributes_nothing_while_the_others_register() -> None:
    host = build_host([NewStyleWrapper(), Broken(), Plain()])
    found = host.connector_classes()
    assert set(found) == {"from_wrapper", "plain"}            # not the broken plugin's half registration
    assert [(f.plugin, f.stage) for f in host.failures] == [("broken", "relais_register_connectors")]
    assert "plugin bug" in host.failures[0].error


def test_a_failing_wrapper_is_named_not_the_plugins_it_wrapped() -> None:
    host = build_host([BrokenWrapper(), Plain()])
    assert set(host.connector_classes()) == {"plain"}
    assert [f.plugin for f in host.failures] == ["brokenwrapper"]


def test_a_duplicate_registered_from_a_wrapper_names_both_plugins() -> None:
    host = build_host([SameNameFromWrapper(), Plain()])
    with pytest.raises(DuplicateRegistration) as refused:
        host.connector_classes()
    assert "samenamefromwrapper" in str(refused.value) and "'plain'" in str(refused.value)


class CommandWrapper:
    @hookimpl(wrapper=True)
    def relais_register_commands(self, register):
        result = yield                      # after every other plugin's commands
        register(click.Command("after-the-others"))
        return result


class CommandPlain:
    @hookimpl
    def relais_register_commands(self, register):
        register(click.Command("plain-command"))


def test_wrappers_of_the_command_hook_run_around_the_others() -> None:
    host = build_host([CommandWrapper(), CommandPlain()])
    order: list[str] = []
    host.register_commands(lambda command: order.append(command.name))
    assert order == ["plain-command", "after-the-others"]


class Starts:
    started = 0

    @hookimpl(wrapper=True)
    def relais_startup(self, hub):
        Starts.started += 1
        return (yield)


def test_startup_wrappers_are_called() -> None:
    host = build_host([Starts()])
    host.startup(hub=object())
    assert Starts.started == 1 and host.failures == []
