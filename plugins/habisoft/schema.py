"""The Habisoft format's names and schema: namespace, qualified-name helper, the XSD loaded once.

The XSD (``schemas/habisoft.xsd``) is generated from the contracts by :mod:`plugins.habisoft.xsd` and committed;
a test fails when the contracts and the committed file disagree."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hub.xml import XmlSchema

__all__ = ["NS", "PREFIX", "VERSION", "SCHEMA_DIR", "SCHEMA_FILE", "q", "habisoft_schema"]

#: Namespace of the Habisoft exchange format, version 1 (carries the contracts' ``.v1`` event types).
NS = "urn:relais:habisoft:1"
PREFIX = "hab"
#: Value of the root's ``version`` attribute; a compatible extension of version 1 keeps the namespace.
VERSION = "1.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILE = SCHEMA_DIR / "habisoft.xsd"

_CLARK: dict[str, str] = {}


def q(local: str) -> str:
    """Clark name of an element of the Habisoft namespace (memoised: the binder asks for it per field)."""
    try:
        return _CLARK[local]
    except KeyError:
        return _CLARK.setdefault(local, f"{{{NS}}}{local}")


@lru_cache(maxsize=1)
def habisoft_schema() -> XmlSchema:
    """The XSD; values of elements that are never personal data may be quoted in its error messages."""
    from plugins.habisoft.codes import public_elements

    return XmlSchema(SCHEMA_FILE, public=public_elements() | {"@version", "@id", "@date", "dateFichier"})
