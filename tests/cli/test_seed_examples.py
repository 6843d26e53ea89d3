"""The demo never leaks into a deployment: the example CAL decisions are copied into a fresh HOME only when no
configuration at all was given, and the console says so."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "examples" / "inbox" / "bailleurs").iterdir())


def files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def test_with_no_configuration_at_all_the_examples_are_seeded_delivered_and_announced(relais, tmp_path):
    out = relais("run", "--once", bare=True)
    assert out.exit_code == 0, out.stderr
    inbox = tmp_path / "var" / "relais" / "inbox" / "bailleurs"
    assert f"copied {len(EXAMPLES)} example file(s) into {inbox.resolve()}" in out.stderr
    assert "turns it off" in out.stderr
    assert files(tmp_path / "var" / "relais" / "outbox" / "habisoft"), "the demo goes all the way"


def test_a_configuration_file_turns_the_seeding_off(relais, tmp_path):
    (tmp_path / "relais.toml").write_text("batch_size = 100\n")
    out = relais("run", "--once", bare=True)
    assert out.exit_code == 0, out.stderr
    assert "example" not in out.stderr
    assert not files(tmp_path / "var" / "relais" / "inbox" / "bailleurs")
    assert not files(tmp_path / "var" / "relais" / "outbox" / "habisoft")


def test_an_environment_variable_turns_the_seeding_off(relais, tmp_path):
    out = relais("run", "--once", bare=True, env={"RELAIS_HOME": str(tmp_path / "prod")})
    assert out.exit_code == 0, out.stderr
    assert not files(tmp_path / "prod" / "inbox" / "bailleurs")


def test_seed_examples_true_seeds_even_with_a_configuration(relais, tmp_path):
    (tmp_path / "relais.toml").write_text(f'home = "{tmp_path / "demo"}"\nseed_examples = true\n')
    out = relais("run", "--once", bare=True)
    assert out.exit_code == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "demo" / "inbox" / "bailleurs" / "done").rglob("*")
                  if p.is_file()) == EXAMPLES
