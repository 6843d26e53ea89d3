"""The hub's public API for partner formats in XML: hardened parsing and validation, for connectors.

A connector reading XML uses only these (STYLE: XML is parsed through one hardened helper): no DTD, no entity, no
network access, size and depth limits, XSD validation whose messages name the element path and never a personal
value, record-by-record streaming of large extractions, and the helpers that turn schema problems into rejections
located per record. They live in :mod:`hub.xml_safe`; this module is the stable name plugins import, like
``from hub import …`` for the rest of the plugin API.
"""

from hub.xml_safe import (
    DEFAULT_LIMITS, XSI_NS, SchemaProblem, XmlLimits, XmlSchema, element_path, iter_records, local_name, make_parser,
    parse, record_alone, schema_error, split_by_record,
)

__all__ = [
    "DEFAULT_LIMITS", "XSI_NS", "SchemaProblem", "XmlLimits", "XmlSchema", "element_path", "iter_records",
    "local_name", "make_parser", "parse", "record_alone", "schema_error", "split_by_record",
]
