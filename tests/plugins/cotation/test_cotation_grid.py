"""The grid file: it covers every row of the seed's table with the seed's weights, its mistakes are reported with
the file, the line, the criterion and the fix, and the version in effect at a date is chosen by effective date."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.enums import CategorieCritere, CritereCotation, SecteurEmploi
from plugins.cotation import (
    DEFAULT_GRID, FaitsCotation, GridError, NoGridInEffect, cotation_from_event, default_grid, grid_in_effect,
    load_grid, load_grids, score,
)

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "003_excerpts.txt"
GRID_TEXT = DEFAULT_GRID.read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    text = re.sub(r"</?i>", "", text).replace("\u2019", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def seed_table() -> list[tuple[str, str, str]]:
    """§1.1.7's rows as the seed prints them (tab-separated): (criterion wording, priority, weighting cell).

    Rows start with the category, with an empty cell (same category), or directly with the criterion's type."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("1.1.7 Cotation de la demande"))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith(("1.1.8", "[…]")):
            break
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 4 or cells[2] == "Critère":
            continue
        if cells[0] in ("Facultatif", "Prioritaire", "Priorité locale"):
            cells = ["", *cells]
        cells += [""] * (5 - len(cells))
        rows.append((_normalise(cells[2]), cells[3], cells[4]))
    return rows


def line_of(text: str, fragment: str, after: str | None = None) -> int:
    """1-based line of the first line containing ``fragment`` (after the line containing ``after``)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and fragment in line) + 1


def test_the_seed_table_parses_to_its_52_rows():
    rows = seed_table()
    assert len(rows) == 52   # 18 current-housing rows, 14 personal situations, 20 reasons
    assert rows[0][2] == "30" and rows[-1] == ("Logement trop petit", "Moins prioritaire", "10")


def test_the_grid_has_every_row_of_the_seed_with_its_weight():
    grid = default_grid()
    by_wording = {_normalise(c.seed_wording): c for c in grid.criteria}
    assert len(by_wording) == len(grid.criteria) == len(seed_table())
    for wording, priority, cell in seed_table():
        criterion = by_wording.get(wording)
        assert criterion is not None, f"seed row without criterion: {wording}"
        if cell == "":                              # Travailleur-clé, Retraité, Travailleur indépendant
            assert criterion.kind == "zero_weight", wording
        elif cell.endswith("%"):                    # Premier quartile: 130%
            assert (criterion.kind, criterion.coefficient) == ("coefficient", Decimal(cell[:-1]) / 100), wording
        elif priority == "Ancienneté":              # 0,4
            assert criterion.points_per_month == Decimal(cell.replace(",", ".")), wording
        elif priority == "Négatif":                 # printed 2 in a negative row
            assert criterion.points_per_occurrence == -Decimal(cell), wording
        else:
            assert (criterion.kind, criterion.points) == ("points", Decimal(cell)), wording


def test_the_grid_criteria_are_the_contracts_criteria_in_their_blocks():
    grid = default_grid()
    assert {c.critere for c in grid.criteria} == set(CritereCotation) - {CritereCotation.CRITERE_LOCAL}
    assert all(c.critere.categorie is c.category for c in grid.criteria)
    assert grid.reference == "thiers_dore_montagne.v1" and grid.effective_from == date(2023, 1, 1)
    assert grid.combine_rule(CategorieCritere.MOTIF) == "max"


def _block_of(criterion: str) -> str:
    """The text of the [[criterion]] table whose id is ``criterion``."""
    start = GRID_TEXT.index(f'id = "{criterion}"')
    end = GRID_TEXT.find("[[criterion]]", start)
    return GRID_TEXT[start:end if end != -1 else None]


def test_every_ambiguity_choice_is_written_beside_the_rows_it_concerns():
    assert "CHOICE (what the coefficient multiplies)" in _block_of("premier_quartile")
    assert "CHOICE (unit)" in _block_of("anciennete")
    combine = GRID_TEXT.index("[combine]")
    assert "CHOICE (which reason wins" in GRID_TEXT[GRID_TEXT.rindex("\n\n", 0, combine - 2):combine]
    assert "-2 points for EACH refusal" in _block_of("refus_offre_adaptee")


# --- load errors: file, line, criterion, fix -----------------------------------------------------------------

def write(tmp_path: Path, text: str, name: str = "thiers.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def replace_in(text: str, criterion: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` within the [[criterion]] table whose id is ``criterion``."""
    start = text.index(f'id = "{criterion}"')
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old):]


