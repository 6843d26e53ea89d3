"""Regulated identifiers as validated string types: numéro unique, RPLS, INSEE commune code, SIREN, SIRET, QPV.

Why types and not plain strings: these identifiers route events (commune → access policy), link partners' records
(numéro unique, RPLS) and trace legal entities (SIREN). A wrong one must be rejected at the hub's door, with a message
naming the wrong *part*, so that an operator can fix the partner's data.

Each type is ``Annotated[str, AfterValidator(check), WithJsonSchema(...)]``: pydantic validates with the ``check_*``
function (precise messages), and JSON Schema shows a plain string with a pattern (a necessary, not sufficient,
condition: check digits cannot be written as a pattern). The ``check_*`` functions are public so that connectors
can validate before building a model.

We validate what public texts document, and no more:

* **numéro unique** (CCH L441-2-1): 18 characters; public descriptions give the department, the month and the year
  of registration, a sequence number and the registering desk's code. The public SNE sample
  (``1110318016982G1104``, created 2018-03-15) shows the order: 3-character department, month (MM), year (YY), then
  11 characters for sequence and desk code, whose split is not publicly documented. The department is checked for
  shape only (test systems use fictitious ones: the sample's is ``111``).
* **RPLS identifier**: "renseigné sur 10 positions" (arrêté du 5 janvier 2010, annexe, tableau 2).
* **INSEE commune code**: 2-character department (01–95, 2A, 2B; 20 no longer exists) + 3 digits, or an overseas
  department 971–976 + 2 digits.
* **SIREN** (9 digits) and **SIRET** (14 digits): Luhn check digit; La Poste's establishments (SIREN 356000000),
  too many for Luhn's room, are also accepted when the sum of the 14 digits is a multiple of 5.
* **QPV code**: ``QP`` + 3-character department (``063``, ``02A``, ``971``) + 3 digits, e.g. ``QP063001``.
"""

from __future__ import annotations

import re
from functools import lru_cache, wraps
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema

__all__ = [
    "NumeroUnique", "Rpls", "CodeInsee", "Siren", "Siret", "CodeQpv",
    "check_numero_unique", "check_rpls", "check_code_insee", "check_siren", "check_siret", "check_code_qpv",
    "check_departement", "luhn_valid", "IDENTIFIER_CHECKS", "LA_POSTE_SIREN",
]

LA_POSTE_SIREN = "356000000"
_UPPER_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OVERSEAS = ("971", "972", "973", "974", "975", "976")


def luhn_valid(digits: str) -> bool:
    """Luhn check over a string of digits (SIREN, SIRET): doubling every second digit from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _schema(pattern: str, description: str, length: int | None = None, examples: list[str] | None = None,
            ) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "pattern": pattern, "description": description}
    if length is not None:
        schema["minLength"] = schema["maxLength"] = length
    if examples:
        schema["examples"] = examples
    return WithJsonSchema(schema)


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a string")
    return value


def check_departement(code: str, what: str = "department") -> str:
    """Check a 2- or 3-character department code as used in INSEE codes: 01–95 (not 20), 2A, 2B, 971–976."""
    if len(code) == 3 and code.startswith("97"):
        if code not in _OVERSEAS:
            raise ValueError(f"{what} {code!r} is not an overseas department with communes (971 to 976)")
        return code
    if len(code) != 2:
        raise ValueError(f"{what} {code!r} must be 2 characters (01 to 95, 2A, 2B) or 971 to 976")
    if code in ("2a", "2b"):
        raise ValueError(f"{what} {code!r} must be written in upper case ({code.upper()})")
    if code in ("2A", "2B"):
        return code
    if not code.isdigit() or not code.isascii():
        raise ValueError(f"{what} {code!r} must be digits (01 to 95) or 2A/2B for Corsica")
    if code == "20":
        raise ValueError(f"{what} '20' no longer exists: Corsica uses 2A (Corse-du-Sud) or 2B (Haute-Corse)")
    if not "01" <= code <= "95":
        raise ValueError(f"{what} {code!r} does not exist (01 to 95, 2A, 2B, 971 to 976)")
    return code


def check_code_insee(value: str) -> str:
    """Validate an INSEE (COG) commune code; the message names the wrong part."""
    _require_str(value, "code INSEE")
    if len(value) != 5:
        raise ValueError(f"code INSEE: expected 5 characters (department + commune number), got {len(value)}")
    dept, commune = (value[:3], value[3:]) if value.startswith("97") else (value[:2], value[2:])
    check_departement(dept, "code INSEE: department")
    if not (commune.isdigit() and commune.isascii()):
        raise ValueError(f"code INSEE: commune number {commune!r} (after department {dept}) must be digits")
    return value


def check_numero_unique(value: str) -> str:
    """Validate a numéro unique d'enregistrement; the message names the wrong part (see the module docstring)."""
    _require_str(value, "numéro unique")
    if len(value) != 18:
        raise ValueError(f"numéro unique: expected 18 characters, got {len(value)}")
    if value != value.upper():
        raise ValueError("numéro unique: letters must be upper case")
    dept, month, year, rest = value[:3], value[3:5], value[5:7], value[7:]
    if not (dept[:2].isdigit() and dept[:2].isascii() and dept[2] in "0123456789AB"):
        raise ValueError(f"numéro unique: characters 1-3 (department) {dept!r} must be 3 digits, "
                         "or 02A/02B for Corsica")
    if not (month.isdigit() and month.isascii() and "01" <= month <= "12"):
        raise ValueError(f"numéro unique: characters 4-5 (month of registration) must be 01 to 12, got {month!r}")
    if not (year.isdigit() and year.isascii()):
        raise ValueError(f"numéro unique: characters 6-7 (year of registration) must be 2 digits, got {year!r}")
    if not set(rest) <= _UPPER_ALNUM:
        raise ValueError(f"numéro unique: characters 8-18 (sequence and desk code) must be letters or digits, "
                         f"got {rest!r}")
    return value


