"""The ``listes`` processor: keeps the three lists as projections and announces every entry and exit as
``liste_entree`` / ``liste_sortie``, so that a landlord's CALEOL software keeps its own filter in step.

It reads the events that change membership (the demand's content, status, labels, DALO decisions, contingents, CAL
rankings and decisions, refusals, leases, attribution reports) and ``cotation_calculee`` (the score shown in the
exports). It emits only list events, to which the cotation processor does not subscribe: no cycle.

Time moves a household into a list too (15 months after filing; a label's end of validity): a timer at that day
re-evaluates the demand. Membership is evaluated on the hub's clock (the territory's day); only a change of
membership emits an event — a new reason for a household already in a list (a second ranking) updates the
projection silently (and so does a new contingents statement).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from contracts import Envelope
from contracts.enums import ListeGestionPartagee, MotifSortieListe, TypeDecisionCal
from contracts.events import ListeEntree, ListeSortie
from hub import ProcessContext, Processor, Timer
from plugins.listes import store, tables
from plugins.listes.rules import LISTES, EtatDemande, delai_atteint_le, contingents_de, evaluate
from plugins.listes.settings import ListesSettings

__all__ = ["ListesProcessor", "SUBSCRIPTIONS", "ZONE"]

ZONE = ZoneInfo("Europe/Paris")

SUBSCRIPTIONS = ("demande_enregistree.*", "demande_modifiee.*", "demande_rectifiee.*", "demande_renouvelee.*",
                 "demande_radiee.*", "demande_reactivee.*", "demande_supprimee.*", "label_prioritaire_pose.*",
                 "label_prioritaire_leve.*", "decision_dalo.*", "contingents_eligibles.*", "decision_cal.*",
                 "refus_demandeur.*", "bail_signe.*", "attribution_reportee.*", "cotation_calculee.*")

_CONTENT = {"demande_enregistree", "demande_modifiee", "demande_rectifiee", "demande_renouvelee"}
_OFFER = {TypeDecisionCal.ATTRIBUTION, TypeDecisionCal.ATTRIBUTION_SOUS_CONDITION}
REVIEW = "revue"


def _empty(numero_unique: str) -> tuple[EtatDemande, dict[str, Any]]:
    return EtatDemande(numero_unique), {"communes": [], "typologies": [], "score": None, "grille_version": None,
                                        "rangs": 0, "membres": {}}


def _first(current: date | None, day: date) -> date:
    return day if current is None or day < current else current


class ListesProcessor(Processor):
    name = "listes"
    version = "0.1.0"
    subscriptions = SUBSCRIPTIONS
    emits = ("liste_entree.*", "liste_sortie.*")
    settings_model = ListesSettings
    tables = tables.metadata
    projection_version = "1"

    @property
    def months(self) -> int:
        return self.settings.delai_anormalement_long_mois

    def process(self, event: Envelope[Any], ctx: ProcessContext) -> Iterator[ListeEntree | ListeSortie]:
        numero = event.data.numero_unique
        loaded = store.load(ctx.conn, numero)
        etat, extra = loaded or _empty(numero)
        others = self._apply(ctx, event, etat, extra)
        today = ctx.now.astimezone(ZONE).date()
        yield from self._membership(ctx, etat, extra, today)
        store.save(ctx.conn, etat, extra, loaded is not None)
        # a list change derived from a timer is answerable to the entity of the input that set it (the hub records
        # it with the timer), unless the device's manager is this processor's entity: see hub.ProcessContext.entity
        self._schedule_reviews(ctx, etat, today, {})
        for other in others:
            found = store.load(ctx.conn, other)
            if found is not None:
                yield from self._membership(ctx, *found, today)
                store.save(ctx.conn, *found, True)

    def on_timer(self, timer: Timer, ctx: ProcessContext) -> Iterator[ListeEntree | ListeSortie]:
        found = store.load(ctx.conn, timer.subject or "")
        if found is not None:
            today = ctx.now.astimezone(ZONE).date()
            yield from self._membership(ctx, *found, today)
            store.save(ctx.conn, *found, True)
            self._schedule_reviews(ctx, found[0], today, dict(timer.payload))

    # --- facts --------------------------------------------------------------------------------------------------
    def _apply(self, ctx: ProcessContext, event: Envelope[Any], etat: EtatDemande,
               extra: dict[str, Any]) -> list[str]:
        """Update the demand's facts (and the rankings, refusals, outcomes tables); return the other demands whose
        membership this event may change (households ranked on a dwelling that went to this one)."""
        name = event.type.rsplit(".", 1)[0]
        data = event.data
        conn = ctx.conn
        if name in _CONTENT and getattr(data, "demande", None) is not None:
            demande = data.demande
            etat.date_depot = demande.date_depot or demande.date_enregistrement or getattr(
                data, "date_enregistrement", None)
            etat.criteres = tuple(sorted(c.value for c in demande.priorite.criteres_l441_1))
            etat.dalo_declare = bool(demande.priorite.prioritaire_dalo)
            extra["communes"] = sorted(demande.souhaits.communes)
            extra["typologies"] = [t.value for t in demande.souhaits.typologies]
            if etat.statut == "inconnue":
                etat.statut = "active"
        elif name == "demande_radiee":
            etat.statut = "radiee"
        elif name == "demande_reactivee":
            if etat.statut == "radiee":
                etat.statut, etat.attribue = "active", False
        elif name == "demande_supprimee":
            etat.statut = "supprimee"
        elif name == "label_prioritaire_pose":
            key = (data.nature.value, data.emetteur.siren)
            etat.labels = tuple(sorted([lab for lab in etat.labels if lab[:2] != key]
                                       + [(*key, data.date_fin_validite)], key=lambda lab: lab[:2]))
        elif name == "label_prioritaire_leve":
            etat.labels = tuple(lab for lab in etat.labels if lab[:2] != (data.nature.value, data.emetteur.siren))
        elif name == "decision_dalo":
            etat.dalo = {**etat.dalo, data.numero_recours: data.decision.value}
        elif name == "contingents_eligibles":
            etat.contingents = tuple(c.value for c in data.contingents)
        elif name == "decision_cal":
            if data.decision in _OFFER or (data.decision is TypeDecisionCal.ATTRIBUTION_RANG and data.rang == 1):
                etat.offre_adaptee = _first(etat.offre_adaptee, data.date_commission)
            elif data.decision is TypeDecisionCal.ATTRIBUTION_RANG:
                conn.execute(tables.classements.insert().values(
                    numero_unique=etat.numero_unique, date_commission=data.date_commission.isoformat(),
                    rpls=data.rpls, commune=data.commune, rang=data.rang))
                extra["rangs"] += 1
        elif name == "refus_demandeur":
            conn.execute(tables.refus.insert().values(
                numero_unique=etat.numero_unique, date_refus=data.date_refus.isoformat(), rpls=data.rpls,
                commune=data.commune, motif=data.motif.value))
            if data.offre_adaptee:
                etat.offre_adaptee = _first(etat.offre_adaptee, data.date_refus)
        elif name in ("bail_signe", "attribution_reportee"):
            day = data.date_signature if name == "bail_signe" else data.date_attribution
            etat.attribue = True
            etat.offre_adaptee = _first(etat.offre_adaptee, day)
            conn.execute(tables.logements.insert().values(rpls=data.rpls, numero_unique=etat.numero_unique,
                                                          date=day.isoformat()))
            return [nu for nu in store.ranked_on(conn, data.rpls) if nu != etat.numero_unique]
        elif name == "cotation_calculee":
            extra["score"], extra["grille_version"] = str(data.score), data.grille_version
        return []

    # --- membership ---------------------------------------------------------------------------------------------
    def _membership(self, ctx: ProcessContext, etat: EtatDemande, extra: dict[str, Any],
                    today: date) -> Iterator[ListeEntree | ListeSortie]:
        """Evaluate the demand's lists on ``today``, record the difference (in ``extra["membres"]``, saved by the
        caller, and in the members table), announce entries and exits."""
        rangs = store.rangs_of(ctx.conn, etat.numero_unique) if extra["rangs"] and etat.ouverte else []
        issues = store.issues_for(ctx.conn, [r.rpls for r in rangs])
        now_in = evaluate(etat, today, self.months, rangs, issues)
        before = extra["membres"]
        communes = tuple(extra["communes"])
        for liste in LISTES:
            key = liste.value
            motifs, was = now_in.get(key), before.get(key)
            if motifs and was is None:
                depuis = self._entered_on(etat, liste, today)
                contingents = contingents_de(etat, motifs) if liste is ListeGestionPartagee.PRIORITAIRES else []
                before[key] = {"depuis": depuis.isoformat(), "motifs": motifs, "contingents": contingents}
                store.set_members(ctx.conn, etat.numero_unique, key, before[key], False)
                yield ListeEntree(numero_unique=etat.numero_unique, liste=liste, date_entree=depuis,
                                  motifs=tuple(motifs), contingents=tuple(contingents), communes_souhaitees=communes)
            elif motifs is None and was is not None:
                del before[key]
                store.set_members(ctx.conn, etat.numero_unique, key, None, True)
                yield ListeSortie(numero_unique=etat.numero_unique, liste=liste, date_sortie=today,
                                  motif=self._exit_motif(etat, liste), communes_souhaitees=communes)
            elif motifs:
                contingents = contingents_de(etat, motifs) if liste is ListeGestionPartagee.PRIORITAIRES else []
                if (was["motifs"], was.get("contingents", [])) == (motifs, contingents):
                    continue
                before[key] = {"depuis": was["depuis"], "motifs": motifs, "contingents": contingents}
                store.set_members(ctx.conn, etat.numero_unique, key, before[key], True)

    def _entered_on(self, etat: EtatDemande, liste: ListeGestionPartagee, today: date) -> date:
        """The délai list is entered on the day the threshold is reached (a rebuild finds the same day)."""
        if liste is ListeGestionPartagee.DELAI_DEPASSE:
            return delai_atteint_le(etat, self.months) or today
        return today

    @staticmethod
    def _exit_motif(etat: EtatDemande, liste: ListeGestionPartagee) -> MotifSortieListe:
        if etat.statut == "supprimee":
            return MotifSortieListe.SUPPRESSION
        if etat.statut == "radiee":
            return MotifSortieListe.RADIATION
        if etat.attribue:
            return MotifSortieListe.ATTRIBUTION
        if liste is ListeGestionPartagee.PRIORITAIRES:
            return MotifSortieListe.PLUS_PRIORITAIRE
        if liste is ListeGestionPartagee.DELAI_DEPASSE:
            return MotifSortieListe.OFFRE_ADAPTEE if etat.offre_adaptee else MotifSortieListe.DELAI_NON_ATTEINT
        return MotifSortieListe.ATTRIBUTION

    def _schedule_reviews(self, ctx: ProcessContext, etat: EtatDemande, today: date,
                          payload: dict[str, Any]) -> None:
        """A timer on each future day the demand's lists may change by time alone: the délai reached, a label's
        end of validity passed. Keys carry the day (a fired key is spent); setting one again moves nothing."""
        if not etat.ouverte:
            return
        days = set()
        atteint = delai_atteint_le(etat, self.months)
        if atteint is not None and atteint > today and etat.offre_adaptee is None:
            days.add(atteint)
        days |= {date.fromordinal(fin.toordinal() + 1) for _n, _s, fin in etat.labels if fin is not None and fin >= today}
        for day in sorted(days):
            ctx.schedule(f"{REVIEW}:{etat.numero_unique}:{day.isoformat()}", datetime.combine(day, time(0, 30), ZONE),
                         payload, subject=etat.numero_unique)
