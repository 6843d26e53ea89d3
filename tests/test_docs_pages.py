"""The repository's own documentation: what the code and the docs point to exists in a clone."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("contracts", "hub", "plugins", "tests", "docs", "bench", "examples")


def text_files() -> list[Path]:
    files = [REPO / "README.md"]
    for top in SOURCES:
        files += [p for p in (REPO / top).rglob("*") if p.suffix in (".py", ".md", ".tmpl") and p.is_file()]
    return [p for p in files if p != Path(__file__).resolve()]   # this file names them on purpose


def dangling_references(files: list[Path], root: Path = REPO) -> list[str]:
    """Mentions of ``docs/NAME.md`` whose file does not exist under ``root``, and of the design notes a clone does
    not have."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r"(?<![\w/.])(DOMAIN|ARCHITECTURE|PERFORMANCE)\.md", text):
            found.append(f"{path.relative_to(root)}: {match.group(0)}")
        for match in re.finditer(r"docs/([\w-]+\.md)", text):
            if not (root / "docs" / match.group(1)).is_file():
                found.append(f"{path.relative_to(root)}: {match.group(0)}")
    return found


def test_every_documentation_reference_resolves_in_the_repository():
    assert dangling_references(text_files()) == []


def test_the_check_can_fail(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "domain.md").write_text("# domain\n")
    stray = tmp_path / "x.py"
    stray.write_text('"""see DOMAIN.md, docs/domain.md and docs/nowhere.md"""\n')
    assert dangling_references([stray], root=tmp_path) == ["x.py: DOMAIN.md", "x.py: docs/nowhere.md"]


def test_the_pages_a_reader_needs_exist_and_are_linked_from_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in ("architecture", "domain", "performance"):
        assert (REPO / "docs" / f"{page}.md").is_file()
        assert f"docs/{page}.md" in readme
