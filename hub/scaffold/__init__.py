"""``relais new-connector``: scaffolding a connector as its own installable package.

The templates under ``templates/connector/`` are plain files with ``string.Template`` placeholders (``${name}``)
and ``{package}`` in paths; nothing more is needed than the standard library, so the scaffold has no template
engine dependency. The package it writes is the one ``docs/write-a-connector.md`` walks through.
"""

from hub.scaffold.render import ScaffoldError, connector_variables, scaffold_connector

__all__ = ["scaffold_connector", "connector_variables", "ScaffoldError"]