def load_error(tmp_path: Path, text: str) -> GridError:
    with pytest.raises(GridError) as caught:
        load_grid(write(tmp_path, text))
    return caught.value


def test_a_weight_in_words_names_file_line_and_criterion(tmp_path):
    text = replace_in(GRID_TEXT, "sans_abri", "points = 30", 'points = "dix"')
    error = load_error(tmp_path, text)
    line = line_of(text, 'points = "dix"')
    assert str(error) == f'thiers.toml line {line}, criterion \'sans_abri\': points must be a number, got "dix"'


def test_a_quoted_number_is_refused_too(tmp_path):
    error = load_error(tmp_path, replace_in(GRID_TEXT, "anciennete", "points_per_month = 0.4",
                                            'points_per_month = "0.4"'))
    assert error.criterion == "anciennete" and 'points_per_month must be a number, got "0.4"' in str(error)


def test_an_unknown_key_is_located_and_named(tmp_path):
    text = replace_in(GRID_TEXT, "camping", "points = 30", "pionts = 30")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "pionts = 30") and error.criterion == "camping"
    assert "unknown key 'pionts': remove it or correct its spelling" in str(error)


def test_a_missing_field_points_at_the_criterion_table(tmp_path):
    text = replace_in(GRID_TEXT, "hotel", 'label = "À l\'hôtel"\n', "")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, 'id = "hotel"') - 1   # the [[criterion]] header above the id
    assert str(error).endswith("criterion 'hotel': label is missing: add `label = …`")


def test_a_missing_weight_says_which_kind_needs_it(tmp_path):
    text = replace_in(GRID_TEXT, "hotel", "points = 30\n", "")
    error = load_error(tmp_path, text)
    assert error.criterion == "hotel" and "points is missing: a 'points' criterion needs `points = …`" in str(error)


def test_a_duplicate_criterion_is_refused_at_its_second_definition(tmp_path):
    text = replace_in(GRID_TEXT, "camping", 'id = "camping"', 'id = "hotel"')
    error = load_error(tmp_path, text)
    second = [n for n, line in enumerate(text.splitlines(), 1) if line == 'id = "hotel"'][1]
    assert error.line == second
    assert error.criterion == "hotel" and "duplicate criterion: already defined at row 2" in str(error)


def test_an_unknown_code_in_a_trigger_lists_the_choices(tmp_path):
    text = replace_in(GRID_TEXT, "hotel", 'housing = ["hotel"]', 'housing = ["hotell"]')
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, '"hotell"') and error.criterion == "hotel"
    assert "housing must be one of locataire_hlm, locataire_prive" in str(error) and 'got "hotell"' in str(error)


def test_a_criterion_in_the_wrong_block_is_refused(tmp_path):
    error = load_error(tmp_path, replace_in(GRID_TEXT, "hotel", 'category = "logement_actuel"', 'category = "motif"'))
    assert "'hotel' belongs to 'logement_actuel', not 'motif'" in str(error)


def test_a_bad_effective_date_is_located(tmp_path):
    text = GRID_TEXT.replace("effective_from = 2023-01-01", 'effective_from = "janvier 2023"')
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "effective_from =") and error.criterion is None
    assert 'effective_from must be a date (YYYY-MM-DD, unquoted), got "janvier 2023"' in str(error)


def test_invalid_toml_gives_its_line(tmp_path):
    text = GRID_TEXT.replace('points = 25\nwhen = { housing = ["chez_parents_enfants"] }',
                             'points = 25\nwhen = { housing = ["chez_parents_enfants"] ')
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, 'when = { housing = ["chez_parents_enfants"]')
    assert str(error).startswith(f"thiers.toml line {error.line}: not valid TOML")


