"""The applicant's information the PPGD owes, for the territory's information desks (JSON, on the gateway under
``/v1/plugins/lifecycle/``): for one demand, its deadlines, its cotation explained criterion by criterion and its
CAL history.

Access: the caller presents one of ``[connectors.echeances] api_keys`` — a stop-gap until the partner registry
gives each desk its own identity. Every consultation is audited (log ``information_demandeur_consultee``: the
numéro unique, the caller's address, never a name).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request

from hub import require_api_key
from plugins.lifecycle.processor import Echeances

__all__ = ["router"]

log = structlog.get_logger(__name__)
router = APIRouter(tags=["information des demandeurs"])

_DEADLINES = ("statut", "date_enregistrement", "enregistrement_tardif", "date_reference", "date_avis",
              "date_anniversaire", "date_radiation_prevue", "mise_en_demeure_motif", "mise_en_demeure_date",
              "date_radiation", "motif_radiation", "reactivable_jusqu_au", "suppression_prevue")
_CAL = ("date_commission", "decision", "rang", "motif", "condition_suspensive", "sous_motif_irrecevabilite",
        "commune", "rpls")


@router.get("/demandes/{numero_unique}")
def information_demande(numero_unique: str, request: Request,
                        echeances: Echeances = Depends(require_api_key("echeances"))) -> dict[str, Any]:
    """A demand's deadlines, cotation (score and lines) and CAL decisions, as a desk agent explains them."""
    hub = request.app.state.hub
    dossier_processor = hub.connectors.get("dossier")
    with echeances.context.read() as conn:
        deadlines = echeances.echeances(conn, numero_unique)
        dossier = dossier_processor.dossier(conn, numero_unique) if dossier_processor is not None else None
    log.info("information_demandeur_consultee", numero_unique=numero_unique,
             client=request.client.host if request.client else None, found=deadlines is not None)
    if deadlines is None and dossier is None:
        raise HTTPException(404, f"demande {numero_unique}: inconnue du hub")
    etat = (dossier or {}).get("etat") or {}
    return {
        "numero_unique": numero_unique,
        "echeances": {k: deadlines.get(k) for k in _DEADLINES} if deadlines else None,
        "cotation": etat.get("cotation"),
        "commissions": [{k: c.get(k) for k in _CAL} for c in etat.get("commissions") or []],
    }
