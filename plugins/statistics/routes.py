"""The expected waiting time for a commune and a typology, for the territory's information desks (JSON, on the
gateway under ``/v1/plugins/statistics/``): the figures of ``relais stats`` for one cell, secrecy included.

Access: any registry partner (its key from ``relais partners add``, or its certificate), whatever its role: the
figures are not nominative and statistical secrecy is applied before they leave; a key of ``[connectors.statistiques]
api_keys`` still works (the desks configured before the registry). Every consultation is logged
(``delai_attente_consulte``, with the partner).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from hub import require_partner
from plugins.statistics.figures import compute
from plugins.statistics.parc import read_parc
from plugins.statistics.processor import TYPOLOGIES, Statistiques

__all__ = ["router"]

log = structlog.get_logger(__name__)
router = APIRouter(tags=["information des demandeurs"])


@router.get("/delai-attente")
def delai_attente(request: Request, commune: str = Query(pattern=r"^[0-9][0-9AB][0-9]{3}$"),
                  typologie: str = Query(), annee: int = Query(ge=2000, le=2100),
                  caller: Any = Depends(require_partner(legacy_connector="statistiques"))) -> dict[str, Any]:
    """Demands pending at 31/12 of the year before, attributions of that year and the theoretical waiting time
    (months) for one commune and typology (T1, T2, T3, T4, T5+)."""
    if typologie not in TYPOLOGIES:
        raise HTTPException(422, f"typologie: {typologie!r}; one of {', '.join(TYPOLOGIES)}")
    statistiques: Statistiques | None = request.app.state.hub.connectors.get("statistiques")
    if statistiques is None:
        raise HTTPException(503, "the statistiques processor is not enabled ([connectors.statistiques] enabled = "
                                 "true)")
    settings = statistiques.settings
    with statistiques.context.read() as conn:
        demandes, attributions = statistiques.rows(conn)
    stock = read_parc(Path(settings.parc)) if settings.parc else []
    figures = compute(annee, demandes, attributions, stock, settings.secret_seuil)
    log.info("delai_attente_consulte", commune=commune, typologie=typologie, annee=annee, partner=caller.partner.id)
    cell = next((c for c in figures["par_commune_typologie"]
                 if c["commune"] == commune and c["typologie"] == typologie), None)
    commune_row = next((c for c in figures["par_commune"] if c["commune"] == commune), None)
    return {"commune": commune, "typologie": typologie, "annee": annee, "au": figures["au"],
            "demandes_en_instance": cell["demandes_en_instance"] if cell else 0,
            "attributions": cell["attributions"] if cell else 0,
            "delai_attente_theorique_mois": cell["delai_attente_theorique_mois"] if cell else None,
            "delai_moyen_attribution_jours_commune": commune_row["delai_moyen_attribution_jours"]
            if commune_row else None,
            "secret_statistique": "null : chiffre couvert par le secret statistique ou sans attribution"}
