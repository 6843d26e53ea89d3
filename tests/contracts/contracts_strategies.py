"""Hypothesis strategies for every contract model, built generically from the models' fields.

Why generic: a new event type is covered by the round-trip property test the day it is registered, with no
strategy to write. Identifier types are recognised by their check function (``AfterValidator``), constrained
scalars by their metadata (lengths, bounds, patterns). Cross-field rules are satisfied by small *fix-ups* per model
(below) rather than by filtering, which would waste most draws.
"""

from __future__ import annotations

import types
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, Callable, Literal, Union, get_args, get_origin

import annotated_types as at
from hypothesis import strategies as st
from pydantic import AfterValidator, AwareDatetime, BaseModel, ValidationError
from pydantic.fields import FieldInfo

from contracts import identifiers as ids
from contracts.demande import Demande, champs_demande, check_champ_demande
from contracts.enums import (
    AuteurModification, Contingent, CritereCotation, MotifRadiation, OrigineDesignation, SensDecisionDalo,
    SituationLogementActuel, SousMotifIrrecevabilite, StatutSyplo, TypeDecisionCal,
)
from contracts.events import (
    AttributionReportee, AvisRenouvellementEnvoye, CotationCalculee, DecisionCal, DecisionDalo, DemandeModifiee,
    DemandeRadiee, DesignationCandidat, InscriptionSyplo, LabelPrioritairePose, LigneCotation, MiseEnDemeureEnvoyee,
)
from contracts.logement import LogementActuel

__all__ = ["model_strategy", "strategy_for", "IDENTIFIERS"]

_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_METRO = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
_OVERSEAS = ["971", "972", "973", "974", "975", "976"]


def _chars(alphabet: str, n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=n, max_size=n)


def _luhn_complete(prefix: str) -> str:
    for digit in _DIGITS:
        if ids.luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


_dept3 = st.one_of(st.sampled_from(_METRO).map(lambda d: "0" + d), st.sampled_from(_OVERSEAS))
_siren = _chars(_DIGITS, 8).map(_luhn_complete).filter(lambda s: s != ids.LA_POSTE_SIREN)
_commune = st.one_of(
    st.tuples(st.sampled_from(_METRO), _chars(_DIGITS, 3)).map("".join),
    st.tuples(st.sampled_from(_OVERSEAS), _chars(_DIGITS, 2)).map("".join),
)
_numero_unique = st.tuples(
    st.one_of(_dept3, _chars(_DIGITS, 3)),
    st.integers(1, 12).map(lambda m: f"{m:02d}"),
    _chars(_DIGITS, 2),
    _chars(_ALNUM, 11),
).map("".join)

#: Strategy for each identifier type, keyed by its check function.
IDENTIFIERS: dict[Callable[[str], str], st.SearchStrategy[str]] = {
    ids.check_numero_unique: _numero_unique,
    ids.check_rpls: _chars(_ALNUM, 10),
    ids.check_code_insee: _commune,
    ids.check_siren: _siren,
    ids.check_siret: st.tuples(_siren, _chars(_DIGITS, 4)).map(lambda p: _luhn_complete(p[0] + p[1])),
    ids.check_code_qpv: st.tuples(st.just("QP"), _dept3, _chars(_DIGITS, 3)).map("".join),
    check_champ_demande: st.sampled_from(champs_demande()),
}

_TEXT = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_constraints(list(item.metadata)))
        elif isinstance(item, AfterValidator) and item.func in IDENTIFIERS:
            found["identifier"] = IDENTIFIERS[item.func]
        elif isinstance(item, at.MinLen):
            found["min_len"] = item.min_length
        elif isinstance(item, at.MaxLen):
            found["max_len"] = item.max_length
        elif isinstance(item, at.Ge):
            found["ge"] = item.ge
        elif isinstance(item, at.Gt):
            found["gt"] = item.gt
        elif isinstance(item, at.Le):
            found["le"] = item.le
        elif isinstance(item, at.Lt):
            found["lt"] = item.lt
        elif getattr(item, "pattern", None) is not None:
            found["pattern"] = item.pattern
    return found


