"""``relais serve`` and ``relais run --http``: the gateway as an operator starts it, in a real process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import decision, decisions_document
from tests.sdk.conftest import plain_env, run_relais

KEY = "k-cli-test"
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(tmp_path: Path) -> Path:
    path = tmp_path / "relais.toml"
    path.write_text(f'[connectors.bailleurs]\napi_keys = ["{KEY}"]\n')
    return path


def start(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hub", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until_serving(process: subprocess.Popen, url: str, deadline: float = 60.0) -> None:
    """Poll /healthz until it answers (the process needs a moment to import and bind)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            pytest.fail(f"the process exited with {process.returncode}: {process.stderr.read()}", pytrace=False)
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {deadline:g}s", pytrace=False)


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def test_relais_serve_journals_and_relais_run_then_delivers(tmp_path):
    home, port = tmp_path / "home", free_port()
    env = plain_env(home, RELAIS_PLUGINS="bailleurs,habisoft", RELAIS_CONFIG=str(config(tmp_path)))
    server = start(["serve", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, url)
        document = decisions_document([decision(), decision()])
        answer = httpx.post(f"{url}/v1/inbound/bailleurs", content=json.dumps(document),
                            headers={"X-Relais-Api-Key": KEY})
        assert answer.status_code == 202, answer.text
    finally:
        code, out, err = stop(server)
    assert code == 0, err
    assert f"gateway on {url}" in out
    delivered = run_relais("run", "--once", env=env)
    assert delivered.returncode == 0, delivered.stderr
    assert "habisoft: 2 delivered" in delivered.stdout


def test_relais_run_http_serves_the_gateway_alongside_the_hub(tmp_path):
    home, port = tmp_path / "home", free_port()
    env = plain_env(home, RELAIS_PLUGINS="bailleurs,habisoft", RELAIS_CONFIG=str(config(tmp_path)))
    hub = start(["run", "--http", f"127.0.0.1:{port}"], env)
    url = f"http://127.0.0.1:{port}"
    outbox = home / "outbox" / "habisoft"
    try:
        wait_until_serving(hub, url)
        answer = httpx.post(f"{url}/v1/inbound/bailleurs", content=json.dumps(decisions_document([decision()])),
                            headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 202, answer.text
        end = time.monotonic() + 30
        while not list(outbox.glob("*.xml")) and time.monotonic() < end:
            time.sleep(0.1)
    finally:
        code, out, err = stop(hub)
    assert code == 0, err
    assert len(list(outbox.glob("*.xml"))) == 1, err
    assert "relais: stopped cleanly" in out


def test_relais_run_http_refuses_a_malformed_address(tmp_path):
    out = run_relais("run", "--http", "8080", env=plain_env(tmp_path / "home", RELAIS_PLUGINS="bailleurs"))
    assert out.returncode == 2
    assert "expected HOST:PORT" in out.stderr