def check_rpls(value: str) -> str:
    """Validate an RPLS dwelling identifier: 10 positions, letters or digits."""
    _require_str(value, "RPLS identifier")
    if len(value) != 10:
        raise ValueError(f"RPLS identifier: expected 10 characters, got {len(value)}")
    if not set(value) <= _UPPER_ALNUM:
        raise ValueError("RPLS identifier: only digits and upper-case letters are allowed")
    return value


def check_siren(value: str) -> str:
    """Validate a SIREN: 9 digits whose Luhn check digit is right."""
    _require_str(value, "SIREN")
    if len(value) != 9 or not (value.isdigit() and value.isascii()):
        raise ValueError(f"SIREN: expected 9 digits, got {value!r}")
    if not luhn_valid(value):
        raise ValueError("SIREN: check digit (9th digit, Luhn) is wrong")
    return value


def check_siret(value: str) -> str:
    """Validate a SIRET: the SIREN (9 digits), the establishment number (NIC, 5 digits), Luhn over the 14 digits
    (La Poste: or a digit sum multiple of 5)."""
    _require_str(value, "SIRET")
    if len(value) != 14 or not (value.isdigit() and value.isascii()):
        raise ValueError(f"SIRET: expected 14 digits, got {value!r}")
    if not luhn_valid(value[:9]):
        raise ValueError("SIRET: SIREN part (digits 1-9) has a wrong check digit")
    if luhn_valid(value):
        return value
    if value[:9] == LA_POSTE_SIREN:
        if sum(int(c) for c in value) % 5 == 0:
            return value
        raise ValueError("SIRET: La Poste establishment number is wrong (neither Luhn nor digit sum multiple of 5)")
    raise ValueError("SIRET: establishment part (NIC, digits 10-14) has a wrong check digit")


def check_code_qpv(value: str) -> str:
    """Validate a QPV code (quartier prioritaire de la politique de la ville), e.g. QP063001."""
    _require_str(value, "QPV code")
    if len(value) != 8:
        raise ValueError(f"QPV code: expected 8 characters (QP + department + 3 digits), got {len(value)}")
    if value[:2] != "QP":
        raise ValueError(f"QPV code: must start with 'QP', got {value[:2]!r}")
    dept, number = value[2:5], value[5:]
    if dept.startswith("97"):
        check_departement(dept, "QPV code: department")
    elif dept[0] != "0":
        raise ValueError(f"QPV code: department {dept!r} must be 3 characters, e.g. 063, 02A, 971")
    else:
        check_departement(dept[1:], "QPV code: department")
    if not (number.isdigit() and number.isascii()):
        raise ValueError(f"QPV code: neighbourhood number {number!r} must be 3 digits")
    return value


_DEPT2 = "(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])"


