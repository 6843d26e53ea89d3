"""The committed JSON Schema of the COMED's format, generated from :mod:`plugins.dalo.wire`.

Run ``python -m plugins.dalo.schema`` after changing the wire models (or the ``decision_dalo`` contract they extend);
``tests/plugins/dalo/test_dalo_schema.py`` fails while the committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.json_documents import schema_of
from plugins.dalo.wire import FORMAT, DecisionsDocument

__all__ = ["SCHEMA_FILE", "document_schema", "generate"]

SCHEMA_FILE = Path(__file__).with_name("schemas") / "dalo_decisions.json"


def document_schema() -> dict[str, Any]:
    return schema_of(DecisionsDocument, FORMAT)


def generate() -> str:
    return json.dumps(document_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
