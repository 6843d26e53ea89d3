"""Every command driven with wrong inputs: the exit code a script relies on (README, "Exit codes") and the first
line of the message an operator reads. No traceback, ever."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from plugins.sne.synthetic import write_extraction
from tests.factories import decision, decisions_document

#: (arguments, exit code, start of the error line). ``{tmp}`` is the test's directory.
TABLE = [
    (["frobnicate"], 2, "Error: No such command 'frobnicate'."),
    (["--config", "nope.toml", "plugins"], 2, "Error: configuration file 'nope.toml' does not exist"),
    (["config", "check", "extra"], 2, "Error: Got unexpected extra argument (extra)"),
    (["run", "--http", "8080"], 2, "Error: Invalid value for '--http': '8080': expected HOST:PORT"),
    (["serve", "--port", "99999"], 2, "Error: Invalid value for '--port': 99999 is not in the range"),
    (["new-connector", "Not-A-Name"], 2, "Error: connector name 'Not-A-Name': use 2 to 40 lowercase letters"),
    (["new-connector", "bailleurs"], 2, "Error: 'bailleurs' is the name of a connector bundled with Relais"),
    (["ingest", "-c", "nope", "{tmp}/cal.json"], 2, "Error: no connector named 'nope'; loaded: "),
    (["ingest", "-c", "bailleurs", "{tmp}/missing.json"], 2, "Error: Invalid value for 'FILES...': File "),
    (["ingest", "-c", "bailleurs"], 2, "Error: Missing argument 'FILES...'."),
    (["import", "-c", "bailleurs", "{tmp}/cal.json"], 2, "Error: connector 'bailleurs' has no bulk import"),
    (["import", "-c", "nope", "{tmp}/cal.json"], 2, "Error: no connector named 'nope'"),
    (["import", "{tmp}/cal.json"], 2, "Error: Missing option '--connector' / '-c'."),
    (["plugins", "--yaml"], 2, "Error: No such option '--yaml'"),
    (["history", "0630000000000"], 1, "Error: no event journaled for 0630000000000"),
    (["event", "no-such-event"], 1, "Error: no event no-such-event in the journal"),
    (["deliveries", "-c", "nope"], 2, "Error: no connector named 'nope'"),
    (["poll", "-c", "nope"], 2, "Error: --connector nope: this connector does not pull"),
    (["dead", "list", "--since", "yesterday"], 2, "Error: Invalid value: 'yesterday' is not a date"),
    (["dead", "list", "--direction", "sideways"], 2, "Error: Invalid value for '--direction': 'sideways' is not one"),
    (["dead", "show", "999"], 1, "Error: no dead letter #999"),
    (["dead", "show", "abc"], 2, "Error: Invalid value for 'DEAD_ID': 'abc' is not a valid integer."),
    (["dead", "retry", "999"], 1, "Error: no open dead letter #999"),
    (["dead", "retry"], 2, "Error: name dead letters by ID, or select them with filters or --all"),
    (["dead", "retry", "--connector", "sne"], 1, "Error: no open dead letter matches these filters"),
    (["dead", "discard", "999"], 1, "Error: no open dead letter #999"),
    (["replay", "-c", "nope", "--since", "2026-01-01"], 2, "Error: no connector named 'nope'"),
    (["replay", "-c", "bailleurs"], 2, "Error: Missing option '--since'."),
    (["replay", "-c", "partner.nobody", "--since", "2026-01-01"], 2, "Error: no connector named 'partner.nobody'"),
    (["replay", "-c", "bailleurs", "--since", "2026-01-01"], 2, "Error: connector 'bailleurs' subscribes to nothing"),
    (["dossier", "0630000000000"], 1, "Error: no dossier for 0630000000000"),
    (["echeances", "avis", "--jour", "demain"], 2, "Error: Invalid value for '--jour': 'demain' does not match"),
    (["stats", "--year", "2026", "--format", "xlsx"], 2, "Error: --format xlsx writes a file: give --out FILE.xlsx"),
    (["stats", "--year", "2026", "--format", "ods"], 2, "Error: Invalid value for '--format': 'ods' is not one"),
    (["tick", "--at", "demain"], 2, "Error: Invalid value for '--at': 'demain' is not a date"),
    (["projections", "rebuild", "nope"], 2, ("Error: no projection named 'nope'; projections: cotation, dalo_attente, dossier, echeances, "
                                             "listes, statistiques")),
    (["cotation", "explain", "0630000000000"], 1, "Error: no score for 0630000000000: the hub has journaled no"),
    (["cotation", "recompute", "--progress", "--bars"], 2, "Error: No such option '--bars'"),
    (["listes", "export", "nope"], 2, "Error: Invalid value for '{prioritaires|delai_depasse|poulidor}': 'nope' is not"),
    (["listes", "export", "poulidor", "--communes", "Thiers"], 2, "Error: Invalid value for '--communes': Thiers: give"),
    (["dalo", "attente", "--au", "demain"], 2, "Error: Invalid value for '--au': 'demain' does not match"),
    (["dalo", "attente", "--format", "xml"], 2, "Error: Invalid value for '--format': 'xml' is not one of"),
    (["dalo", "attente", "--outbox", "--out", "{tmp}/a.csv"], 2, "Error: give --out FILE or --outbox, not both"),
    (["projections", "list", "extra"], 2, "Error: Got unexpected extra argument (extra)"),
    (["timers", "--status", "late"], 2, "Error: Invalid value for '--status': 'late' is not one"),
    (["db", "current", "extra"], 2, "Error: Got unexpected extra argument (extra)"),
    (["db", "upgrade", "--to", "0001"], 2, "Error: No such option '--to'"),
    (["contracts", "export", "--out", "{tmp}/cal.json"], 2, "Error: Invalid value for '--out': Directory "),
    (["partners", "add", "x", "--siren", "732829321", "--nom", "n", "--role", "bailleur", "-c", "bailleurs"], 2,
     "Error: --siren: SIREN: check digit"),
    (["partners", "list", "--yaml"], 2, "Error: No such option '--yaml'"),
    (["partners", "show", "nobody"], 1, "Error: no partner 'nobody' (see `relais partners list`)"),
    (["partners", "rotate-key", "nobody"], 1, "Error: no partner 'nobody'"),
    (["partners", "revoke", "nobody"], 1, "Error: no partner 'nobody'"),
    (["partners", "cert", "nobody", "CN=x"], 1, "Error: no partner 'nobody'"),
    (["partners", "set-emits", "nobody"], 2, "Error: give the patterns it may emit, or --default"),
    (["partners", "stock", "import", "nobody", "{tmp}/cal.json"], 1, "Error: no partner 'nobody'"),
    (["partners", "deliver", "nobody", "--pull"], 1, "Error: no partner 'nobody'"),
    (["partners", "deliver", "nobody"], 2, "Error: give exactly one of --webhook URL, --outbox DIR, --pull, --none"),
    (["partners", "deliver", "nobody", "--pull", "--none"], 2, "Error: give exactly one of --webhook URL, --outbox "
                                                              "DIR, --pull, --none (got --pull, --none)"),
    (["partners", "deliver", "nobody", "--pull", "--secret-file", "{tmp}/s"], 2,
     "Error: --secret-file and --keep-secret are for --webhook"),
    (["partners", "deliver", "nobody", "--webhook", "https://x.example/e", "--concurrency", "0"], 2,
     "Error: Invalid value for '--concurrency': 0 is not in the range 1<=x<=32."),
    (["audit", "--since", "yesterday"], 2, "Error: Invalid value: 'yesterday' is not a date"),
    (["policy", "explain", "nobody", "0631126000100G6301"], 1, "Error: no partner 'nobody'"),
    (["console", "users", "add", "a@b.fr", "--partner", "nobody", "--role", "reader"], 2,
     "Error: --partner nobody: no active partner of that id"),
    (["console", "users", "add", "a@b.fr", "--partner", "x", "--role", "admin"], 2,
     "Error: Invalid value for '--role': 'admin' is not one of 'operator', 'reader'."),
    (["console", "users", "list", "--json"], 2, "Error: No such option '--json'"),
    (["console", "users", "disable", "nobody@example.fr"], 1, "Error: no console account 'nobody@example.fr'"),
    (["console", "users", "reset-password", "nobody@example.fr"], 1,
     "Error: no console account 'nobody@example.fr'"),
]


@pytest.fixture
def cal_file(tmp_path: Path) -> Path:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(decisions_document([decision()])))
    return path


@pytest.mark.parametrize(("args", "status", "line"), TABLE, ids=[" ".join(a) for a, _, _ in TABLE])
def test_wrong_input(relais, tmp_path, cal_file, args, status, line):
    out = relais(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert "Traceback" not in out.stderr + out.stdout
    assert (out.exit_code, out.error_line[:len(line)]) == (status, line), out.stderr


def test_ingest_with_rejections_exits_3_and_names_the_dead_letter(relais, tmp_path):
    bad = tmp_path / "cal.json"
    bad.write_text("{not json")
    out = relais("ingest", "-c", "bailleurs", str(bad))
    assert out.exit_code == 3
    assert out.stdout.splitlines()[0] == "0 event(s) journaled, 0 duplicate(s), 1 rejected"


def test_import_with_rejected_records_exits_3(relais, tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 5, seed=3, distinct=5)
    text = path.read_text(encoding="utf-8")
    marker = "<ns1:dateCreationDemande>"
    cut = text.index(marker) + len(marker)
    path.write_text(text[:cut] + "2026-13-45" + text[cut + 10:], encoding="utf-8")
    out = relais("import", "-c", "sne", "--no-progress", str(path))
    assert out.exit_code == 3, out.stderr
    assert "4 imported, 0 updated, 0 unchanged, 1 rejected" in out.stdout.splitlines()[0]


def test_an_import_without_rejections_exits_0(relais, tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 5, seed=3, distinct=5)
    out = relais("import", "-c", "sne", "--no-progress", str(path))
    assert out.exit_code == 0, out.stderr
    assert "5 imported" in out.stdout


def test_run_with_the_gateway_on_a_port_in_use_fails_instead_of_running_without_it(relais, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = relais("run", "--http", f"127.0.0.1:{port}")
    assert out.exit_code == 1
    assert out.error_line.startswith(f"Error: the gateway could not listen on 127.0.0.1:{port}: ")
    assert "in use" in out.error_line
    assert "running (Ctrl-C to stop)" not in out.stdout


def test_serve_on_a_port_in_use_fails(relais):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = relais("serve", "--port", str(port))
    assert out.exit_code == 1
    assert out.error_line.startswith(f"Error: the gateway could not listen on 127.0.0.1:{port}: ")


def test_every_command_is_in_the_table():
    """A new command must join the table (wrong inputs, exit code, message)."""
    import click

    from hub.cli import prepare

    def paths(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        found = set()
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found |= paths(command, (*prefix, name))
            else:
                found.add((*prefix, name))
        return found

    plugin_commands = {("commune-csv",), ("commune_csv",)}
    covered = {tuple(a for a in args if not a.startswith("-"))[:len(p)] for args, _, _ in TABLE
               for p in paths(prepare())}
    missing = {p for p in paths(prepare()) if p not in covered and p[:1] not in {c[:1] for c in plugin_commands}}
    assert not missing, f"commands without a wrong-input row: {sorted(missing)}"


def test_contracts_export_without_out_does_not_touch_a_contracts_schemas_directory(relais, tmp_path):
    snapshots = tmp_path / "contracts" / "schemas"
    snapshots.mkdir(parents=True)
    (snapshots / "decision_cal.v1.json").write_text("{}")
    out = relais("contracts", "export")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip().endswith("file(s) written to relais-contracts")
    assert (tmp_path / "relais-contracts" / "asyncapi.json").is_file()
    assert [p.name for p in snapshots.iterdir()] == ["decision_cal.v1.json"]


def test_contracts_export_refuses_the_committed_snapshots_without_update_snapshots(relais):
    from contracts.export import SNAPSHOT_DIR
    before = {p.name: p.stat().st_mtime_ns for p in SNAPSHOT_DIR.iterdir()}
    out = relais("contracts", "export", "--out", str(SNAPSHOT_DIR))
    assert out.exit_code == 2
    assert out.error_line.startswith(f"Error: {SNAPSHOT_DIR} holds the committed snapshots")
    assert {p.name: p.stat().st_mtime_ns for p in SNAPSHOT_DIR.iterdir()} == before


@pytest.mark.parametrize(("env", "args", "status", "line"), [
    ({"RELAIS_JOURNAL_URL": "nonsense://x"}, ["deliveries"], 2,
     "Error: journal_url: not a usable database URL (Can't load plugin: sqlalchemy.dialects:nonsense)"),
    ({"RELAIS_JOURNAL_URL": "postgresql+psycopg://relais:pw-db@127.0.0.1:1/relais"}, ["deliveries"], 1,
     "Error: the journal postgresql+psycopg://relais:***@127.0.0.1:1/relais is unreachable ("),
    ({"RELAIS_BROKER_URL": "amqp://guest:pw-mq@127.0.0.1:1//"}, ["run", "--once"], 1,
     "Error: the broker amqp://guest:***@127.0.0.1:1// is unreachable ("),
], ids=["bad-journal-url", "journal-down", "broker-down"])
def test_an_unreachable_or_misspelt_journal_or_broker_is_one_line(relais, env, args, status, line):
    out = relais(*args, env=env)
    assert (out.exit_code, out.error_line[:len(line)]) == (status, line), out.stderr
    assert "pw-" not in out.stderr and "Traceback" not in out.stderr
    assert "events in" not in out.stderr, "no progress summary for work that failed"
