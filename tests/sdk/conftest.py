"""Fixtures of the SDK tests: the installed example connector, hub settings on a backend, and child environments.

A child environment is a virtual environment without pip whose ``.pth`` file adds this environment's
site-packages: it "also has the project installed", so a package installed into it (a freshly scaffolded connector)
is visible there only, and the running environment is never modified — nothing to clean up if a test dies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import venv
from importlib import metadata
from pathlib import Path

import pytest

from hub.settings import HubSettings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "commune_csv"
COMMUNE = {"siren": "216300004", "nom": "Commune d'Exempleville"}


#: Subscribers the SDK tests declare queues for on RabbitMQ, beyond those the root fixture removes.
SDK_SUBSCRIBERS = ("commune_csv", "garbage", "textbody", "slow", "broken", "habisoft")


@pytest.fixture
def amqp_namespace(amqp_namespace):
    """The root fixture's namespace; afterwards the queues of the SDK tests' own connectors are removed too."""
    yield amqp_namespace
    from kombu import Connection

    from tests.conftest import AMQP_URL
    try:
        with Connection(AMQP_URL) as conn:
            for name in SDK_SUBSCRIBERS:
                conn.default_channel.queue_delete(f"{amqp_namespace}.q.{name}")
    except Exception:  # best effort: a leftover queue in a unique namespace disturbs no other test
        pass


@pytest.fixture(scope="session")
def commune_csv_installed() -> None:
    """The example package must be installed (the README's test command does it); never skipped."""
    if not metadata.entry_points(group="relais", name="commune_csv"):
        pytest.fail("examples/commune_csv is not installed in this environment: run "
                    "`pip install -e examples/commune_csv` (see the README's test command)", pytrace=False)


def with_connectors(settings: HubSettings, **connectors: dict) -> HubSettings:
    """``settings`` with these ``[connectors.NAME]`` sections."""
    return settings.model_copy(update={"connectors": {**settings.connectors, **connectors}})


def backend_options(settings: HubSettings) -> dict:
    """What ``relais_hub(settings=...)`` needs to run on the same backend as ``settings``."""
    options = {"broker_url": settings.broker_url, "namespace": settings.namespace}
    if settings.journal_url:
        options["journal_url"] = settings.journal_url
    return options


def commune_settings(**extra) -> dict:
    return {"enabled": True, "entity": dict(COMMUNE), "communes": ["63113"], **extra}


class ChildEnvironment:
    """A venv layered on the running one (see the module docstring)."""

    def __init__(self, root: Path):
        venv.EnvBuilder(with_pip=False).create(root)
        self.root = root
        self.python = root / ("Scripts" if os.name == "nt" else "bin") / "python"
        purelib = subprocess.run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        parent = sysconfig.get_paths()["purelib"]
        Path(purelib, "_relais_parent_environment.pth").write_text(f"import site; site.addsitedir({parent!r})\n")

    def run(self, *args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.python), *args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)

    def pip_install(self, package: Path) -> None:
        out = self.run("-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", str(package))
        if out.returncode != 0:
            pytest.fail(f"pip install {package} failed:\n{out.stdout}\n{out.stderr}", pytrace=False)


@pytest.fixture
def child_environment(tmp_path: Path) -> ChildEnvironment:
    return ChildEnvironment(tmp_path / "venv")


def run_until(hub, condition, timeout: float = 60.0, what: str = "the condition") -> None:
    """Run ``hub`` (a Hub) until ``condition()`` holds: retries come due with time, on RabbitMQ through its delay
    queues. Fails after ``timeout`` seconds, saying where deliveries stand."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g}s: {hub.journal.delivery_counts()}",
                        pytrace=False)
        hub.run_once()
        time.sleep(0.02)


def plain_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``relais`` subprocess: none of the developer's ``RELAIS_*``, an embedded hub in
    ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update({"RELAIS_HOME": str(home), "RELAIS_SEED_EXAMPLES": "false", "RELAIS_LOG_FORMAT": "json", **extra})
    return env


def run_relais(*args: str, env: dict, python: str | Path = sys.executable, cwd: Path | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "hub", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
