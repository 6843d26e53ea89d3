"""Writes a new connector package from the templates: names derived from the connector's name, files rendered with
``string.Template``.

Why ``string.Template``: the templates are Python, TOML and JSON, full of braces; ``${name}`` placeholders leave them
readable, and ``substitute`` fails on a placeholder the scaffold does not know instead of writing it through.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from string import Template

from hub.core.errors import RelaisError
from hub.core.plugins import ENTRY_POINT_GROUP
from hub.core.roles import PartnerRole

__all__ = ["scaffold_connector", "connector_variables", "bundled_connector_names", "ScaffoldError", "TEMPLATES", "ROLES"]

TEMPLATES = Path(__file__).resolve().parent / "templates" / "connector"
SUFFIX = ".tmpl"
DOT_PREFIX = "dot-"   # packaging tools skip dotfiles, so ".gitignore" is kept as "dot-gitignore.tmpl"

#: Roles a scaffold may take: an "autre" partner never receives nominative data, so its tests could not pass.
ROLES = tuple(r.value for r in PartnerRole if r is not PartnerRole.AUTRE)
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ScaffoldError(RelaisError):
    """The connector cannot be scaffolded as asked (bad name, directory not empty)."""


def bundled_connector_names() -> list[str]:
    """The plugin names the ``relais`` distribution itself declares in the entry-point group (its connectors)."""
    return sorted(ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
                  if ep.dist is not None and ep.dist.name == "relais")


def connector_variables(name: str, role: str = PartnerRole.BAILLEUR.value) -> dict[str, str]:
    """Every name the templates use, derived from the connector's name (``foo_erp``: package ``relais_foo_erp``,
    distribution ``relais-foo-erp``, class ``FooErpConnector``)."""
    if not _NAME.match(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(f"connector name {name!r}: use 2 to 40 lowercase letters, digits and single underscores, "
                            "starting with a letter (it names the queue, the settings section and the package)")
    bundled = bundled_connector_names()
    if name in bundled:
        raise ScaffoldError(f"{name!r} is the name of a connector bundled with Relais ({', '.join(bundled)}); a "
                            f"second one would clash with it: choose another name, e.g. {name}_{role}")
    if role not in ROLES:
        raise ScaffoldError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    from hub import __version__
    major, minor = (int(p) for p in __version__.split(".")[:2])
    return {
        "name": name,
        "package": f"relais_{name}",
        "dist": "relais-" + name.replace("_", "-"),
        "class_prefix": "".join(part.capitalize() for part in name.split("_")),
        "role": PartnerRole(role).name,
        "role_value": role,
        "relais_requirement": f"relais>={major}.{minor},<{major}.{minor + 1}",
    }


def scaffold_connector(name: str, directory: Path, *, role: str = PartnerRole.BAILLEUR.value,
                       force: bool = False) -> list[Path]:
    """Write the package for connector ``name`` into ``directory``; returns the files written.

    Refuses a directory that exists and is not empty unless ``force`` (then files are overwritten, others kept)."""
    variables = connector_variables(name, role)
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} exists and is not empty; choose another --dir or pass --force")
    written: list[Path] = []
    for template in sorted(TEMPLATES.rglob(f"*{SUFFIX}")):
        relative = template.relative_to(TEMPLATES)
        parts = [p.replace("{package}", variables["package"]) for p in relative.parts]
        filename = parts[-1][: -len(SUFFIX)]
        if filename.startswith(DOT_PREFIX):
            filename = "." + filename[len(DOT_PREFIX):]
        target = directory.joinpath(*parts[:-1], filename)
        try:
            text = Template(template.read_text(encoding="utf-8")).substitute(variables)
        except (KeyError, ValueError) as exc:
            raise ScaffoldError(f"template {relative} has a bad placeholder: {exc}") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
