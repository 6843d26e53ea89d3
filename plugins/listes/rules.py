"""Who is in which list on a given day: pure functions of a demand's facts (no database, no clock).

- **prioritaires** (seed 003 §1.1.4.2, §3.2): an open demand with at least one of: a COMED "prioritaire et urgent"
  decision not replaced by a later one on the same appeal, or DALO priority declared on the demand (``dalo``); a
  priority label in force — SIAO, PDALHPD, CIA, the landlords' 25 %, a CCH L441-1 ground… (``label:<nature>``);
  a CCH L441-1 criterion declared on the demand (``l441_1:<critere>``). With the contingents the household is
  eligible to: the last ``contingents_eligibles`` statement, else the contingent préfectoral for priority publics
  when the household is DALO, SIAO-labelled or L441-1 priority (the State convention's three categories, §1.1.4.2 c).
- **delai_depasse** (§1.1.4.3): an open demand filed more than N months ago (configuration; 15 in Puy-de-Dôme,
  any typology) that never received a suitable offer — a CAL attribution (rank 1, or under condition), a refusal
  the landlord judged a suitable offer, or a signed lease. The households who may file a DALO appeal.
- **poulidor** (§3.2): an open demand ranked 2nd or later by a CALEOL (``attribution_rang``) on a dwelling that
  then went to another household (a signed lease or an attribution report on or after the commission), and that
  has not been housed since. Its successive rankings and refusals are shown, newest first.

A household housed (its own lease or attribution report), radiated or purged is in no list.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from contracts.enums import Contingent, ListeGestionPartagee, NatureLabel, SensDecisionDalo

__all__ = ["LISTES", "EtatDemande", "Rang", "Issue", "evaluate", "add_months", "delai_atteint_le",
           "contingents_de", "motifs_prioritaires"]

LISTES = tuple(ListeGestionPartagee)


@dataclass(frozen=True)
class Rang:
    """A CALEOL ranking of the household on a dwelling."""

    date_commission: date
    rpls: str
    commune: str
    rang: int


@dataclass(frozen=True)
class Issue:
    """A dwelling went to a household (lease signed or attribution reported) on a day."""

    rpls: str
    numero_unique: str
    day: date


@dataclass
class EtatDemande:
    numero_unique: str
    statut: str = "inconnue"
    date_depot: date | None = None
    criteres: tuple[str, ...] = ()
    dalo_declare: bool = False
    labels: tuple[tuple[str, str, date | None], ...] = ()       # nature, emetteur siren, end of validity
    dalo: dict[str, str] = field(default_factory=dict)           # numero_recours → last decision
    contingents: tuple[str, ...] | None = None
    offre_adaptee: date | None = None
    attribue: bool = False

    @property
    def ouverte(self) -> bool:
        return self.statut == "active" and not self.attribue


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, on the same day or the month's last day when it is shorter (the cotation's
    complete months, read the other way)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def delai_atteint_le(demande: EtatDemande, months: int) -> date | None:
    return add_months(demande.date_depot, months) if demande.date_depot else None


def motifs_prioritaires(demande: EtatDemande, today: date) -> list[str]:
    motifs: list[str] = []
    if demande.dalo_declare or SensDecisionDalo.PRIORITAIRE_ET_URGENT.value in demande.dalo.values():
        motifs.append("dalo")
    natures = sorted({nature for nature, _siren, fin in demande.labels if fin is None or fin >= today})
    motifs += [f"label:{n}" for n in natures]
    motifs += [f"l441_1:{c}" for c in sorted(set(demande.criteres))]
    return motifs


def contingents_de(demande: EtatDemande, motifs: list[str]) -> list[str]:
    if demande.contingents is not None:
        return list(demande.contingents)
    prefet = any(m == "dalo" or m == f"label:{NatureLabel.SIAO.value}" or m.startswith(("l441_1:", "label:l441_1_"))
                 for m in motifs)
    return [Contingent.PREFET_PRIORITAIRES.value] if prefet else []


def motifs_poulidor(demande: EtatDemande, rangs: list[Rang], issues: list[Issue]) -> list[str]:
    """``rang:N:rpls`` for each ranking ≥ 2 on a dwelling that went to someone else on or after the commission."""
    motifs = []
    for r in sorted(rangs, key=lambda r: (r.date_commission, r.rpls), reverse=True):
        if r.rang >= 2 and any(i.rpls == r.rpls and i.numero_unique != demande.numero_unique
                               and i.day >= r.date_commission for i in issues):
            motifs.append(f"rang:{r.rang}:{r.rpls}")
    return motifs


def evaluate(demande: EtatDemande, today: date, months: int, rangs: list[Rang],
             issues: list[Issue]) -> dict[str, list[str]]:
    """List name → reasons, for every list the demand is in on ``today``."""
    if not demande.ouverte:
        return {}
    found: dict[str, list[str]] = {}
    if motifs := motifs_prioritaires(demande, today):
        found[ListeGestionPartagee.PRIORITAIRES.value] = motifs
    atteint = delai_atteint_le(demande, months)
    if atteint is not None and atteint <= today and demande.offre_adaptee is None:
        found[ListeGestionPartagee.DELAI_DEPASSE.value] = [f"delai:{months}_mois"]
    if motifs := motifs_poulidor(demande, rangs, issues):
        found[ListeGestionPartagee.POULIDOR.value] = motifs
    return found
