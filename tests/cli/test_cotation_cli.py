"""``relais cotation explain`` (French, as the desk reads it) and ``relais cotation recompute`` (with progress)."""

from __future__ import annotations

from datetime import date

from hub.settings import HubSettings
from plugins.cotation import tables
from tests.contracts.contracts_factories import NUMERO
from tests.plugins.cotation.processor_support import Clock, derived, journal, make_hub
from tests.plugins.cotation.test_cotation_processor import registered

DAY = date(2026, 11, 30)


def _scored(tmp_path, *numbers: str) -> HubSettings:
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    with make_hub(settings, Clock(DAY)) as hub:
        journal(hub, *(registered(n) for n in numbers))
    return settings


def test_explain_prints_the_breakdown_in_french(relais, tmp_path):
    _scored(tmp_path, NUMERO)
    out = relais("cotation", "explain", NUMERO)
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"Cotation de la demande {NUMERO}: ")
    assert "grille Thiers Dore et Montagne v1, calculée le 30 novembre 2026" in lines[0]
    assert "  Logement actuel" in lines and any("Ancienneté de la demande (0,4 par mois)" in l for l in lines)
    assert lines[-1].startswith("  Total : ")


def test_explain_of_a_radiated_demand_says_it_is_no_longer_scored(relais, tmp_path):
    from contracts.enums import MotifRadiation
    from contracts.events import DemandeRadiee
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    with make_hub(settings, Clock(DAY)) as hub:
        journal(hub, registered())
        journal(hub, DemandeRadiee(numero_unique=NUMERO, date_radiation=DAY, motif=MotifRadiation.RENONCIATION))
    out = relais("cotation", "explain", NUMERO)
    assert out.exit_code == 0
    assert out.stdout.splitlines()[-1] == "  (la demande est radiée : elle n'est plus cotée ; dernier score calculé ci-dessus)"


def test_recompute_recomputes_every_open_demand_and_counts_what_changed(relais, tmp_path):
    numbers = [f"06303230001{n:02d}G6301" for n in range(12)]
    settings = _scored(tmp_path, *numbers)
    out = relais("cotation", "recompute")
    assert out.exit_code == 0, out.stderr
    assert "relais: cotation recompute: 12/12 demande(s)" in out.stderr
    # run today (the machine's clock): seniority has grown since 30 November 2026 unless run that month
    assert out.stdout.startswith("relais: 12 open demand(s) recomputed, ")
    with make_hub(settings, Clock(DAY)) as hub:
        emitted = derived(hub, "cotation_calculee.v1")
        with hub.journal.engine.connect() as conn:
            kept = conn.execute(tables.scores.select()).all()
    changed = int(out.stdout.split(", ")[1].split()[0])
    assert len(emitted) == 12 + changed and len(kept) == 12
