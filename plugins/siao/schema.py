"""The committed JSON Schema of the SIAO's format, generated from :mod:`plugins.siao.wire`.

Run ``python -m plugins.siao.schema`` after changing the wire models; ``tests/plugins/siao/test_siao_schema.py``
fails while the committed file is stale, so a format change is always reviewed as a schema diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.json_documents import schema_of
from plugins.siao.wire import FORMAT, SiaoDocument

__all__ = ["SCHEMA_FILE", "document_schema", "generate"]

SCHEMA_FILE = Path(__file__).with_name("schemas") / "siao_labels.json"


def document_schema() -> dict[str, Any]:
    return schema_of(SiaoDocument, FORMAT)


def generate() -> str:
    return json.dumps(document_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