def strategy_for(annotation: Any, metadata: list[Any] | None = None) -> st.SearchStrategy[Any]:
    """A strategy for values of ``annotation`` (with pydantic/annotated-types ``metadata``)."""
    metadata = list(metadata or [])
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        return strategy_for(base, metadata + extra)
    c = _constraints(metadata)
    if "identifier" in c:
        return c["identifier"]
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = get_args(annotation)
        return st.one_of(*[strategy_for(m, metadata if m is not type(None) else []) for m in members])
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if origin is tuple:
        item = get_args(annotation)[0]
        items = strategy_for(item)
        low = c.get("min_len", 0)
        return st.lists(items, min_size=low, max_size=max(low, min(c.get("max_len", 3), 3)), unique=True).map(tuple)
    if annotation is type(None):
        return st.none()
    if annotation is Any:
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from(list(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = c.get("ge", c["gt"] + 1 if "gt" in c else -10**9)
        high = c.get("le", c["lt"] - 1 if "lt" in c else 10**9)
        return st.integers(low, high)
    if annotation is float:
        return st.floats(c.get("ge", -1e9), c.get("le", 1e9), allow_nan=False, allow_infinity=False)
    if annotation is str:
        if "pattern" in c:
            strategy = st.from_regex(c["pattern"], fullmatch=True)
            low, high = c.get("min_len", 0), c.get("max_len", 10**6)
            return strategy.filter(lambda s: low <= len(s) <= high)
        low = c.get("min_len", 0)
        return st.text(_TEXT, min_size=low, max_size=max(low, min(c.get("max_len", 40), 40)))
    if annotation is date:
        return st.dates(date(1930, 1, 1), date(2090, 12, 31))
    if annotation in (datetime, AwareDatetime):
        return st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1),
                            timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2))]))
    raise NotImplementedError(f"no strategy for {annotation!r}")


