"""The ``cotation`` processor: keeps each demand's scoring facts and emits ``cotation_calculee`` when its score
changes — on an event that changes an input, on its monthly seniority timer, and when a new grid version takes
effect (a timer at its effective date, or ``relais cotation recompute``).

Why "only when it changes": partners receive every ``cotation_calculee``; a landlord's software re-ranking its
candidates on each one must not be flooded with identical scores. "Changed" means another grid version, another
total, or another criterion's points (:func:`fingerprint`); the computation date alone is no change.

The score is computed on the hub's clock (``ctx.now``, the territory's day): the date a score carries is the day
it was computed, as the desk reads it. During a rebuild nothing is scored (derived events are ignored then): the
facts are replayed, the last emitted scores are kept (see :mod:`plugins.cotation.tables`).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from contracts import Envelope
from contracts.events import CotationCalculee
from hub import ProcessContext, Processor, Timer
from plugins.cotation import inputs, tables
from plugins.cotation.engine import Cotation, score
from plugins.cotation.grid import Grid, NoGridInEffect, grid_in_effect, load_grids
from plugins.cotation.settings import CotationSettings

__all__ = ["CotationProcessor", "fingerprint", "next_month_anniversary", "ZONE", "territory_day", "open_demands",
           "last_score", "demand_status", "fingerprints", "RECOMPUTE"]

log = structlog.get_logger(__name__)

#: The territory's civil time: a score is computed for a day there.
ZONE = ZoneInfo("Europe/Paris")

SENIORITY = "anciennete"      # timer key prefix: the monthly seniority recomputation of one demand
RECOMPUTE = "recalcul"        # one demand recomputed (a new grid version, or `relais cotation recompute`)
GRID = "grille"               # a grid version takes effect: every open demand is recomputed


# Built once: a recomputation handles every open demand, and building a statement costs more than running it.
_LOAD = select(tables.faits).where(tables.faits.c.numero_unique == bindparam("nu"))
_UPDATE = tables.faits.update().where(tables.faits.c.numero_unique == bindparam("nu"))
_LAST = select(tables.scores.c.empreinte).where(tables.scores.c.numero_unique == bindparam("nu"))
_UPDATE_SCORE = tables.scores.update().where(tables.scores.c.numero_unique == bindparam("nu"))


def territory_day(instant: datetime) -> date:
    return instant.astimezone(ZONE).date()


def fingerprint(cotation: Cotation) -> str:
    """What must differ for a score to count as changed: grid version, total, each criterion's points."""
    return json.dumps([cotation.grille_version, str(cotation.total),
                       [[line.critere, str(line.points)] for line in cotation.lignes]])


