"""The siao and dalo READMEs' curl examples, each run as written against `relais run --http`'s gateway (a real uvicorn server) with a
partner created by `relais partners add` as the README says; and each committed JSON Schema, which must be the one
the wire models give and must accept the example the curl sends."""

from __future__ import annotations

import json
import shlex
import subprocess

import importlib

import jsonschema
import pytest

from hub.core.runtime import Hub
from hub.gateway import GatewayServer
from hub.testing import build_host
from tests.asgi import free_port
from tests.plugins.partners_support import ROOT, key_from, relais_cli, with_connectors
from tests.readme_examples import curl_blocks, runnable

PLUGINS = ("siao", "dalo")


def readme(plugin: str):
    return ROOT / "plugins" / plugin / "README.md"


def partners_add_line(plugin: str) -> list[str]:
    """The README's own `relais partners add …` line, as arguments."""
    [line] = [line for line in readme(plugin).read_text(encoding="utf-8").splitlines()
              if line.startswith("relais partners add ")]
    return shlex.split(line)[1:]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_readme_curl_posts_the_example_and_it_is_journaled(hub_settings, plugin):
    settings = with_connectors(hub_settings, **{plugin: {}})
    added = relais_cli(settings, plugin, *partners_add_line(plugin))
    assert added.returncode == 0, added.stderr
    [command] = curl_blocks(readme(plugin))
    hub = Hub(settings, build_host([plugin]))
    port = free_port()
    server = GatewayServer(hub, "127.0.0.1", port)
    server.start()
    try:
        done = subprocess.run(shlex.split(runnable(command, key=key_from(added.stdout), port=port)), cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        body, status = done.stdout.rstrip().rsplit("\n", 1)
        assert status == "HTTP 202", done.stdout
        answer = json.loads(body)
        assert answer["journaled"] >= 1 and len(answer["event_ids"]) == answer["journaled"]
        assert all(hub.journal.find_event(i)["source"] == plugin for i in answer["event_ids"])
    finally:
        server.stop()
        hub.close()


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_committed_schema_is_the_generated_one(plugin):
    schema = importlib.import_module(f"plugins.{plugin}.schema")
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.generate(), \
        f"the {plugin} format changed: run .venv/bin/python -m plugins.{plugin}.schema and review the diff"


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_schema_accepts_the_example_and_refuses_what_the_connector_refuses(plugin):
    schema = json.loads(importlib.import_module(f"plugins.{plugin}.schema").SCHEMA_FILE.read_text(encoding="utf-8"))
    [example] = (ROOT / "examples" / "inbox" / plugin).glob("*.json")
    document = json.loads(example.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    list_field = "records" if "records" in document else "decisions"
    document[list_field][0]["unexpected"] = 1
    assert not jsonschema.Draft202012Validator(schema).is_valid(document)
