"""Golden files of the SNE connector: one event of each message kind, as the expected event (JSON) and its
``interfaceNuu`` rendering (XML), under ``tests/fixtures/sne/``.

Run ``PYTHONPATH=. .venv/bin/python tests/plugins/sne/golden.py`` to (re)write them after an intended format
change, then review the diff: the tests compare both directions byte for byte. All data is invented (Faker, fixed seeds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts import Envelope
from tests import golden_files
from tests.golden_files import expected_json  # noqa: F401  (used by the golden tests)
from contracts.enums import MotifRadiation, SituationLogementActuel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sne"


def golden_events() -> dict[str, Envelope[Any]]:
    """name → event; the name is the fixture's file stem."""
    from plugins.sne.synthetic import SyntheticSne

    source = SyntheticSne(seed=2024)
    rich = SyntheticSne(seed=7)
    events = {
        "demande_enregistree": source.enregistree(),
        "demande_modifiee": source.modifiee(),
        "demande_renouvelee": source.renouvelee(),
        "demande_renouvelee_sans_contenu": source.renouvelee(with_demande=False),
        "demande_radiee_attribution": source.radiee(MotifRadiation.ATTRIBUTION_BAIL_SIGNE),
        "demande_radiee_renonciation": source.radiee(MotifRadiation.RENONCIATION),
        "demande_radiee_absence_reponse": source.radiee(MotifRadiation.ABSENCE_REPONSE),
        "demande_radiee_irrecevabilite": source.radiee(MotifRadiation.IRRECEVABILITE),
        "demande_radiee_non_renouvellement": source.radiee(MotifRadiation.NON_RENOUVELLEMENT),
        "demande_radiee_fusion": source.radiee(MotifRadiation.FUSION),
        "attribution_reportee": source.attribution(),
        "decision_dalo": source.decision_dalo(),
    }
    # a demand with every optional section (handicap, priority, mutation…)
    for _ in range(50):
        candidate = rich.enregistree(rich=True, situation=SituationLogementActuel.LOCATAIRE_HLM)
        demande = candidate.data.demande
        if demande.handicap and demande.cotitulaire and demande.personnes_a_charge and demande.mutation:
            events["demande_enregistree_complete"] = candidate
            break
    else:  # pragma: no cover - depends on the generator
        raise RuntimeError("no complete demand among 50 seeds")
    return events


def load_expected(name: str) -> Envelope[Any]:
    return golden_files.load_expected(FIXTURES, name)


def write_all() -> None:
    from plugins.sne.codec import encode_event

    golden_files.write_golden(FIXTURES, golden_events(), encode_event)


if __name__ == "__main__":
    write_all()
