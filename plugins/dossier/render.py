"""``relais dossier`` as a desk agent reads it: the demand's state, then its history, in French."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["render"]

ZONE = ZoneInfo("Europe/Paris")
STATUT = {"active": "active", "radiee": "radiée", "supprimee": "supprimée (données personnelles effacées)",
          "inconnue": "enregistrement non reçu par le hub"}


def _when(text: str) -> str:
    try:
        return datetime.fromisoformat(text).astimezone(ZONE).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return text


def _value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _household(demande: dict[str, Any]) -> list[str]:
    d = demande.get("demandeur") or {}
    lines = [f"Demandeur : {d.get('prenom', '')} {d.get('nom', '')}".rstrip()]
    if demande.get("cotitulaire"):
        c = demande["cotitulaire"]
        lines.append(f"Cotitulaire : {c.get('prenom', '')} {c.get('nom', '')}".rstrip())
    size = 1 + bool(demande.get("cotitulaire")) + len(demande.get("personnes_a_charge") or [])
    lines.append(f"Ménage : {size} personne(s), dont {len(demande.get('personnes_a_charge') or [])} à charge")
    return lines


def _step(step: dict[str, Any]) -> str:
    """One step of the attribution chain before or beside the commission (désignation, inscription en CAL, visit,
    refusal), dated by the fact; the refusal's free-text precision is left to the history."""
    when = next((v for k, v in step.items() if k.startswith("date_") and v), None)
    detail = step.get("suite") or step.get("motif") or step.get("origine")
    return (f"{step['etape']}{f' du {when}' if when else ''}{f' ({detail})' if detail else ''} — logement "
            f"{step['rpls']} ({step['commune']})")


def render(dossier: dict[str, Any]) -> str:
    etat = dossier["etat"]
    out = [f"Demande {dossier['numero_unique']} — {STATUT.get(dossier['statut'], dossier['statut'])}"]
    if etat.get("date_enregistrement"):
        out.append(f"Enregistrée le {etat['date_enregistrement']}")
    demande = etat.get("demande")
    if demande:
        souhaits = demande.get("souhaits") or {}
        out.append("Communes souhaitées : " + (", ".join(souhaits.get("communes") or []) or "—"))
        out.append("Typologies : " + (", ".join(souhaits.get("typologies") or []) or "—"))
        out += _household(demande)
    for label in etat.get("labels") or []:
        out.append(f"Label prioritaire : {label['nature']} ({label['emetteur']['nom']}, {label['date_decision']})")
    if etat.get("cotation"):
        out.append(f"Cotation : {etat['cotation']['score']} points (grille {etat['cotation']['grille_version']})")
    for step in etat.get("parcours") or []:
        out.append(_step(step))
    for c in etat.get("commissions") or []:
        rang = f", rang {c['rang']}" if c.get("rang") else ""
        out.append(f"CALEOL du {c['date_commission']} : {c['decision']}{rang} — logement {c['rpls']} ({c['commune']})")
    for a in etat.get("attributions") or []:
        out.append(f"{a['etape']} : logement {a['rpls']} ({a['commune']})")
    if etat.get("radiation"):
        out.append(f"Radiée le {etat['radiation']['date_radiation']} : {etat['radiation']['motif']}")
    out.append("")
    out.append("Historique")
    for h in dossier["historique"]:
        out.append(f"{_when(h['time'])}  {h['type']:<28} {h['entite']['nom']} (SIREN {h['entite']['siren']}) "
                   f"via {h['source']}")
        if h["type"].startswith(("demande_modifiee", "demande_rectifiee")):
            for c in h["changements"]:
                out.append(f"    {c['champ']} : {_value(c['avant'])} → {_value(c['apres'])}")
    return "\n".join(out)
