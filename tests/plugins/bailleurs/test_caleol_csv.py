"""``relais.bailleurs.caleol_csv/1``: a CALEOL export, one row per event. A good batch is journaled whole; a bad row
is rejected alone with its line and column; a file that cannot be read as this format is refused whole saying
why and what to do."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from hub import DecodeError, RawMessage, RecordReject, RejectError
from plugins.bailleurs import caleol_csv
from plugins.bailleurs.codec import decode_message
from tests.plugins.bailleurs.chain import HEADER, chain, csv_text

BAILLEUR = {"siren": "276300019", "nom": "Office de démonstration"}


def decode(body: bytes | str) -> list:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return list(decode_message(RawMessage.from_bytes(raw, origin="export.csv"), source="bailleurs"))


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def with_cell(text: str, row: int, column: str, value: str) -> str:
    """``text`` with one cell changed (``row`` counts data rows from 0)."""
    table = cells(text)
    table[row + 1][table[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(table)
    return out.getvalue()


def test_a_good_batch_gives_every_event_of_the_chain_as_the_json_format_would():
    records = chain()
    events = decode(csv_text(records, BAILLEUR))
    assert [e.type.split(".")[0] for e in events] == [r["type"] for r in records]
    assert {e.entity.siren for e in events} == {"276300019"}
    assert [e.sourcemessageid for e in events] == [f"276300019:{r['id']}" for r in records]
    assert events[5].data.offre_adaptee is False and events[1].data.rang_presentation == 1
    assert events[7].data.reservataire.siren == "276300019"


def test_one_bad_row_among_good_ones_is_rejected_alone_with_its_line_and_column():
    text = with_cell(csv_text(chain(), BAILLEUR), 4, "decision", "attribution_rang")   # without its rang
    items = decode(text)
    [(index, reject)] = [(i, r) for i, r in enumerate(items) if isinstance(r, RecordReject)]
    assert index == 4 and len(items) == 8
    assert reject.error.location.field == "rows[4].rang"
    assert reject.error.location.line == 6 and reject.line == 6          # the header is line 1
    assert reject.error.reason.startswith(
        "ligne 6, colonne rang: rows[4].rang: required when decision is attribution_rang")
    # its dead letter is the header and that row: fixed, it decodes alone
    fixed = with_cell(reject.replay.decode(), 0, "rang", "2")
    [event] = decode(fixed)
    assert event.type == "decision_cal.v1" and event.data.rang == 2


@pytest.mark.parametrize("column, value, expected", [
    ("date_commission", "20/10/2026", "2026-10-20"),
    ("date_commission", " 2026-10-20 ", "2026-10-20"),
    ("rang_presentation", "2,0", 2),
])
def test_french_spreadsheet_habits_are_tolerated(column, value, expected):
    text = with_cell(csv_text(chain()[1:2], BAILLEUR), 0, column, value)
    [event] = decode(text)
    got = getattr(event.data, column)
    assert (got.isoformat() if hasattr(got, "isoformat") else got) == expected


@pytest.mark.parametrize("row, column, value, words", [
    (1, "date_commission", "le 20 octobre", "expected a date YYYY-MM-DD (or DD/MM/YYYY)"),
    (1, "date_commission", "31/02/2026", "expected a date"),
    (1, "rang_presentation", "2,5", "expected a whole number"),
    (1, "rang_presentation", "1e999999999", "expected a whole number"),
    (1, "rang_presentation", "11", "less than or equal to 10"),
    (5, "offre_adaptee", "peut-être", "expected oui or non"),
    (3, "suite", "ravi", "Input should be"),
    (0, "rang", "2", "not a field of designation_candidat; leave the cell empty"),
    (0, "type", "designation", "is not a record type"),
    (0, "type", "", "is not a record type"),
    (7, "reservataire_siren", "123456789", "Luhn"),
    (0, "bailleur_siren", "12345", "9 digits"),
])
def test_a_wrong_cell_rejects_its_row_naming_the_column(row, column, value, words):
    text = with_cell(csv_text(chain(), BAILLEUR), row, column, value)
    items = decode(text)
    rejects = [r for r in items if isinstance(r, RecordReject)]
    assert len(items) == 8 and len(rejects) == 1
    [reject] = rejects
    assert reject.error.location.field == f"rows[{row}].{column}", reject.error.reason
    assert words in reject.error.reason
    assert reject.error.reason.startswith(f"ligne {row + 2}, colonne {column}: rows[{row}].{column}: ")
    if value and words.startswith("expected"):
        assert value not in reject.error.reason                          # the cell is never echoed


@pytest.mark.parametrize("header, words", [
    (["type", "id", "bailleur_siren", "bailleur_nom", "numero_unique", "commune"], "missing column(s) rpls"),
    (HEADER[:-1] + ["date_visit"], "unknown column 'date_visit'; did you mean 'date_visite'?"),
    (HEADER[:-1] + ["loyer"], "unknown column 'loyer'; remove it"),
    (HEADER + ["type"], "column 'type' appears twice"),
    ([",".join(HEADER)], "the separator is ';'"),
])
def test_a_wrong_header_rejects_the_whole_file_naming_the_column_and_the_fix(header, words):
    text = ";".join(header) + "\r\n" + "\r\n".join(";".join(r) for r in cells(csv_text(chain(), BAILLEUR))[1:])
    with pytest.raises(DecodeError) as err:
        decode(text)
    assert words in err.value.reason
    assert err.value.location.line == 1 and err.value.location.field == "header"


def test_a_file_without_rows_or_without_anything_is_refused_whole():
    with pytest.raises(DecodeError, match="empty message: send a JSON document or a CSV export with its header row"):
        decode(b"\xef\xbb\xbf \r\n")
    with pytest.raises(DecodeError, match="no data row"):
        decode(";".join(HEADER) + "\r\n\r\n")


def test_utf8_with_a_byte_order_mark_and_windows_1252_are_read_and_the_latter_said():
    records = chain()[:1]
    text = csv_text(records, {"siren": "276300019", "nom": "Société d'HLM Écrins"})
    [with_bom] = decode("\ufeff" + text)
    assert with_bom.entity.nom == "Société d'HLM Écrins"
    with capture_logs() as logs:
        [legacy] = decode(text.encode("cp1252"))
    assert legacy.entity.nom == "Société d'HLM Écrins"
    assert [entry["origin"] for entry in logs if entry["event"] == "caleol_csv_windows_1252"] == ["export.csv"]
    with pytest.raises(DecodeError, match="UTF-16"):
        decode(text.encode("utf-16"))
    with pytest.raises(DecodeError, match="NUL bytes"):
        decode(text.encode() + b"\x00\x01")


def test_a_truncated_file_loses_only_its_cut_row_and_an_unclosed_quote_is_refused_with_its_line():
    text = csv_text(chain(), BAILLEUR)
    cut = text[: text.rindex("\r\n", 0, len(text) - 2) + 30]            # the last row cut after 28 characters
    items = decode(cut)
    assert len(items) == 8 and isinstance(items[7], RecordReject)
    assert "a truncated or misaligned row" in items[7].error.reason and items[7].error.location.line == 9
    with pytest.raises(DecodeError, match="ligne 3: not readable as CSV") as err:
        decode(with_cell(text, 0, "origine", "bailleur") .replace(";bailleur;", ';"bailleur;', 1)
               .split("\r\n", 2)[0] + "\r\n" + text.split("\r\n")[1] + "\r\n" + 'x;"unclosed\r\n')
    assert err.value.location.line == 3


def test_oversized_files_and_absurd_rows_are_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(caleol_csv, "MAX_ROWS", 5)
    with pytest.raises(DecodeError, match="over 5 rows per file; split the export"):
        decode(csv_text(chain(), BAILLEUR))
    monkeypatch.undo()
    long_motif = with_cell(csv_text(chain()[4:5], BAILLEUR), 0, "motif", "x" * 5000)
    [reject] = decode(long_motif)
    assert reject.error.location.field == "rows[0].motif" and "over 2000 per cell" in reject.error.reason
    extra = csv_text(chain()[:1], BAILLEUR).replace("\r\n", ";surplus\r\n").replace(HEADER[-1] + ";surplus",
                                                                                        HEADER[-1])
    [reject] = decode(extra)
    assert "cells where the header has" in reject.error.reason and reject.error.location.field == "rows[0]"
    trailing = csv_text(chain()[:1], BAILLEUR).replace("\r\n", ";;\r\n").replace(HEADER[-1] + ";;", HEADER[-1])
    assert decode(trailing)[0].type == "designation_candidat.v1"       # empty trailing cells: a spreadsheet's


def test_formula_looking_cells_are_data_and_are_written_back_neutralised():
    decision = chain()[4]
    decision.update(decision="non_attribution", motif='=HYPERLINK("http://x.invalid","?")')
    rows = [decision, {**chain()[1], "rang_presentation": "=1+1"}]
    [event, reject] = decode(csv_text(rows, BAILLEUR))
    assert event.data.motif == '=HYPERLINK("http://x.invalid","?")'    # text, journaled as JSON, never evaluated
    assert reject.error.location.field == "rows[1].rang_presentation"
    written = cells(reject.replay.decode())[1]
    assert written[HEADER.index("rang_presentation")] == "'=1+1"
    assert not any(c.startswith(("=", "+", "-", "@")) for row in cells(reject.replay.decode()) for c in row)
    # the quote that neutralises a cell is removed on reading: the replay says what the landlord sent
    fixed = reject.replay.decode().replace("'=1+1", "2")
    assert decode(fixed)[0].data.rang_presentation == 2
    protected = with_cell(csv_text([decision], BAILLEUR), 0, "motif", "'=SUM(A1)")
    assert decode(protected)[0].data.motif == "=SUM(A1)"


def test_a_csv_and_a_json_record_with_the_same_id_are_the_same_event():
    from tests.plugins.bailleurs.chain import document
    record = chain()[6]
    [from_csv] = decode(csv_text([record], BAILLEUR))
    [from_json] = list(decode_message(RawMessage.from_bytes(
        __import__("json").dumps(document([record], bailleur_siren="276300019")).encode(), origin="x.json"),
        source="bailleurs"))
    assert (from_csv.sourcemessageid, from_csv.data, from_csv.time) == (from_json.sourcemessageid,
                                                                         from_json.data, from_json.time)


GOOD = csv_text(chain(), BAILLEUR).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000),
                 st.tuples(st.integers(0, len(GOOD)), st.integers(0, len(GOOD)), st.binary(max_size=40)).map(
                     lambda cut: GOOD[:min(cut[:2])] + cut[2] + GOOD[max(cut[:2]):])))
def test_hostile_bytes_are_refused_with_a_reason_never_a_crash(body):
    """Any bytes, or a good export with a random slice replaced: events, rejected rows or a whole-file refusal
    naming where — never another exception (which would be a connector crash)."""
    try:
        items = decode(body)
    except RejectError as exc:
        assert exc.reason and exc.location.file == "export.csv"
        return
    for item in items:
        if isinstance(item, RecordReject):
            assert item.error.location.line and item.error.location.field.startswith("rows[")
            assert item.replay is not None and item.replay.count(b"\r\n") >= 2


def test_a_quoted_cell_over_two_lines_keeps_the_next_rows_line_right():
    records = chain()[4:6]
    records[0].update(decision="non_attribution", motif="ressources;\ninsuffisantes")   # quoted by the writer
    records[1]["date_refus"] = "demain"
    [event, reject] = decode(csv_text(records, BAILLEUR))
    assert event.data.motif == "ressources;\ninsuffisantes"
    assert reject.error.location.line == 4 and reject.error.reason.startswith("ligne 4, colonne date_refus")


def test_a_spreadsheets_trailing_semicolon_on_every_line_is_read_as_no_column():
    text = csv_text(chain(), BAILLEUR)
    trailing = "".join(line + ";\r\n" for line in text.splitlines())
    events = decode(trailing)
    assert [e.type.split(".")[0] for e in events] == [r["type"] for r in chain()]
