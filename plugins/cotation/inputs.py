"""How each journaled event changes what scoring reads of a demand (pure functions: live processing and a rebuild
from the journal cannot disagree).

The state of one demand is a dict shaped like a ``cotation_faits`` row. Choices where the seed is silent (written
in the README too):
- a **refusal** counts against the household only when the landlord judged the offer suitable
  (``refus_demandeur.offre_adaptee`` true): the grid weighs the refusal of *a suitable offer*; a refusal whose
  motif is ``sans_reponse`` counts as an unanswered offer;
- a **visit without follow-up** is a ``visite_effectuee`` whose ``suite`` is ``absent`` (the household did not
  turn up); "non intéressé" is followed by the household's refusal, counted there, not twice;
- **DALO**: the demand's own declaration, a ``dalo`` label, or a COMED ``prioritaire_et_urgent`` decision on an
  appeal that no later decision on the same appeal (``sans_objet``…) replaced;
- a radiated demand is not scored until reactivated; a purged one loses its facts (they held birth dates).
"""

from __future__ import annotations

import json
from typing import Any

from contracts import Envelope
from contracts.enums import MotifRefus, NatureLabel, SensDecisionDalo, SuiteVisite
from plugins.cotation.facts import FaitsCotation, faits_depuis_demande

__all__ = ["SUBSCRIPTIONS", "new_state", "apply", "facts_of", "ACTIVE"]

ACTIVE = "active"

#: What the processor reads: every event that changes an input of the score.
SUBSCRIPTIONS = ("demande_enregistree.*", "demande_modifiee.*", "demande_rectifiee.*", "demande_renouvelee.*",
                 "demande_radiee.*", "demande_reactivee.*", "demande_supprimee.*", "label_prioritaire_pose.*",
                 "label_prioritaire_leve.*", "decision_dalo.*", "refus_demandeur.*", "visite_effectuee.*")


def new_state(numero_unique: str) -> dict[str, Any]:
    return {"numero_unique": numero_unique, "statut": "inconnue", "faits": None, "refus": 0,
            "visites_sans_suite": 0, "non_reponses": 0, "labels": "[]", "dalo": "{}", "entite": None, "timer": None,
            "demande_recue": False}


def apply(state: dict[str, Any], event: Envelope[Any]) -> dict[str, Any]:
    """The state after ``event`` (a new dict)."""
    new = dict(state)
    name = event.type.rsplit(".", 1)[0]
    data = event.data
    new["entite"] = event.entity.model_dump_json()
    if name in ("demande_enregistree", "demande_modifiee", "demande_rectifiee") or (
            name == "demande_renouvelee" and data.demande is not None):
        new["faits"] = faits_depuis_demande(data).model_dump_json()
        new["demande_recue"] = True
        if new["statut"] == "inconnue":
            new["statut"] = ACTIVE
    elif name == "demande_radiee":
        new["statut"] = "radiee"
    elif name == "demande_reactivee":
        new["statut"] = ACTIVE if new["demande_recue"] else "inconnue"
    elif name == "demande_supprimee":
        new.update(statut="supprimee", faits=None, demande_recue=False)
    elif name == "label_prioritaire_pose":
        labels = [lab for lab in json.loads(new["labels"]) if lab != [data.nature.value, data.emetteur.siren]]
        new["labels"] = json.dumps(sorted(labels + [[data.nature.value, data.emetteur.siren]]))
    elif name == "label_prioritaire_leve":
        new["labels"] = json.dumps([lab for lab in json.loads(new["labels"])
                                    if lab != [data.nature.value, data.emetteur.siren]])
    elif name == "decision_dalo":
        dalo = json.loads(new["dalo"])
        dalo[data.numero_recours] = data.decision.value
        new["dalo"] = json.dumps(dalo, sort_keys=True)
    elif name == "refus_demandeur" and data.offre_adaptee:
        key = "non_reponses" if data.motif is MotifRefus.SANS_REPONSE else "refus"
        new[key] = min(new[key] + 1, 1000)
    elif name == "visite_effectuee" and data.suite is SuiteVisite.ABSENT:
        new["visites_sans_suite"] = min(new["visites_sans_suite"] + 1, 1000)
    return new


def facts_of(state: dict[str, Any]) -> FaitsCotation | None:
    """The engine's input for a demand, or None when it is not to be scored (not active, content unknown)."""
    if state["statut"] != ACTIVE or not state["faits"]:
        return None
    base = FaitsCotation.model_validate_json(state["faits"])
    natures = {NatureLabel(nature) for nature, _siren in json.loads(state["labels"])}
    dalo = any(d == SensDecisionDalo.PRIORITAIRE_ET_URGENT.value for d in json.loads(state["dalo"]).values())
    return base.model_copy(update={
        "prioritaire_dalo": base.prioritaire_dalo or dalo or NatureLabel.DALO in natures,
        "handicap": base.handicap or NatureLabel.L441_1_HANDICAP in natures,
        "refus": state["refus"], "visites_sans_suite": state["visites_sans_suite"],
        "non_reponses": state["non_reponses"]})
