"""The connector's README says what is true: its curl example works as written against ``relais run --http``
with a key from ``relais partners add``, its CSV column table is the decoder's, and the committed JSON Schemas are
what the wire models generate."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from plugins.bailleurs import schema as schema_module
from plugins.bailleurs.columns import COLUMNS, REQUIRED
from tests.readme_examples import curl_blocks, shell_commands
from tests.sdk.conftest import plain_env
from tests.sdk.test_gateway_cli import free_port, stop, wait_until_serving

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "plugins" / "bailleurs" / "README.md"
DOCUMENTED = "127.0.0.1:8080"


def _relais_command(prefix: str) -> str:
    [command] = [c for c in shell_commands(README) if c.startswith(prefix)]
    return command


@pytest.mark.slow
def test_the_readmes_curl_example_works_as_written_against_relais_run_http(tmp_path):
    """The operator's two commands and the landlord's curl, run by a shell from a copy of the repository's example
    file: only the port is changed (8080 may be taken on the machine running the tests)."""
    [curl] = curl_blocks(README)
    assert DOCUMENTED in curl
    for path in re.findall(r"@(\S+)", curl):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    env = plain_env(tmp_path / "home", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    def shell(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], check=False, cwd=tmp_path, env=env, capture_output=True,
                              text=True,
                              timeout=120)

    added = shell(_relais_command("relais --as alice partners add"))
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "ophd.key").read_text().startswith("rk_")
    port = free_port()
    run = _relais_command("relais run --http")
    assert run.endswith(DOCUMENTED)
    server = subprocess.Popen(["bash", "-c", "exec " + run.replace(DOCUMENTED, f"127.0.0.1:{port}")],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        first = shell(curl.replace(DOCUMENTED, f"127.0.0.1:{port}"))
        again = shell(curl.replace(DOCUMENTED, f"127.0.0.1:{port}"))
    finally:
        code, _out, err = stop(server)
    assert first.returncode == 0, first.stdout + first.stderr
    answer = json.loads(first.stdout)
    assert (answer["journaled"], answer["duplicates"]) == (6, 0)                # as the README says
    assert (json.loads(again.stdout)["journaled"], json.loads(again.stdout)["duplicates"]) == (0, 6)
    assert code == 0, err


def test_the_readmes_csv_column_table_is_the_decoders():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("| column | in rows of type"):]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert documented == [c.name for c in COLUMNS]
    for name in REQUIRED:
        assert re.search(rf"^\| `{name}` \| every row \|", section, flags=re.MULTILINE), name


def test_the_committed_schemas_are_what_the_wire_models_generate(capsys):
    assert schema_module.stale() == [], "run: python -m plugins.bailleurs.schema"
    assert schema_module.main(["--check"]) == 0


def test_the_staleness_check_fails_on_a_schema_out_of_date(tmp_path):
    """The check above can fail: a committed schema one model field behind is reported by name."""
    schema_module.write(tmp_path)
    path = tmp_path / "evenements-1.schema.json"
    stale = json.loads(path.read_text(encoding="utf-8"))
    del stale["$defs"]["BailSigneRecord"]["properties"]["qpv"]
    path.write_text(json.dumps(stale), encoding="utf-8")
    (tmp_path / "decisions_cal-1.schema.json").unlink()
    assert schema_module.stale(tmp_path) == ["decisions_cal-1.schema.json", "evenements-1.schema.json"]


def test_the_committed_schemas_accept_the_examples_and_refuse_what_the_decoder_refuses():
    validators = {json.loads(p.read_text(encoding="utf-8"))["properties"]["format"]["const"]:
                  jsonschema.Draft202012Validator(json.loads(p.read_text(encoding="utf-8")))
                  for p in schema_module.SCHEMAS_DIR.glob("*.schema.json")}
    assert set(validators) == {"relais.bailleurs.decisions_cal/1", "relais.bailleurs.evenements/1"}
    examples = sorted((ROOT / "examples" / "inbox" / "bailleurs").glob("*.json"))
    for path in examples:
        doc = json.loads(path.read_text(encoding="utf-8"))
        validators[doc["format"]].validate(doc)
    chaine = json.loads((ROOT / "examples" / "inbox" / "bailleurs" / "chaine-2026-11-24.json").read_text())
    chaine["evenements"][0]["type"] = "visite_annulee"
    assert not validators["relais.bailleurs.evenements/1"].is_valid(chaine)
    chaine["evenements"][0]["type"] = "refus_demandeur"                      # without its date_refus and motif
    assert not validators["relais.bailleurs.evenements/1"].is_valid(chaine)
