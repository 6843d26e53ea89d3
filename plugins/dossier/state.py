"""How each event changes a demand's dossier: pure functions, so that live processing and a rebuild from the journal
cannot disagree.

The state is one JSON document per demand::

    {"numero_unique", "statut", "date_enregistrement", "demande" (the CERFA content, latest),
     "labels", "commissions" (CAL decisions), "parcours" (désignations, visits, refusals…),
     "attributions", "radiation", "cotation", "autres" (latest payload of every other event type)}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contracts import Envelope

__all__ = ["apply", "empty_state", "diff", "STATUTS"]

#: active: open demand; radiee: radiated (reactivable); supprimee: purged; inconnue: events about a demand whose
#: registration the hub has not seen.
STATUTS = ("active", "radiee", "supprimee", "inconnue")

_DEMAND_CHANGES = {"demande_modifiee", "demande_rectifiee"}
_PARCOURS = {"designation_candidat", "inscription_cal", "visite_proposee", "visite_effectuee", "refus_demandeur"}
_ATTRIBUTIONS = {"bail_signe", "attribution_reportee"}


def empty_state(numero_unique: str) -> dict[str, Any]:
    return {"numero_unique": numero_unique, "statut": "inconnue", "date_enregistrement": None, "demande": None,
            "labels": [], "commissions": [], "parcours": [], "attributions": [], "radiation": None,
            "cotation": None, "autres": {}}


def diff(before: Any, after: Any, path: str = "") -> Iterator[dict[str, Any]]:
    """Field-by-field differences between two JSON values: ``{"champ": path, "avant": …, "apres": …}`` per leaf
    that changed (lists compared position by position)."""
    if isinstance(before, dict) or isinstance(after, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
            yield {"champ": path, "avant": before, "apres": after}
            return
        for key in sorted(set(b) | set(a)):
            yield from diff(b.get(key), a.get(key), f"{path}.{key}" if path else key)
        return
    if isinstance(before, list) or isinstance(after, list):
        b = before if isinstance(before, list) else []
        a = after if isinstance(after, list) else []
        if not isinstance(before, (list, type(None))) or not isinstance(after, (list, type(None))):
            yield {"champ": path, "avant": before, "apres": after}
            return
        for i in range(max(len(b), len(a))):
            yield from diff(b[i] if i < len(b) else None, a[i] if i < len(a) else None, f"{path}[{i}]")
        return
    if before != after:
        yield {"champ": path, "avant": before, "apres": after}


def _facts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"champ": k, "avant": None, "apres": v} for k, v in data.items() if k != "numero_unique"]


def apply(state: dict[str, Any] | None, event: Envelope[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The dossier after ``event``, and what it changed (for the history)."""
    new = dict(state) if state is not None else empty_state(event.subject or "")
    name = event.type.rsplit(".", 1)[0]
    data = event.data.model_dump(mode="json")
    changes: list[dict[str, Any]]
    if name == "demande_enregistree":
        new["demande"] = data["demande"]
        new["date_enregistrement"] = data["date_enregistrement"]
        new["statut"] = "active"
        changes = [{"champ": "demande", "avant": None, "apres": "enregistrée"}]
    elif name in _DEMAND_CHANGES:
        changes = list(diff(new.get("demande"), data["demande"], "demande"))
        new["demande"] = data["demande"]
        if new["statut"] == "inconnue":
            new["statut"] = "active"
    elif name == "demande_radiee":
        new["statut"] = "radiee"
        new["radiation"] = {k: v for k, v in data.items() if k != "numero_unique"}
        changes = _facts(data)
    elif name == "demande_reactivee":
        new["statut"] = "active"
        new["radiation"] = None
        changes = _facts(data)
    elif name == "demande_supprimee":
        new["statut"] = "supprimee"
        new["demande"] = None            # nothing nominative is kept once the demand is purged
        changes = _facts(data)
    elif name == "label_prioritaire_pose":
        key = (data["nature"], data["emetteur"]["siren"])
        new["labels"] = [lab for lab in new["labels"] if (lab["nature"], lab["emetteur"]["siren"]) != key] + [
            {k: v for k, v in data.items() if k != "numero_unique"}]
        changes = _facts(data)
    elif name == "label_prioritaire_leve":
        key = (data["nature"], data["emetteur"]["siren"])
        new["labels"] = [lab for lab in new["labels"] if (lab["nature"], lab["emetteur"]["siren"]) != key]
        changes = _facts(data)
    elif name == "decision_cal":
        new["commissions"] = new["commissions"] + [{k: v for k, v in data.items() if k != "numero_unique"}]
        changes = _facts(data)
    elif name in _PARCOURS:
        new["parcours"] = new["parcours"] + [{"etape": name, **{k: v for k, v in data.items()
                                                                if k != "numero_unique"}}]
        changes = _facts(data)
    elif name in _ATTRIBUTIONS:
        new["attributions"] = new["attributions"] + [{"etape": name, **{k: v for k, v in data.items()
                                                                        if k != "numero_unique"}}]
        changes = _facts(data)
    elif name == "cotation_calculee":
        new["cotation"] = {k: v for k, v in data.items() if k != "numero_unique"}
        changes = _facts({"score": data["score"], "grille_version": data["grille_version"]})
    else:
        new["autres"] = {**new["autres"], name: {k: v for k, v in data.items() if k != "numero_unique"}}
        changes = _facts(data)
    return new, changes
