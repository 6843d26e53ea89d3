"""Small readers and writers for SNE elements: typed access to children (text, coded ``code`` attribute, date,
boolean, amount) and the matching builders.

Why a module of its own: the demand and message mappings read and write hundreds of elements; one place for the
conversions keeps them identical both ways (an amount is written and read the same way everywhere), and a
conversion failure names the element it happened on (:class:`MappingError`) so the codec can locate it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import TypeVar

from lxml import etree

from plugins.sne.codes import CodeTable, UnknownCode
from plugins.sne.schema import CLARK, q

__all__ = ["MappingError", "Reader", "decode_code", "add", "add_code", "add_commune", "add_list", "add_bool",
           "add_date"]

E = TypeVar("E", bound=Enum)


class MappingError(ValueError):
    """A value the XSD accepted but the mapping cannot carry; ``element`` says where (line and path)."""

    def __init__(self, reason: str, element: etree._Element):
        super().__init__(reason)
        self.reason = reason
        self.element = element


class Reader:
    """Typed reads of one element's children. Missing optional children read as None.

    The children are indexed by name on first use: a demand has ~60 fields read from ~15 parents, and one pass per
    parent is several times cheaper than a search per field (this is the bulk import's hot path)."""

    __slots__ = ("element", "_index")

    def __init__(self, element: etree._Element):
        self.element = element
        self._index: dict[object, etree._Element] | None = None

    def _indexed(self) -> dict[object, etree._Element]:
        index = self._index
        if index is None:
            # built backwards so that the first child of a name is the one kept, as ``find`` would return; built
            # on first read: a list container is only scanned (``children``, ``codes``), never indexed. A loop,
            # not a comprehension: Python 3.11 calls a comprehension as a function (~15 % of the indexing, timed)
            index = self._index = {}
            for child in reversed(self.element):
                index[child.tag] = child
        return index

    def find(self, name: str) -> etree._Element | None:
        return (self._index if self._index is not None else self._indexed()).get(CLARK[name])

    def child(self, name: str) -> "Reader | None":
        found = (self._index if self._index is not None else self._indexed()).get(CLARK[name])
        return Reader(found) if found is not None else None

    def children(self, name: str) -> list["Reader"]:
        tag = CLARK[name]
        # a comparison per child rather than ``iterfind``: its path machinery cost more than the few children
        return [Reader(child) for child in self.element if child.tag == tag]

    def text(self, name: str) -> str | None:
        # ``find`` inlined: a read of a value is the mapping's most frequent call
        found = (self._index if self._index is not None else self._indexed()).get(CLARK[name])
        if found is None:
            return None
        value = found.text           # each read of ``text`` decodes it anew: once
        return (value.strip() or None) if value is not None else None

    def code(self, name: str, table: CodeTable[E]) -> E | None:
        found = (self._index if self._index is not None else self._indexed()).get(CLARK[name])
        if found is None:
            return None
        member = table.codes.get(found.get("code"))      # the usual code, without the aliases and the errors
        return member if member is not None else decode_code(found, table)

    def codes(self, liste: str, name: str, table: CodeTable[E]) -> list[E]:
        container = (self._index if self._index is not None else self._indexed()).get(CLARK[liste])
        if container is None:
            return []
        tag, plain = CLARK[name], table.codes
        members = []
        for found in container:
            if found.tag == tag:
                member = plain.get(found.get("code"))      # the usual code first, as ``code`` does
                if member is None:
                    member = decode_code(found, table)
                if member is not None:                     # an alias for "not given" adds nothing
                    members.append(member)
        return members

    def date(self, name: str) -> date | None:
        """An ``xs:date``; the XSD allows years Python cannot hold (``12024-01-01``) and time zones, which the
        contracts do not keep: a date is a day in France."""
        value = self.text(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            # the value is not quoted: it may be a birth date
            raise MappingError(f"{name}: not a date between years 1 and 9999", self.find(name)) from None

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        return None if value is None else value in ("true", "1")

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        return None if value is None else int(value)

    def montant(self, name: str) -> int | None:
        """Whole euros: the contracts count euros without cents, so a decimal amount is rounded half up."""
        return self.rounded(name, "an amount")

    def rounded(self, name: str, what: str) -> int | None:
        """A decimal rounded half up to a whole number: amounts and surfaces are whole in the contracts, and the
        SNE's documents sometimes carry decimals (``<surface>50.5</surface>``)."""
        value = self.text(name)
        if value is None:
            return None
        if value.isascii() and value.isdigit():
            return int(value)        # the usual whole number, without a Decimal
        try:
            return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        except InvalidOperation:
            raise MappingError(f"{name}: not {what}; write a decimal number such as 50 or 50.5",
                               self.find(name)) from None

    def commune(self, name: str = "commune") -> str | None:
        found = self.find(name)
        return found.get("code") if found is not None else None


def decode_code(element: etree._Element, table: CodeTable[E]) -> E | None:
    try:
        return table.decode(element.get("code", ""))
    except UnknownCode as exc:
        raise MappingError(str(exc), element) from None


# --- builders --------------------------------------------------------------------------------------------------

def add(parent: etree._Element, name: str, value: object | None) -> etree._Element | None:
    """Append ``<name>value</name>`` unless value is None; ints and strings as they are."""
    if value is None:
        return None
    element = etree.SubElement(parent, q(name))
    element.text = str(value)
    return element


def add_bool(parent: etree._Element, name: str, value: bool | None) -> None:
    if value is not None:
        etree.SubElement(parent, q(name)).text = "true" if value else "false"


def add_date(parent: etree._Element, name: str, value: date | None) -> None:
    if value is not None:
        etree.SubElement(parent, q(name)).text = value.isoformat()


def add_code(parent: etree._Element, name: str, value: E | None, table: CodeTable[E]) -> None:
    """Append ``<name code="…"/>`` with the SNE code of ``value`` (folded when it has none of its own)."""
    if value is not None:
        etree.SubElement(parent, q(name), code=table.encode(value))


def add_commune(parent: etree._Element, name: str, code: str | None) -> None:
    if code is not None:
        etree.SubElement(parent, q(name), code=code)


def add_list(parent: etree._Element, liste: str, name: str, values: Iterable[E], table: CodeTable[E]) -> None:
    """Append ``<liste><name code=…/>…</liste>`` when there are values (the SNE omits empty code lists)."""
    values = list(values)
    if values:
        container = etree.SubElement(parent, q(liste))
        for value in values:
            etree.SubElement(container, q(name), code=table.encode(value))
