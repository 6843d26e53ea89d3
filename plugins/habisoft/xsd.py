"""Generates ``schemas/habisoft.xsd`` from the contracts, by the binder's rules.

Why generated: the Habisoft format is the contracts written in XML (see :mod:`plugins.habisoft.binder`), so its
schema must follow them exactly; writing it by hand would drift. The file is committed (partners read it, the
connector validates with it) and a test regenerates it and compares, so a contract change that alters the format is
seen in review.

Run ``.venv/bin/python -m plugins.habisoft.xsd`` to rewrite the file.
"""

from __future__ import annotations

import sys
from enum import Enum

import annotated_types
from pydantic import BaseModel

from contracts import REGISTRY, LegalEntity
from plugins.habisoft.binder import Shape, _fields, reachable_enums, reachable_models
from plugins.habisoft.codes import EVENEMENTS
from plugins.habisoft.schema import NS, PREFIX, SCHEMA_FILE, VERSION

__all__ = ["generate", "main"]

_XS_TYPES = {"date": "xs:date", "datetime": "xs:dateTime", "bool": "xs:boolean", "int": "xs:integer",
             "float": "xs:double", "str": "xs:string"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _facets(model: type[BaseModel], field: str, shape: Shape) -> list[str]:
    """XSD facets for the bounds pydantic declares on a number or a string (patterns stay pydantic's job:
    Python and XSD regular expressions differ)."""
    if shape.kind not in ("int", "str", "float"):
        return []
    facets = []
    for constraint in model.model_fields[field].metadata:
        if isinstance(constraint, annotated_types.Ge) and shape.kind != "str":
            facets.append(f'<xs:minInclusive value="{constraint.ge}"/>')
        elif isinstance(constraint, annotated_types.Le) and shape.kind != "str":
            facets.append(f'<xs:maxInclusive value="{constraint.le}"/>')
        elif isinstance(constraint, annotated_types.MinLen) and shape.kind == "str":
            facets.append(f'<xs:minLength value="{constraint.min_length}"/>')
        elif isinstance(constraint, annotated_types.MaxLen) and shape.kind == "str":
            facets.append(f'<xs:maxLength value="{constraint.max_length}"/>')
    return facets


def _type_ref(shape: Shape) -> str:
    if shape.kind == "enum":
        return f"{PREFIX}:Code{shape.target.__name__}"
    if shape.kind == "model":
        return f"{PREFIX}:{shape.target.__name__}"
    if shape.kind == "union":
        return f"{PREFIX}:{shape.target.__name__}OuCode"
    return _XS_TYPES[shape.kind]


def _element(model: type[BaseModel], field: str, name: str, shape: Shape, optional: bool, indent: str,
             repeated: bool = False) -> list[str]:
    occurs = (' minOccurs="0"' if optional else "") + (' maxOccurs="unbounded"' if repeated else "")
    if shape.kind == "list":
        lines = [f'{indent}<xs:element name="{name}"{occurs}>',
                 f"{indent}  <xs:complexType><xs:sequence>"]
        # the list field's own bounds (e.g. at least one item) stay pydantic's: items carry no facets
        lines += _element(model, field + "[]", shape.item_name, shape.target, True, indent + "    ", repeated=True)
        lines += [f"{indent}  </xs:sequence></xs:complexType>", f"{indent}</xs:element>"]
        return lines
    facets = _facets(model, field, shape) if not field.endswith("[]") else []
    if facets:
        return [f'{indent}<xs:element name="{name}"{occurs}>',
                f'{indent}  <xs:simpleType><xs:restriction base="{_XS_TYPES[shape.kind]}">{"".join(facets)}'
                f"</xs:restriction></xs:simpleType>",
                f"{indent}</xs:element>"]
    return [f'{indent}<xs:element name="{name}" type="{_type_ref(shape)}"{occurs}/>']


def _complex_type(model: type[BaseModel]) -> list[str]:
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else model.__name__
    lines = [f'  <xs:complexType name="{model.__name__}">',
             f"    <xs:annotation><xs:documentation>{_escape(doc)}</xs:documentation></xs:annotation>",
             "    <xs:sequence>"]
    for field, name, shape, _default, required in _fields(model):
        lines += _element(model, field, name, shape, not required, "      ")
    lines += ['      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
              "    </xs:sequence>", "  </xs:complexType>"]
    return lines


def _union_type(model: type[BaseModel]) -> list[str]:
    return [f'  <xs:complexType name="{model.__name__}OuCode">',
            "    <xs:annotation><xs:documentation>Either the legal entity, or its code in the system of record."
            "</xs:documentation></xs:annotation>",
            "    <xs:choice>", "      <xs:sequence>",
            *[f'        {line.strip()}' for field, name, shape, _d, required in _fields(model)
              for line in _element(model, field, name, shape, not required, "")],
            "      </xs:sequence>",
            '      <xs:element name="code" type="xs:string"/>',
            "    </xs:choice>", "  </xs:complexType>"]


def _code_type(enum: type[Enum]) -> list[str]:
    name = enum.__name__
    lines = [f'  <xs:simpleType name="Liste{name}">',
             f"    <xs:annotation><xs:documentation>{_escape((enum.__doc__ or name).strip().splitlines()[0])}"
             "</xs:documentation></xs:annotation>",
             '    <xs:restriction base="xs:string">']
    for member in enum:
        label = getattr(member, "label", member.name)
        lines.append(f'      <xs:enumeration value="{_escape(member.value)}"><xs:annotation><xs:documentation>'
                     f"{_escape(label)}</xs:documentation></xs:annotation></xs:enumeration>")
    lines += ["    </xs:restriction>", "  </xs:simpleType>",
              f'  <xs:complexType name="Code{name}">',
              f'    <xs:attribute name="code" type="{PREFIX}:Liste{name}" use="required"/>',
              "  </xs:complexType>"]
    return lines


def generate() -> str:
    """The text of ``habisoft.xsd`` for the current contracts."""
    payloads = [REGISTRY.model_for(event_type) for event_type in EVENEMENTS.values()]
    models = reachable_models([*payloads, LegalEntity])
    unions = [shape.target for model in models for _f, _n, shape, _d, _r in _fields(model) if shape.kind == "union"]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!--",
        "  Habisoft exchange format, version 1 (fichier partagé de la demande de logement social).",
        "  GENERATED from the Relais contracts by plugins/habisoft/xsd.py: do not edit, regenerate.",
        "  Rules: see plugins/habisoft/README.md. Every structure ends with an extension point",
        '  (xs:any namespace="##other" processContents="lax"): elements of other namespaces are accepted.',
        "-->",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"',
        f'           xmlns:{PREFIX}="{NS}"',
        f'           targetNamespace="{NS}"',
        '           elementFormDefault="qualified"',
        f'           version="{VERSION}">',
        "",
        f'  <xs:element name="fichierPartage" type="{PREFIX}:FichierPartage"/>',
        f'  <xs:element name="evenement" type="{PREFIX}:Evenement"/>',
        f'  <xs:element name="rejet" type="{PREFIX}:Rejet"/>',
        "",
        '  <xs:complexType name="FichierPartage">',
        "    <xs:sequence>",
        f'      <xs:element name="entete" type="{PREFIX}:Entete"/>',
        f'      <xs:element ref="{PREFIX}:evenement" minOccurs="0" maxOccurs="unbounded"/>',
        '      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        '    <xs:attribute name="version" use="required">',
        f'      <xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="{VERSION}"/>'
        "</xs:restriction></xs:simpleType>",
        "    </xs:attribute>",
        "  </xs:complexType>",
        "",
        '  <xs:complexType name="Entete">',
        "    <xs:sequence>",
        '      <xs:element name="dateFichier" type="xs:dateTime"/>',
        f'      <xs:element name="emetteur" type="{PREFIX}:LegalEntity" minOccurs="0"/>',
        '      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        "  </xs:complexType>",
        "",
        '  <xs:complexType name="Evenement">',
        "    <xs:annotation><xs:documentation>One event of a demand: the demand it is about, the legal entity"
        " answerable for it, then its content, in the element named after its kind. A unit message is one evenement"
        " as the document's root.</xs:documentation></xs:annotation>",
        "    <xs:sequence>",
        '      <xs:element name="numeroUnique" type="xs:string" minOccurs="0"/>',
        f'      <xs:element name="entite" type="{PREFIX}:LegalEntity"/>',
        "      <xs:choice>",
        *[f'        <xs:element name="{name}" type="{PREFIX}:{REGISTRY.model_for(t).__name__}"/>'
          for name, t in EVENEMENTS.items()],
        "      </xs:choice>",
        '      <xs:element name="demandePoulidor" type="xs:boolean" minOccurs="0">',
        "        <xs:annotation><xs:documentation>On a decisionCal only: the candidate is ranked behind another"
        " (attribution en rang 2 or more) and is to be reconsidered for the next suitable dwelling."
        "</xs:documentation></xs:annotation>",
        "      </xs:element>",
        '      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        '    <xs:attribute name="id" use="required">',
        '      <xs:simpleType><xs:restriction base="xs:string"><xs:minLength value="1"/><xs:maxLength value="128"/>'
        "</xs:restriction></xs:simpleType>",
        "    </xs:attribute>",
        '    <xs:attribute name="date" type="xs:dateTime" use="required"/>',
        "  </xs:complexType>",
        "",
        '  <xs:complexType name="Rejet">',
        "    <xs:annotation><xs:documentation>Habisoft's answer refusing a POSTed document: a code, the path of the"
        " offending field, a message for people (never read by Relais: it may quote personal data)."
        "</xs:documentation></xs:annotation>",
        "    <xs:sequence>",
        '      <xs:element name="code" type="xs:string"/>',
        '      <xs:element name="chemin" type="xs:string" minOccurs="0"/>',
        '      <xs:element name="message" type="xs:string" minOccurs="0"/>',
        '      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        "  </xs:complexType>",
        "",
        "  <!-- ===== contract models ===== -->",
    ]
    for model in models:
        lines += _complex_type(model)
    for model in dict.fromkeys(unions):
        lines += _union_type(model)
    lines += ["", "  <!-- ===== code lists (the contracts' codes) ===== -->"]
    for enum in reachable_enums([*payloads, LegalEntity]):
        lines += _code_type(enum)
    lines += ["</xs:schema>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    SCHEMA_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
