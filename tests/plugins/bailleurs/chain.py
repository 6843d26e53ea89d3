"""Synthetic records of a landlord's attribution chain (built on tests.factories: generated identifiers only), as
``evenements/1`` records and as ``caleol_csv/1`` rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.factories import fake, numero_unique, rpls, siren

HEADER = ["type", "id", "bailleur_siren", "bailleur_nom", "numero_unique", "rpls", "commune", "date_designation",
          "origine", "reservataire_siren", "reservataire_nom", "date_commission", "rang_presentation",
          "date_proposition", "date_visite_prevue", "date_visite", "suite", "decision", "rang", "motif",
          "date_refus", "offre_adaptee", "date_signature", "date_attribution", "contingent", "dalo"]


def chain(numero: str | None = None, dwelling: str | None = None) -> list[dict[str, Any]]:
    """One household's chain on one dwelling, from designation to the attribution report (8 records, 8 types)."""
    base = {"numero_unique": numero or numero_unique(), "rpls": dwelling or rpls(), "commune": "63430"}

    def record(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "id": f"EVT-{fake.unique.bothify('#####-???').upper()}", **base, **fields}

    return [
        record("designation_candidat", date_designation="2026-10-02", origine="bailleur"),
        record("inscription_cal", date_commission="2026-10-20", rang_presentation=1),
        record("visite_proposee", date_proposition="2026-10-05", date_visite_prevue="2026-10-09"),
        record("visite_effectuee", date_visite="2026-10-09", suite="interesse"),
        record("decision_cal", date_commission="2026-10-20", decision="attribution"),
        record("refus_demandeur", date_refus="2026-10-22", motif="loyer_charges", offre_adaptee=False),
        record("bail_signe", date_signature="2026-11-02"),
        record("attribution_reportee", date_attribution="2026-10-20", contingent="AUCUN",
               reservataire={"siren": "276300019", "nom": "Office de démonstration"}),
    ]


def document(records: list[dict[str, Any]], bailleur_siren: str | None = None) -> dict[str, Any]:
    return {"format": "relais.bailleurs.evenements/1",
            "bailleur": {"siren": bailleur_siren or siren(), "nom": f"{fake.company()} Habitat"},
            "evenements": records}


def rows(records: list[dict[str, Any]], bailleur: dict[str, str]) -> list[list[str]]:
    """The records as CSV rows under :data:`HEADER` (an entity spread over its two columns)."""
    out = []
    for r in records:
        flat = {"bailleur_siren": bailleur["siren"], "bailleur_nom": bailleur["nom"]}
        for key, value in r.items():
            if isinstance(value, dict):
                flat.update({f"{key}_{k}": v for k, v in value.items()})
            elif isinstance(value, bool):
                flat[key] = "oui" if value else "non"
            else:
                flat[key] = str(value)
        unknown = set(flat) - set(HEADER)
        assert not unknown, unknown
        out.append([flat.get(column, "") for column in HEADER])
    return out


def csv_text(records: list[dict[str, Any]], bailleur: dict[str, str] | None = None,
             header: list[str] | None = None) -> str:
    bailleur = bailleur or {"siren": siren(), "nom": f"{fake.company()} Habitat"}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows(records, bailleur))
    return out.getvalue()
