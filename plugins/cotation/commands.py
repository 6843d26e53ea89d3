"""``relais cotation explain`` and ``relais cotation recompute``.

``explain`` prints the last score emitted for a demand as a registration desk reads it (French). ``recompute`` asks
the processor to recompute every open demand (after a grid file was changed or added): one timer per demand, due
now, fired through ``Hub.tick`` — each demand in its own handling, and only a changed score emits an event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import click

from hub import OperatorError, command_hub
from plugins.cotation.explain import cotation_from_event, explain
from plugins.cotation.processor import RECOMPUTE, demand_status, fingerprints, last_score, open_demands

__all__ = ["cotation", "recompute_all", "ROUND"]

#: Demands whose timers are set, then fired, per round: the progress line moves every round.
ROUND = 1000

_STATUS = {"radiee": "la demande est radiée : elle n'est plus cotée",
           "supprimee": "la demande est supprimée (données effacées) : elle n'est plus cotée",
           "inconnue": "le hub n'a pas reçu le contenu de la demande : elle n'est pas encore cotée"}


def _processor(hub):
    processor = hub.connectors.get("cotation")
    if processor is None:
        raise OperatorError("the cotation processor is not enabled ([connectors.cotation] enabled = true)", 2)
    return processor


@click.group()
def cotation() -> None:
    """The cotation (scoring) of demands: a score explained, every open demand recomputed."""


@cotation.command("explain")
@click.argument("numero_unique")
def explain_command(numero_unique: str) -> None:
    """The demand's last score, criterion by criterion, in French (as the desk reads it to the applicant)."""
    with command_hub() as hub:
        processor = _processor(hub)
        with processor.context.read() as conn:
            event = last_score(conn, numero_unique)
            status = demand_status(conn, numero_unique)
        grids = processor.grids
    if event is None:
        if status in _STATUS:
            raise OperatorError(f"no score for {numero_unique}: {_STATUS[status]}", 1)
        raise OperatorError(f"no score for {numero_unique}: the hub has journaled no demand with this number "
                            "(or `relais run` has not processed it yet)", 1)
    try:
        cotation_ = cotation_from_event(event, grids)
    except LookupError as exc:
        raise OperatorError(f"{exc}; add its file to [connectors.cotation] grids", 1) from None
    click.echo(explain(cotation_, numero_unique))
    if status in _STATUS:
        click.echo(f"  ({_STATUS[status]} ; dernier score calculé ci-dessus)")


def recompute_all(hub, now: datetime, on_round: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Recompute every open demand's score at ``now`` through the processor's timers: (demands, scores changed).

    Why timers rather than a loop here: each demand is then handled like any other input of the processor — in
    its own transaction with what it derives, retried on failure, never twice (a fired key is spent). Rounds of
    ``ROUND`` demands keep the timers table small and let ``on_round(done, total)`` report progress."""
    processor = _processor(hub)
    with processor.context.read() as conn:
        demands = open_demands(conn)
        before = fingerprints(conn)
    run = f"{RECOMPUTE}:{now.isoformat()}"      # a fired timer key is spent: each run has keys of its own
    done = 0
    for start in range(0, len(demands), ROUND):
        chunk = demands[start:start + ROUND]
        hub.schedule_timers("cotation", [(f"{run}:{numero}", numero, now, {},
                                          json.loads(entite) if entite else None)
                                         for numero, entite in chunk])
        hub.tick(now)
        done += len(chunk)
        if on_round is not None:
            on_round(done, len(demands))
    with processor.context.read() as conn:
        after = fingerprints(conn)
    return len(demands), sum(1 for numero, value in after.items() if before.get(numero) != value)


@cotation.command("recompute")
@click.option("--progress/--no-progress", default=True, help="A line per round on standard error.")
def recompute_command(progress: bool) -> None:
    """Recompute every open demand's score now (after a grid change); only a changed score emits an event."""
    def report(done: int, total: int) -> None:
        if progress:
            click.echo(f"relais: cotation recompute: {done}/{total} demande(s)", err=True)

    with command_hub() as hub:
        total, changed = recompute_all(hub, hub.clock(), report)
    click.echo(f"relais: {total} open demand(s) recomputed, {changed} score(s) changed and emitted")
