"""Identifier types: valid and invalid examples, and messages that name the wrong part."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.identifiers import (NUMERO_UNIQUE_SHAPE, RPLS_SHAPE, CodeInsee, CodeQpv, NumeroUnique, Rpls, Siren,
                                   Siret, luhn_valid)


def _rejects(type_, value, *fragments):
    with pytest.raises(ValidationError) as info:
        TypeAdapter(type_).validate_python(value)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("code", ["63430", "63113", "01001", "75056", "95500", "2A004", "2B033",
                                  "97101", "97209", "97302", "97411", "97502", "97611"])
def test_valid_insee_codes(code):
    assert TypeAdapter(CodeInsee).validate_python(code) == code


@pytest.mark.parametrize("code, fragment", [
    ("20004", "Corsica uses 2A"),
    ("2a004", "upper case"),
    ("2C004", "must be digits"),
    ("96001", "'96' does not exist"),
    ("00123", "'00' does not exist"),
    ("97701", "971 to 976"),
    ("98712", "'98' does not exist"),
    ("9741", "expected 5 characters"),
    ("634300", "expected 5 characters"),
    ("63A30", "commune number"),
    ("9741A", "commune number"),
])
def test_invalid_insee_codes_name_the_wrong_part(code, fragment):
    _rejects(CodeInsee, code, "code INSEE", fragment)


def test_insee_rejects_non_strings():
    _rejects(CodeInsee, 63430)


def test_luhn():
    assert luhn_valid("732829320") and luhn_valid("216304303") and not luhn_valid("732829321")


@pytest.mark.parametrize("siren", ["732829320", "552100554", "216304303", "356000000"])
def test_valid_siren(siren):
    assert TypeAdapter(Siren).validate_python(siren) == siren


@pytest.mark.parametrize("siren, fragment", [
    ("732829321", "check digit"), ("12345678", "expected 9 digits"), ("73282932A", "expected 9 digits"),
    ("7328293200", "expected 9 digits"),
])
def test_invalid_siren(siren, fragment):
    _rejects(Siren, siren, "SIREN", fragment)


@pytest.mark.parametrize("siret", ["73282932000017", "55210055400013", "35600000000048", "35600000010000"])
def test_valid_siret_including_la_poste(siret):
    assert TypeAdapter(Siret).validate_python(siret) == siret


@pytest.mark.parametrize("siret, fragment", [
    ("73282932000018", "establishment part"),
    ("73282931000017", "SIREN part"),
    ("35600000010001", "La Poste"),
    ("7328293200001", "expected 14 digits"),
])
def test_invalid_siret(siret, fragment):
    _rejects(Siret, siret, "SIRET", fragment)


@pytest.mark.parametrize("numero", ["1110318016982G1104", "0630323000123G6301", "02A1223000001ABCDE",
                                    "9710124000001G9710"])
def test_valid_numero_unique(numero):
    assert TypeAdapter(NumeroUnique).validate_python(numero) == numero


@pytest.mark.parametrize("numero, fragment", [
    ("063032300123G6301", "expected 18 characters"),
    ("0631323000123G6301", "characters 4-5 (month"),
    ("0630023000123G6301", "characters 4-5 (month"),
    ("06303A3000123G6301", "characters 6-7 (year"),
    ("0C30323000123G6301", "characters 1-3 (department"),
    ("063032300012-G6301", "characters 8-18"),
    ("0630323000123g6301", "upper case"),
])
def test_invalid_numero_unique_names_the_part(numero, fragment):
    _rejects(NumeroUnique, numero, "numéro unique", fragment)


def test_rpls():
    assert TypeAdapter(Rpls).validate_python("0001234567") == "0001234567"
    _rejects(Rpls, "123", "RPLS", "10 characters")
    _rejects(Rpls, "000123456a", "RPLS", "upper-case")


@pytest.mark.parametrize("code", ["QP063001", "QP075012", "QP02A001", "QP971003", "QP976010"])
def test_valid_qpv(code):
    assert TypeAdapter(CodeQpv).validate_python(code) == code


@pytest.mark.parametrize("code, fragment", [
    ("QQ063001", "start with 'QP'"), ("QP06300", "8 characters"), ("QP020001", "Corsica uses 2A"),
    ("QP977001", "971 to 976"), ("QP16300A", "must be 3 characters"), ("QP06300A", "3 digits"),
])
def test_invalid_qpv(code, fragment):
    _rejects(CodeQpv, code, "QPV code", fragment)


def test_json_schema_is_a_string_with_a_pattern():
    for type_, sample in [(CodeInsee, "2A004"), (NumeroUnique, "1110318016982G1104"), (CodeQpv, "QP063001"),
                          (Siren, "216304303"), (Rpls, "0001234567")]:
        schema = TypeAdapter(type_).json_schema()
        assert schema["type"] == "string" and "pattern" in schema
        assert re.fullmatch(schema["pattern"], sample)


def _full_check_accepts(check, value: str) -> bool:
    try:
        check.__wrapped__(value)
    except ValueError:
        return False
    return True


_EDIT_CHARS = "0123456789ABCXZab-é١ \n"


def _one_edit_away(value: str) -> list[str]:
    """``value`` and every string one edit away from it (a character changed, dropped or added), with characters a
    shape and a part-by-part check could disagree on (lower case, non-ASCII digits, blanks): all of them, not a
    sample, so that a shape accepting one invalid position fails here."""
    out = [value]
    for at in range(len(value) + 1):
        out += [value[:at] + c + value[at + 1:] for c in _EDIT_CHARS if at < len(value)]
        out += [value[:at] + value[at + 1:]] if at < len(value) else []
        out += [value[:at] + c + value[at:] for c in _EDIT_CHARS]
    return out


@pytest.mark.parametrize("base", ["0630323000123G6301", "02A1223000001ABCDE", "02B1099ZZZZZZZZZZZ",
                                  "9750100000000000A0"])
def test_numero_unique_shape_accepts_exactly_what_the_full_check_accepts(base):
    """The regular expression answers for valid values; the part-by-part check (its messages) must agree on all."""
    from contracts.identifiers import check_numero_unique
    for value in _one_edit_away(base):
        assert (re.fullmatch(NUMERO_UNIQUE_SHAPE, value) is not None) == _full_check_accepts(check_numero_unique,
                                                                                                value), value


@pytest.mark.parametrize("base", ["0001234567", "AZ09AZ09AZ"])
def test_rpls_shape_accepts_exactly_what_the_full_check_accepts(base):
    from contracts.identifiers import check_rpls
    for value in _one_edit_away(base):
        assert (re.fullmatch(RPLS_SHAPE, value) is not None) == _full_check_accepts(check_rpls, value), value


def test_a_misshapen_numero_unique_still_gets_the_message_naming_its_part():
    _rejects(NumeroUnique, "0631323000123G6301", "numéro unique", "month")
    _rejects(Rpls, "00012345a7", "RPLS", "upper-case")
