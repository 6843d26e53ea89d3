"""The committed hook reference is the one the code generates."""

from __future__ import annotations

from hub.docs import HOOKS_MD, main, render_hook_reference


def test_docs_hooks_md_equals_a_fresh_render():
    assert HOOKS_MD.read_text(encoding="utf-8") == render_hook_reference(), \
        "docs/hooks.md is out of date: run `python -m hub.docs`"


def test_the_reference_has_a_section_per_hook_with_its_parameters():
    text = render_hook_reference()
    for hook in ("relais_register_connectors", "relais_register_commands", "relais_register_routes",
                 "relais_startup", "relais_shutdown"):
        assert f"\n## {hook}\n" in text
    assert "- `register` (`Callable[[Any], None]`): call `register(router)` with a `fastapi.APIRouter`" in text


def test_check_mode_reports_an_outdated_file(tmp_path, monkeypatch):
    stale = tmp_path / "hooks.md"
    stale.write_text("# old\n")
    monkeypatch.setattr("hub.docs.HOOKS_MD", stale)
    assert main(["--check"]) == 1
    assert main([]) == 0
    assert main(["--check"]) == 0
