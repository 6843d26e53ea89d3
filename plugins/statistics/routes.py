"""The expected waiting time for a commune and a typology, for the territory's information desks (JSON, on the
gateway under ``/v1/plugins/statistics/``): the figures of ``relais stats`` for one cell, secrecy included.

Access: one of ``[connectors.statistiques] api_keys`` (until the partner registry identifies each desk); every
consultation is logged (``delai_attente_consulte``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from hub import require_api_key
from plugins.statistics.figures import compute
from plugins.statistics.parc import read_parc
from plugins.statistics.processor import TYPOLOGIES, Statistiques

__all__ = ["router"]

log = structlog.get_logger(__name__)
router = APIRouter(tags=["information des demandeurs"])


@router.get("/delai-attente")
def delai_attente(request: Request, commune: str = Query(pattern=r"^[0-9][0-9AB][0-9]{3}$"),
                  typologie: str = Query(), annee: int = Query(ge=2000, le=2100),
                  statistiques: Statistiques = Depends(require_api_key("statistiques"))) -> dict[str, Any]:
    """Demands pending at 31/12 of the year before, attributions of that year and the theoretical waiting time
    (months) for one commune and typology (T1, T2, T3, T4, T5+)."""
    if typologie not in TYPOLOGIES:
        raise HTTPException(422, f"typologie: {typologie!r}; one of {', '.join(TYPOLOGIES)}")
    settings = statistiques.settings
    with statistiques.context.read() as conn:
        demandes, attributions = statistiques.rows(conn)
    stock = read_parc(Path(settings.parc)) if settings.parc else []
    figures = compute(annee, demandes, attributions, stock, settings.secret_seuil)
    log.info("delai_attente_consulte", commune=commune, typologie=typologie, annee=annee,
             client=request.client.host if request.client else None)
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
