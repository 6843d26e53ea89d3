"""The one labelling mechanism of every coded value: ``CodedEnum``, a string enum whose members carry a French label.

Why a code *and* a label: partners exchange codes (SNE codes are kept as values wherever they exist, so mapping the
SNE is an identity), while people — desks, commissions, applicants — read labels. Every member is declared as
``NAME = "code", "Libellé"``; ``member.label`` gives the label, ``Enum.labels()`` the mapping, ``Enum.from_label()``
the reverse lookup, and JSON Schema shows the labels under ``x-labels``.

Convention for values: the code of the national system (SNE list codes, SI-SIAO statuses: upper case or digits)
when one exists; a lower-case ``snake_case`` code when the value is a Relais extension with no national code. A
connector can tell them apart with :attr:`CodedEnum.is_extension`.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["CodedEnum"]


class CodedEnum(str, Enum):
    """A string enum whose members are declared as ``NAME = "code", "label"``."""

    label: str

    def __new__(cls, code: str, label: str) -> "CodedEnum":
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value

    @property
    def is_extension(self) -> bool:
        """True for a Relais extension (lower-case snake_case code) that has no code in a national system."""
        return self.value != self.value.upper()

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Code → label, in declaration order."""
        return {member.value: member.label for member in cls}

    @classmethod
    def from_label(cls, label: str) -> "CodedEnum":
        """The member whose label is ``label`` (case-insensitive), for partners that send labels instead of codes."""
        wanted = label.strip().casefold()
        for member in cls:
            if member.label.casefold() == wanted:
                return member
        raise ValueError(f"{cls.__name__}: no value is labelled {label!r}")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        target["x-labels"] = cls.labels()
        return schema
