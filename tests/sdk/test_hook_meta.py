"""Meta-tests (after datasette's): every hook is documented and every hook has a test — and proof that these
meta-tests fail when either is missing, by feeding them a fake hook specification module."""

from __future__ import annotations

import types
from pathlib import Path

import pluggy
import pytest

from hub.core import hookspecs
from hub.docs import collect_test_names, documentation_problems, untested_hooks

TESTS = Path(__file__).resolve().parents[1]


def assert_every_hook_documented(module: types.ModuleType) -> None:
    problems = documentation_problems(module)
    assert not problems, "hooks lacking documentation:\n" + "\n".join(problems)


def assert_every_hook_tested(module: types.ModuleType, tests_root: Path) -> None:
    missing = untested_hooks(module, collect_test_names(tests_root))
    assert not missing, ("hooks without a test (a test function whose name contains the hook's name): "
                         + ", ".join(missing))


def test_every_hook_is_documented():
    assert_every_hook_documented(hookspecs)


def test_every_hook_has_a_test():
    assert_every_hook_tested(hookspecs, TESTS)


# --- the meta-tests can fail ------------------------------------------------------------------------------------
def fake_hookspec_module() -> types.ModuleType:
    """A hookspec module with one complete hook, one without docstring and one with a half-written docstring."""
    module = types.ModuleType("fake_hookspecs")
    spec = pluggy.HookspecMarker("relais")

    def relais_documented(register):
        """Do a thing.

        Called once, at start.

        :param register: call it.
        :return: nothing.

        .. versionadded:: 0.1
        """

    def relais_undocumented(register):
        pass

    def relais_half_documented(hub, register):
        """Do another thing.

        :param hub: the hub.
        :param extra: not a parameter at all.
        """

    for function in (relais_documented, relais_undocumented, relais_half_documented):
        setattr(module, function.__name__, spec(function))
    return module


def test_documentation_meta_test_fails_on_a_hook_without_docstring_or_parts():
    with pytest.raises(AssertionError) as failed:
        assert_every_hook_documented(fake_hookspec_module())
    message = str(failed.value)
    assert "relais_undocumented: has no docstring" in message
    assert "relais_half_documented: does not say when it is called" in message
    assert "relais_half_documented: parameter 'register' is not documented" in message
    assert "relais_half_documented: documents a parameter 'extra'" in message
    assert "relais_half_documented: does not say what it returns" in message
    assert "relais_half_documented: does not say since when" in message
    assert "relais_documented:" not in message


def test_test_meta_test_fails_on_a_hook_without_a_test(tmp_path):
    (tmp_path / "test_fake.py").write_text(
        "def test_relais_documented_does_a_thing():\n    pass\n\n"
        "def helper_mentioning_relais_undocumented():\n    pass\n")
    with pytest.raises(AssertionError) as failed:
        assert_every_hook_tested(fake_hookspec_module(), tmp_path)
    assert "relais_undocumented, relais_half_documented" in str(failed.value)


def test_test_meta_test_passes_when_each_hook_has_a_test(tmp_path):
    (tmp_path / "test_fake.py").write_text("\n".join(
        f"def test_{name}_works():\n    pass\n"
        for name in ("relais_documented", "relais_undocumented", "relais_half_documented")))
    assert_every_hook_tested(fake_hookspec_module(), tmp_path)