def _remembered(check: Any) -> Any:
    """``check`` with its answers for valid strings remembered (an invalid value raises, and is checked again; a
    value that is not a ``str`` goes to ``check`` as before, for its message).

    Why: the same identifiers are validated again and again — every event read back from the journal by each of its
    subscribers, the same landlord's SIREN on every decision — and the checks are pure Python (a SIREN's Luhn sum,
    the numéro unique's parts): remembered, they cost a dictionary look-up (py-spy: parsing a journaled decision
    went from 72 to 29 µs). The functions keep their names and docstrings (``functools.wraps``)."""
    cached = lru_cache(maxsize=65_536)(check)

    @wraps(check)
    def remembered(value: Any) -> Any:
        return cached(value) if type(value) is str else check(value)
    return remembered


def _shaped(pattern: str, check: Any) -> Any:
    """``check`` answered by one regular expression for values of the valid shape; any other value (or not a
    ``str``) goes to ``check``, which raises with the message naming the wrong part.

    Why not remembered like the others: a numéro unique or a dwelling's RPLS identifier is nearly always new (one
    per demand, one per dwelling), so a memory of answers only missed and churned (py-spy: the numéro unique's
    part-by-part check was ~3 % of an embedded hub's samples at ingest). ``pattern`` accepts exactly what ``check``
    accepts (tests/contracts/test_contract_identifiers.py draws strings to prove it)."""
    shape = re.compile(pattern)

    @wraps(check)
    def shaped(value: Any) -> Any:
        return value if type(value) is str and shape.fullmatch(value) else check(value)
    return shaped


#: the valid shapes of the identifiers checked by :func:`_shaped` (ASCII: ``[0-9]`` is not ``str.isdigit``)
NUMERO_UNIQUE_SHAPE = "[0-9]{2}[0-9AB](0[1-9]|1[0-2])[0-9]{2}[0-9A-Z]{11}"
RPLS_SHAPE = "[0-9A-Z]{10}"

check_numero_unique = _shaped(NUMERO_UNIQUE_SHAPE, check_numero_unique)
check_rpls = _shaped(RPLS_SHAPE, check_rpls)
check_code_insee = _remembered(check_code_insee)
check_siren = _remembered(check_siren)
check_siret = _remembered(check_siret)
check_code_qpv = _remembered(check_code_qpv)

NumeroUnique = Annotated[str, AfterValidator(check_numero_unique), _schema(
    r"^[0-9]{2}[0-9AB](0[1-9]|1[0-2])[0-9]{2}[0-9A-Z]{11}$",
    "Numéro unique d'enregistrement de la demande: department (3), month (2), year (2), sequence and desk code "
    "(11).", 18, ["0630323000123G6301"])]

Rpls = Annotated[str, AfterValidator(check_rpls), _schema(
    r"^[0-9A-Z]{10}$", "Identifier of the dwelling in the RPLS répertoire (10 positions).", 10, ["0001234567"])]

CodeInsee = Annotated[str, AfterValidator(check_code_insee), _schema(
    rf"^({_DEPT2}[0-9]{{3}}|97[1-6][0-9]{{2}})$",
    "INSEE (COG) code of a commune: department (01-95, 2A, 2B) + 3 digits, or 971-976 + 2 digits.", 5,
    ["63430", "2A004", "97411"])]

Siren = Annotated[str, AfterValidator(check_siren), _schema(
    r"^[0-9]{9}$", "SIREN number: 9 digits with a Luhn check digit.", 9, ["356000000"])]

Siret = Annotated[str, AfterValidator(check_siret), _schema(
    r"^[0-9]{14}$", "SIRET number: SIREN + 5-digit establishment number, Luhn check digit (La Poste: digit sum "
    "multiple of 5).", 14)]

CodeQpv = Annotated[str, AfterValidator(check_code_qpv), _schema(
    rf"^QP(0{_DEPT2}|97[1-6])[0-9]{{3}}$",
    "Code of a quartier prioritaire de la politique de la ville: QP + department (3) + 3 digits.", 8,
    ["QP063001"])]

#: Every identifier type with its check function: lets tooling (test strategies, docs) find them.
IDENTIFIER_CHECKS = {
    "NumeroUnique": check_numero_unique, "Rpls": check_rpls, "CodeInsee": check_code_insee,
    "Siren": check_siren, "Siret": check_siret, "CodeQpv": check_code_qpv,
}