@lru_cache(maxsize=None)
def model_strategy(model: type[BaseModel]) -> st.SearchStrategy[BaseModel]:
    """Valid instances of ``model``: fields drawn generically, cross-field rules fixed up, then validated."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        strategy = st.deferred(lambda info=info: strategy_for(info.annotation, list(info.metadata)))
        (required if info.is_required() else optional)[name] = strategy
    fixup = FIXUPS.get(model, lambda kwargs: kwargs)

    def build(kwargs: dict[str, Any]) -> BaseModel | None:
        try:
            return model(**fixup(dict(kwargs)))
        except ValidationError:
            return None

    return st.fixed_dictionaries(required, optional=optional).map(build).filter(lambda m: m is not None)


# --- fix-ups: make a draw satisfy a model's cross-field rules ------------------------------------------------

def _ordered(kwargs: dict[str, Any], *names: str) -> dict[str, Any]:
    present = [n for n in names if kwargs.get(n) is not None]
    for name, value in zip(present, sorted(kwargs[n] for n in present)):
        kwargs[name] = value
    return kwargs


def _fix_demande(kw: dict[str, Any]) -> dict[str, Any]:
    if kw.get("mutation") is not None:
        current = kw.get("logement_actuel") or LogementActuel(situation=SituationLogementActuel.LOCATAIRE_HLM)
        kw["logement_actuel"] = current.model_copy(update={"situation": SituationLogementActuel.LOCATAIRE_HLM})
    return _ordered(kw, "date_depot", "date_enregistrement", "date_dernier_renouvellement")


def _fix_decision_cal(kw: dict[str, Any]) -> dict[str, Any]:
    decision = kw["decision"]
    if decision is TypeDecisionCal.ATTRIBUTION_RANG and kw.get("rang") is None:
        kw["rang"] = 2
    if decision is TypeDecisionCal.ATTRIBUTION_SOUS_CONDITION and not kw.get("condition_suspensive"):
        kw["condition_suspensive"] = "condition"
    if decision in (TypeDecisionCal.NON_ATTRIBUTION, TypeDecisionCal.IRRECEVABILITE) and not kw.get("motif"):
        kw["motif"] = "motif"
    if decision is not TypeDecisionCal.IRRECEVABILITE:
        kw.pop("sous_motif_irrecevabilite", None)
    return kw


def _fix_radiee(kw: dict[str, Any]) -> dict[str, Any]:
    motif = _fix_radiee_like(kw, "motif")["motif"]
    if motif is not MotifRadiation.ATTRIBUTION_BAIL_SIGNE:
        kw.pop("rpls", None)
        kw.pop("commune", None)
    if motif is not MotifRadiation.FUSION or kw.get("numero_unique_conserve") == kw["numero_unique"]:
        kw.pop("numero_unique_conserve", None)
    return kw


def _fix_mise_en_demeure(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["motif_envisage"] not in (MotifRadiation.ABSENCE_REPONSE, MotifRadiation.IRRECEVABILITE):
        kw["motif_envisage"] = MotifRadiation.ABSENCE_REPONSE
    return _fix_radiee_like(kw, "motif_envisage")


def _fix_radiee_like(kw: dict[str, Any], field: str) -> dict[str, Any]:
    if kw[field] is MotifRadiation.IRRECEVABILITE:
        kw["sous_motif"] = kw.get("sous_motif") or SousMotifIrrecevabilite.RESSOURCES_SUPERIEURES_PLAFOND
    else:
        kw.pop("sous_motif", None)
    return kw


def _fix_modifiee(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["auteur"] is AuteurModification.GUICHET and kw.get("guichet") is None:
        kw["auteur"] = AuteurModification.DEMANDEUR
    return kw


def _fix_dalo(kw: dict[str, Any]) -> dict[str, Any]:
    _ordered(kw, "date_depot_recours", "date_decision")
    if kw["decision"] is not SensDecisionDalo.PRIORITAIRE_ET_URGENT:
        kw.pop("date_limite_relogement", None)
    return kw


def _fix_syplo(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["statut"] is not StatutSyplo.INSCRIT:
        kw.pop("numero_syplo", None)
    return kw


def _fix_designation(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["origine"] is OrigineDesignation.RESERVATAIRE and kw.get("reservataire") is None:
        kw["origine"] = OrigineDesignation.BAILLEUR
    return kw


def _fix_attribution(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["contingent"] is not Contingent.PREFET_FONCTIONNAIRES:
        kw["agent_etat"] = False
    return kw


def _fix_ligne(kw: dict[str, Any]) -> dict[str, Any]:
    if kw["critere"] is CritereCotation.CRITERE_LOCAL and not kw.get("libelle"):
        kw["libelle"] = "critère local"
    return kw


def _fix_cotation(kw: dict[str, Any]) -> dict[str, Any]:
    kw["score"] = sum(line.points for line in kw["lignes"])
    return kw


FIXUPS: dict[type[BaseModel], Callable[[dict[str, Any]], dict[str, Any]]] = {
    Demande: _fix_demande,
    DecisionCal: _fix_decision_cal,
    DemandeRadiee: _fix_radiee,
    MiseEnDemeureEnvoyee: _fix_mise_en_demeure,
    DemandeModifiee: _fix_modifiee,
    DecisionDalo: _fix_dalo,
    InscriptionSyplo: _fix_syplo,
    DesignationCandidat: _fix_designation,
    AttributionReportee: _fix_attribution,
    LigneCotation: _fix_ligne,
    CotationCalculee: _fix_cotation,
    AvisRenouvellementEnvoye: lambda kw: _ordered(kw, "date_anniversaire", "date_radiation_prevue"),
    LabelPrioritairePose: lambda kw: _ordered(kw, "date_decision", "date_fin_validite"),
}