def next_month_anniversary(depot: date, after: date) -> date:
    """The first day after ``after`` on which one more month of seniority is complete (see ``complete_months``:
    the same day of the month, or the month's last day when it is shorter)."""
    year, month = after.year, after.month
    for _ in range(2):
        day = min(depot.day, calendar.monthrange(year, month)[1])
        candidate = date(year, month, day)
        if candidate > after and candidate > depot:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = min(depot.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


class CotationProcessor(Processor):
    name = "cotation"
    version = "0.1.0"
    subscriptions = inputs.SUBSCRIPTIONS
    emits = ("cotation_calculee.*",)
    settings_model = CotationSettings
    tables = tables.metadata
    projection_version = "1"

    def __init__(self, settings: CotationSettings, context: Any):
        super().__init__(settings, context)
        self.grids: tuple[Grid, ...] = load_grids(settings.grids)
        ids = {g.id for g in self.grids}
        if settings.grid_id is None and len(ids) > 1:
            raise ValueError(f"[connectors.cotation] grids: files of several territories ({', '.join(sorted(ids))});"
                             " set grid_id to the one to score with")
        self.grids = tuple(g for g in self.grids if settings.grid_id in (None, g.id))
        if not self.grids:
            raise ValueError(f"[connectors.cotation] grid_id: no grid file holds {settings.grid_id!r}")

    # --- the projection -------------------------------------------------------------------------------------------
    def reset_projection(self, conn: Connection) -> None:
        """Only the facts are rebuilt: the last emitted scores are what was derived, kept (see tables.py)."""
        conn.execute(tables.faits.delete())

    def _load(self, conn: Connection, numero_unique: str) -> dict[str, Any] | None:
        row = conn.execute(_LOAD, {"nu": numero_unique}).first()
        return dict(row._mapping) if row is not None else None

    def _save(self, conn: Connection, state: dict[str, Any], existed: bool) -> None:
        if existed:
            conn.execute(_UPDATE, {"nu": state["numero_unique"], **{k: v for k, v in state.items()
                                                                    if k != "numero_unique"}})
        else:
            conn.execute(tables.faits.insert(), state)

    # --- handling -------------------------------------------------------------------------------------------------
    def process(self, event: Envelope[Any], ctx: ProcessContext) -> Iterator[CotationCalculee]:
        numero = event.data.numero_unique
        before = self._load(ctx.conn, numero)
        state = inputs.apply(before or inputs.new_state(numero), event)
        if ctx.replaying:
            self._save(ctx.conn, state, before is not None)
            return
        self._schedule_grid_versions(ctx)
        yield from self._rescore(ctx, state, before is not None)

    def on_timer(self, timer: Timer, ctx: ProcessContext) -> Iterator[CotationCalculee]:
        if timer.key.startswith(GRID + ":"):
            self._recompute_all(ctx, timer.payload["grille"])
            return
        state = self._load(ctx.conn, timer.subject or "")
        if state is None:
            return
        if timer.key == state["timer"]:
            state["timer"] = None       # spent: a timer fires once
        yield from self._rescore(ctx, state, True)

    def _rescore(self, ctx: ProcessContext, state: dict[str, Any], existed: bool) -> Iterator[CotationCalculee]:
        """Score the demand on the territory's day, emit when changed, and keep its seniority timer set (or
        cancel it when the demand is no longer scored)."""
        facts = inputs.facts_of(state)
        day = territory_day(ctx.now)
        if facts is None:
            if state["timer"]:
                ctx.cancel(state["timer"])
                state["timer"] = None
            self._save(ctx.conn, state, existed)
            return
        self._keep_seniority_timer(ctx, state, facts.date_depot, day)
        self._save(ctx.conn, state, existed)
        try:
            grid = grid_in_effect(self.grids, day)
        except NoGridInEffect:
            log.info("cotation_no_grid_in_effect", day=day.isoformat())
            return
        cotation = score(facts, grid, day)
        current = fingerprint(cotation)
        last = ctx.conn.execute(_LAST, {"nu": state["numero_unique"]}).first()
        if last is not None and last.empreinte == current:
            return
        payload = cotation.to_event(state["numero_unique"])
        values = {"empreinte": current, "score": str(cotation.total), "grille_version": cotation.grille_version,
                  "date_calcul": day.isoformat(), "payload": payload.model_dump_json()}
        if last is None:
            ctx.conn.execute(tables.scores.insert(), {"numero_unique": state["numero_unique"], **values})
        else:
            ctx.conn.execute(_UPDATE_SCORE, {"nu": state["numero_unique"], **values})
        yield payload

    def _keep_seniority_timer(self, ctx: ProcessContext, state: dict[str, Any], depot: date | None,
                              day: date) -> None:
        """One pending timer per open demand, at its next complete month. Keys carry the due day: a fired key is
        spent, so next month's timer needs a key of its own."""
        if depot is None:
            return
        due = next_month_anniversary(depot, day)
        key = f"{SENIORITY}:{state['numero_unique']}:{due.isoformat()}"
        if key == state["timer"]:
            return
        if state["timer"]:
            ctx.cancel(state["timer"])
        ctx.schedule(key, datetime.combine(due, time(0, 30), ZONE), {}, subject=state["numero_unique"],
                     entity=self._timer_entity(state))
        state["timer"] = key

    @staticmethod
    def _timer_entity(state: dict[str, Any]) -> dict[str, Any] | None:
        # a score derived from a timer is answerable to the entity of the demand's last input, unless the device's
        # manager is configured as the processor's entity (see hub.ProcessContext.entity)
        return json.loads(state["entite"]) if state["entite"] else None

    def _schedule_grid_versions(self, ctx: ProcessContext) -> None:
        """A version taking effect later gets a timer at its first instant (setting it again is harmless: the same
        key moves nothing, and a fired key is spent)."""
        today = territory_day(ctx.now)
        for grid in self.grids:
            if grid.effective_from > today:
                ctx.schedule(f"{GRID}:{grid.reference}", datetime.combine(grid.effective_from, time(0, 0), ZONE),
                             {"grille": grid.reference}, subject=None)

    def _recompute_all(self, ctx: ProcessContext, reference: str) -> None:
        """A grid version takes effect: one recompute timer per open demand, due now — fired in batches by the hub,
        each demand in its own handling."""
        t = tables.faits
        for numero, entite in ctx.conn.execute(select(t.c.numero_unique, t.c.entite)
                                               .where(t.c.statut == inputs.ACTIVE).order_by(t.c.numero_unique)):
            ctx.schedule(f"{RECOMPUTE}:{reference}:{numero}", ctx.now, {}, subject=numero,
                         entity=json.loads(entite) if entite else None)
        log.info("cotation_grid_took_effect", grille=reference)


def open_demands(conn: Connection) -> list[tuple[str, str | None]]:
    """(numéro unique, entity JSON) of every demand currently scored, for ``relais cotation recompute``."""
    t = tables.faits
    return [(r.numero_unique, r.entite) for r in conn.execute(
        select(t.c.numero_unique, t.c.entite).where(t.c.statut == inputs.ACTIVE).order_by(t.c.numero_unique))]


def last_score(conn: Connection, numero_unique: str) -> CotationCalculee | None:
    row = conn.execute(select(tables.scores.c.payload).where(tables.scores.c.numero_unique == numero_unique)).first()
    return CotationCalculee.model_validate_json(row.payload) if row is not None else None


def fingerprints(conn: Connection) -> dict[str, str]:
    """Numéro unique → fingerprint of its last emitted score (``recompute`` counts what changed)."""
    return {r.numero_unique: r.empreinte for r in conn.execute(
        select(tables.scores.c.numero_unique, tables.scores.c.empreinte))}


def demand_status(conn: Connection, numero_unique: str) -> str | None:
    row = conn.execute(select(tables.faits.c.statut).where(tables.faits.c.numero_unique == numero_unique)).first()
    return row.statut if row is not None else None