# --- versions ------------------------------------------------------------------------------------------------

def _version(tmp_path: Path, version: str, effective: str, hotel_points: int, name: str) -> Path:
    text = GRID_TEXT.replace('version = "v1"', f'version = "{version}"').replace(
        "effective_from = 2023-01-01", f"effective_from = {effective}")
    return write(tmp_path, replace_in(text, "hotel", "points = 30", f"points = {hotel_points}"), name)


def test_the_version_in_effect_is_the_latest_not_after_the_date(tmp_path):
    grids = load_grids([_version(tmp_path, "v2", "2027-01-01", 35, "v2.toml"),
                        _version(tmp_path, "v1", "2023-01-01", 30, "v1.toml")])
    assert grid_in_effect(grids, date(2026, 12, 31)).version == "v1"
    assert grid_in_effect(grids, date(2027, 1, 1)).version == "v2"
    assert grid_in_effect(grids, date(2027, 1, 1), "thiers_dore_montagne").reference == "thiers_dore_montagne.v2"
    with pytest.raises(NoGridInEffect, match="2022-12-31"):
        grid_in_effect(grids, date(2022, 12, 31))


def test_two_versions_may_not_share_an_effective_date(tmp_path):
    with pytest.raises(GridError, match=r"b\.toml line \d+: effective_from: 'thiers_dore_montagne' already has a "
                                        r"version with effective_from 2023-01-01 \(a\.toml\)"):
        load_grids([_version(tmp_path, "v1", "2023-01-01", 30, "a.toml"),
                    _version(tmp_path, "v2", "2023-01-01", 35, "b.toml")])


def test_every_problem_is_reported_at_once(tmp_path):
    text = replace_in(replace_in(GRID_TEXT, "sans_abri", "points = 30", 'points = "dix"'),
                      "trop_petit", "points = 10", "pionts = 10")
    error = load_error(tmp_path, text)
    assert [(p.criterion, p.line) for p in error.problems] == [
        ("sans_abri", line_of(text, 'points = "dix"')), ("trop_petit", line_of(text, "pionts = 10"))]
    assert str(error).count("\n") == 1


@pytest.mark.parametrize("criterion", [c.id for c in default_grid().criteria])
def test_each_criterion_s_mistake_is_located_on_its_own_line(tmp_path, criterion):
    block = _block_of(criterion)
    label_line = next(line for line in block.splitlines() if line.startswith("label = "))
    text = replace_in(GRID_TEXT, criterion, label_line, "label = 42")
    error = load_error(tmp_path, text)
    expected = [n for n, line in enumerate(text.splitlines(), 1) if line == "label = 42"]
    assert (error.line, error.criterion) == (expected[0], criterion)
    assert error.message == "label must be a quoted text, got 42"


def test_a_mistake_in_the_combine_table_is_located(tmp_path):
    text = GRID_TEXT.replace('motif = "max"', 'motif = "maximum"')
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, 'motif = "maximum"') and error.criterion is None
    assert error.message == "motif must be one of 'sum' or 'max', got \"maximum\""


def test_a_territory_s_own_criterion(tmp_path):
    """A criterion the contracts do not name travels as critere_local with its label, and comes back by it."""
    local = ('\n[[criterion]]\nid = "emploi_sur_le_territoire"\ncategory = "local"\n'
             'label = "Emploi sur le territoire de l\'EPCI"\nkind = "points"\npoints = 5\n'
             'when = { sectors = ["prive", "fonction_publique"] }\n')
    grid = load_grid(write(tmp_path, GRID_TEXT + local))
    cotation = score(FaitsCotation(secteurs={SecteurEmploi.PRIVE}, date_depot=date(2026, 1, 1)), grid,
                     date(2026, 1, 1))
    assert cotation.total == 15   # salarié du privé 10 + local 5
    event = cotation.to_event("0630323000123G6301")
    [line] = [line for line in event.lignes if line.critere is CritereCotation.CRITERE_LOCAL]
    assert line.libelle == "Emploi sur le territoire de l'EPCI" and line.points == 5
    assert cotation_from_event(event, [grid]) == cotation
