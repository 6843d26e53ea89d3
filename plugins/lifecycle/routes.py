"""The applicant's information the PPGD owes, for the territory's information desks (JSON, on the gateway under
``/v1/plugins/lifecycle/``): for one demand, its deadlines, its cotation explained criterion by criterion and its
CAL history.

Access: a registry partner (its key from ``relais partners add``, or its certificate) whose access rules let it read
that demand — an information desk (role ``guichet``), the EPCI or a landlord of the territory, a réservataire where
it holds reservations… (``hub.demand_verdict``, the same rules as for its events); others get 403 naming why. A
key of ``[connectors.echeances] api_keys`` still works (the desks configured before the registry), as the partner
``connector:echeances``. Every call, allowed or not, is a row of the audit trail (the partner, its key id, the
numéro unique, the outcome, the rule): never a name.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request

from hub import require_partner
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
                        caller: Any = Depends(require_partner(legacy_connector="echeances"))) -> dict[str, Any]:
    """A demand's deadlines, cotation (score and lines) and CAL decisions, as a desk agent explains them."""
    hub = request.app.state.hub
    echeances: Echeances | None = hub.connectors.get("echeances")
    if echeances is None:
        raise HTTPException(503, "the echeances processor is not enabled ([connectors.echeances] enabled = true)")
    dossier_processor = hub.connectors.get("dossier")
    with echeances.context.read() as conn:
        deadlines = echeances.echeances(conn, numero_unique)
        dossier = dossier_processor.dossier(conn, numero_unique) if dossier_processor is not None else None
    etat = (dossier or {}).get("etat") or {}
    wished = ((etat.get("demande") or {}).get("souhaits") or {}).get("communes") or ()
    partner = caller.partner
    verdict = hub.demand_verdict(partner, numero_unique, wished)
    found = deadlines is not None or dossier is not None
    outcome = "denied" if not verdict.allowed else "done" if found else "not_found"
    hub.audit_access(actor=partner.id, action="information demandeur", target=numero_unique, outcome=outcome,
                     key_id=caller.key_id, reason=f"{verdict.rule}: {verdict.why}" if verdict.allowed else verdict.why)
    log.info("information_demandeur_consultee", numero_unique=numero_unique, partner=partner.id, outcome=outcome)
    if not verdict.allowed:
        # why, without the household's communes or history (they are the audit row's, for the device's manager)
        raise HTTPException(403, f"partner {partner.id!r} (role {partner.role.value}) may not read demande "
                                 f"{numero_unique}: no access rule for role {partner.role.value} grants this "
                                 "demand (docs/partners.md; the refusal is in the audit trail)")
    if not found:
        raise HTTPException(404, f"demande {numero_unique}: inconnue du hub")
    return {
        "numero_unique": numero_unique,
        "echeances": {k: deadlines.get(k) for k in _DEADLINES} if deadlines else None,
        "cotation": etat.get("cotation"),
        "commissions": [{k: c.get(k) for k in _CAL} for c in etat.get("commissions") or []],
    }
