"""Configuration errors are one line naming the setting and the fix, exit 2; ``relais config check`` shows the
effective settings with secrets masked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
import sys
import pytest

from hub.core.errors import ConfigurationError
from hub.settings import load_settings

pytestmark = pytest.mark.usefixtures("relais")


def test_a_config_file_that_does_not_exist_is_an_error_not_a_silent_default(relais, tmp_path):
    out = relais("--config", "nope.toml", "run", "--once")
    assert out.exit_code == 2
    assert out.error_line.startswith("Error: configuration file 'nope.toml' does not exist")
    assert not (tmp_path / "home").exists(), "the hub must not have started on defaults"


def test_a_toml_syntax_error_is_one_line_with_its_position(relais, tmp_path):
    (tmp_path / "relais.toml").write_text('home = "/tmp/x"\nbatch_size = = 3\n')
    out = relais("deliveries")
    assert out.exit_code == 2
    assert out.error_line.startswith("Error: relais.toml: TOML syntax error: ")
    assert "line 2" in out.error_line
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_misspelt_connector_key_is_an_error_naming_section_key_and_the_closest_valid_key(relais, tmp_path):
    (tmp_path / "relais.toml").write_text('[connectors.bailleurs]\napi_key = ["k"]\n')
    out = relais("run", "--once")
    assert out.exit_code == 2
    assert out.error_line == ("Error: unknown setting 'api_key' in [connectors.bailleurs]; did you mean 'api_keys'?")
    assert "journaled" not in out.stdout


@pytest.mark.parametrize(("toml", "expected"), [
    ("[retry]\nmax_atempts = 3\n", "unknown setting 'max_atempts' in [retry]; did you mean 'max_attempts'?"),
    ("batchsize = 3\n", "unknown setting 'batchsize' at the top level; did you mean 'batch_size'?"),
    ("[connectors.bailleur]\nenabled = true\n", "[connectors.bailleur]: no connector named 'bailleur'; "
                                                "did you mean [connectors.bailleurs]?"),
    ('log_level = "verbose"\n', "log_level: Input should be 'debug', 'info', 'warning' or 'error', got 'verbose'"),
])
def test_config_check_names_the_problem_and_the_fix(relais, tmp_path, toml, expected):
    (tmp_path / "relais.toml").write_text(toml)
    out = relais("config", "check")
    assert out.exit_code == 2
    assert expected in out.error_line


def test_a_misspelt_environment_variable_is_an_error_with_the_closest_name(relais):
    out = relais("config", "check", env={"RELAIS_BATCHSIZE": "3"})
    assert out.exit_code == 2
    assert out.error_line == "Error: unknown environment variable RELAIS_BATCHSIZE; did you mean RELAIS_BATCH_SIZE?"


def test_an_invalid_log_level_in_the_environment_is_one_line_not_an_attribute_error(tmp_path):
    """``main`` configures logging before the settings are read: it must not trip over the raw value."""
    env = {"PATH": "/usr/bin:/bin", "RELAIS_HOME": str(tmp_path / "home"), "RELAIS_LOG_LEVEL": "verbose"}
    out = subprocess.run([sys.executable, "-m", "hub", "deliveries"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("Error: invalid setting in RELAIS_* variables: log_level:")
    assert "Traceback" not in out.stderr


def test_lists_in_environment_variables_are_json(relais, tmp_path):
    env = {"RELAIS_CONNECTORS__BAILLEURS__API_KEYS": '["k-one", "k-two"]'}
    out = relais("config", "check", env=env)
    assert out.exit_code == 0, out.stderr
    assert 'api_keys = ["**********", "**********"]' in out.stdout
    assert "k-one" not in out.stdout


def test_a_list_written_otherwise_in_the_environment_says_to_write_json(relais):
    out = relais("run", "--once", env={"RELAIS_CONNECTORS__BAILLEURS__API_KEYS": "k-one,k-two"})
    assert out.exit_code == 2
    assert "connectors.bailleurs.api_keys: Input should be a valid list" in out.error_line
    assert "write it as JSON" in out.error_line
    assert "k-one" not in out.stderr, "a key must never be echoed"


def test_config_check_prints_the_effective_settings_with_secrets_masked(relais, tmp_path):
    (tmp_path / "relais.toml").write_text('broker_url = "amqp://relais:pw-broker@mq:5672//"\nbatch_size = 250\n'
                                          '[connectors.habisoft]\ntoken = "tok-secret"\n')
    out = relais("config", "check", env={"RELAIS_LEASE": "120"})
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[0] == "# configuration: relais.toml + RELAIS_* variables: valid"
    assert "batch_size = 250" in out.stdout and "lease = 120.0" in out.stdout
    assert 'broker_url = "amqp://relais:***@mq:5672//"' in out.stdout
    assert "[connectors.habisoft]   # plugin habisoft" in out.stdout
    assert 'token = "**********"' in out.stdout
    assert "pw-broker" not in out.stdout and "tok-secret" not in out.stdout


def test_load_settings_raises_one_configuration_error_listing_every_problem(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("RELAIS_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "relais.toml"
    path.write_text('batch_size = 0\nlog_format = "pretty"\n')
    monkeypatch.setenv("RELAIS_CONFIG", str(path))   # load_settings sets it; monkeypatch then restores it
    with pytest.raises(ConfigurationError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"invalid setting in {path}")
    assert "batch_size: Input should be greater than or equal to 1, got 0" in message
    assert "log_format: Input should be 'auto', 'json' or 'console', got 'pretty'" in message


def test_the_readme_configuration_example_is_valid(relais, tmp_path):
    """The example an operator copies first must pass the check it documents."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "relais.toml").write_text(example)
    out = relais("config", "check")
    assert out.exit_code == 0, out.stderr
    assert 'broker_url = "amqp://relais@mq:5672//"' in out.stdout and "max_attempts = 8" in out.stdout
