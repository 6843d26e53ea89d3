"""Documentation generated from the code, and the checks that keep it honest.

* :func:`render_hook_reference` writes ``docs/hooks.md`` from the docstrings of :mod:`hub.core.hookspecs`, so the
  reference an integrator reads is the one the hub implements (a test compares the committed file with a fresh
  render);
* :func:`documentation_problems` and :func:`untested_hooks` are what the meta-tests assert empty: every hook says
  when it is called, documents each parameter and its return, says since when it exists, and has a test.

::

    python -m hub.docs            rewrite docs/hooks.md
    python -m hub.docs --check    exit 1 when docs/hooks.md is out of date
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "HookDoc", "hookspecs_of", "parse_hook_doc", "documentation_problems", "untested_hooks", "collect_test_names",
    "render_hook_reference", "HOOKS_MD", "main",
]

HOOKS_MD = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
_MARKER = "relais_spec"   # the attribute pluggy's HookspecMarker("relais") sets on a hook specification


@dataclass
class HookDoc:
    """A hook's docstring, split the way the reference presents it."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: str | None = None
    version_added: str | None = None

    @property
    def summary(self) -> str:
        return self.description.split("\n\n", 1)[0].replace("\n", " ").strip()

    @property
    def says_when_called(self) -> bool:
        return re.search(r"\bCalled\b", self.description) is not None


def hookspecs_of(module: ModuleType) -> list[tuple[str, Callable[..., Any]]]:
    """The hook specifications a module declares, in the order they are written."""
    return [(name, obj) for name, obj in vars(module).items()
            if callable(obj) and getattr(obj, _MARKER, None) is not None]


_FIELD = re.compile(r"^:(param\s+(?P<param>\w+)|return|returns):\s*(?P<text>.*)$")
_VERSION = re.compile(r"^\.\.\s+versionadded::\s*(?P<version>\S+)\s*$")


def parse_hook_doc(function: Callable[..., Any]) -> HookDoc:
    """Split a hook's docstring into description, ``:param x:`` entries, ``:return:`` and ``.. versionadded::``."""
    doc = HookDoc()
    text = inspect.getdoc(function) or ""
    description: list[str] = []
    current: tuple[str, str | None] | None = None   # ("param", name) or ("return", None)
    for line in text.splitlines():
        field_match = _FIELD.match(line.strip()) if not line.startswith(" ") else None
        version_match = _VERSION.match(line.strip())
        if field_match:
            param = field_match.group("param")
            current = ("param", param) if param else ("return", None)
            _append(doc, current, field_match.group("text"))
        elif version_match:
            doc.version_added = version_match.group("version")
            current = None
        elif current is not None and line.startswith(" ") and line.strip():
            _append(doc, current, line.strip())
        elif current is not None and not line.strip():
            current = None
        elif current is None:
            description.append(line)
    doc.description = "\n".join(description).strip()
    return doc


def _append(doc: HookDoc, current: tuple[str, str | None], text: str) -> None:
    kind, name = current
    if kind == "param" and name is not None:
        doc.params[name] = (doc.params.get(name, "") + " " + text).strip()
    else:
        doc.returns = ((doc.returns or "") + " " + text).strip()


def documentation_problems(module: ModuleType) -> list[str]:
    """What is missing from each hook's documentation; empty when every hook is fully documented."""
    problems: list[str] = []
    for name, function in hookspecs_of(module):
        if not (inspect.getdoc(function) or "").strip():
            problems.append(f"{name}: has no docstring")
            continue
        doc = parse_hook_doc(function)
        if not doc.says_when_called:
            problems.append(f"{name}: does not say when it is called (a sentence with 'Called …')")
        signature = list(inspect.signature(function).parameters)
        for param in signature:
            if not doc.params.get(param):
                problems.append(f"{name}: parameter {param!r} is not documented (:param {param}:)")
        for param in doc.params:
            if param not in signature:
                problems.append(f"{name}: documents a parameter {param!r} it does not have")
        if not doc.returns:
            problems.append(f"{name}: does not say what it returns and how results combine (:return:)")
        if not doc.version_added:
            problems.append(f"{name}: does not say since when it exists (.. versionadded::)")
    return problems


def collect_test_names(root: Path) -> set[str]:
    """Names of the test functions (``test_*``) defined under ``root``, read without importing anything."""
    names: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names.update(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"))
    return names


def untested_hooks(module: ModuleType, test_names: Iterable[str]) -> list[str]:
    """Hooks whose name appears in no test function's name (``test_relais_startup_…``)."""
    names = list(test_names)
    return [hook for hook, _ in hookspecs_of(module) if not any(hook in test for test in names)]


# --- rendering --------------------------------------------------------------------------------------------------
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def _markdown(text: str) -> str:
    """The reStructuredText bits hook docstrings use, as Markdown."""
    text = _ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    text = _LITERAL.sub(lambda m: f"`{m.group(1)}`", text)
    return re.sub(r"::$", ":", text, flags=re.MULTILINE)


def _signature(name: str, function: Callable[..., Any]) -> str:
    params = ", ".join(inspect.signature(function).parameters)
    return f"{name}({params})"


def render_hook_reference(module: ModuleType | None = None) -> str:
    """The Markdown hook reference for ``module`` (default: :mod:`hub.core.hookspecs`)."""
    if module is None:
        from hub.core import hookspecs as module
    hooks = hookspecs_of(module)
    out = [
        "# Hook reference",
        "",
        f"<!-- Generated from {module.__name__} by `python -m hub.docs`; edit the docstrings, not this file. -->",
        "",
        _markdown(inspect.getdoc(module) or "").strip(),
        "",
        "A plugin implements a hook by defining a function of the same name, decorated with `hub.hookimpl`, in the",
        "module its `relais` entry point names; it declares only the parameters it uses.",
        "",
        "| hook | what it is for |",
        "|---|---|",
    ]
    out += [f"| [`{_signature(n, f)}`](#{n}) | {_markdown(parse_hook_doc(f).summary)} |" for n, f in hooks]
    for name, function in hooks:
        doc = parse_hook_doc(function)
        params = inspect.signature(function).parameters
        out += ["", f"## {name}", "", "```python", "@hookimpl",
                f"def {_signature(name, function)}:", "    ...", "```", "", _markdown(doc.description), ""]
        if doc.params:
            out += ["**Parameters**", ""]
            for param, text in doc.params.items():
                annotation = params[param].annotation if param in params else inspect.Parameter.empty
                typed = f" (`{annotation}`)" if annotation is not inspect.Parameter.empty else ""
                out.append(f"- `{param}`{typed}: {_markdown(text)}")
            out.append("")
        if doc.returns:
            out += [f"**Returns**: {_markdown(doc.returns)}", ""]
        if doc.version_added:
            out += [f"*Added in Relais {doc.version_added}.*"]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    fresh = render_hook_reference()
    if "--check" in args:
        current = HOOKS_MD.read_text(encoding="utf-8") if HOOKS_MD.exists() else ""
        if current != fresh:
            print(f"{HOOKS_MD} is out of date: run python -m hub.docs", file=sys.stderr)
            return 1
        return 0
    HOOKS_MD.parent.mkdir(parents=True, exist_ok=True)
    HOOKS_MD.write_text(fresh, encoding="utf-8")
    print(f"wrote {HOOKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
