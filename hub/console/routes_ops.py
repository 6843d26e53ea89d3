"""The operations pages: Flux (where events are, per connector, with the rates and the last errors) and Lettres
mortes (list, detail, reveal with a reason, retry, retry with a corrected file, discard).

The dead-letter actions go through :class:`hub.core.deadletters.DeadLetterOps` — the code ``relais dead retry`` and
``relais dead discard`` run — and are for operators only; revealing personal values needs a reason, audited
(``reveal``) before the values are shown, like ``relais dead show --reveal --reason``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.console.flows import STATUS_LABELS, flow_report, health
from hub.console.svg import bar_chart
from hub.console.web import ConsoleError, check_csrf, render, signed_in
from hub.core.audit import AuditKind
from hub.core.deadletters import DeadLetterOps
from hub.core.journal import utcnow

__all__ = ["router"]

router = APIRouter()


@router.get("/flux", response_class=HTMLResponse)
def flux(request: Request) -> HTMLResponse:
    _person, scope = signed_in(request)
    hub = request.app.state.hub
    names = scope.connectors(sorted(hub.connectors))
    # the journal stamps receptions and deliveries with the wall clock (not the processors' clock): so do the rates
    report = flow_report(hub, names, utcnow())
    chart = bar_chart("Événements par heure, dernières 24 heures", report.hours,
                      [("reçus", report.received_per_hour), ("livrés", report.delivered_per_hour)])
    statuses = [s for s in STATUS_LABELS if any(s in report.counts.get(n, {}) for n in names)]
    return render(request, "flux.html", report=report, chart=chart, statuses=statuses, labels=STATUS_LABELS,
                  health=health(hub), device_wide=scope.device_wide, partner=scope.partner)


def _day(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        raise ConsoleError(422, f"Champ « {field} » : « {value[:20]} » n'est pas une date (format AAAA-MM-JJ, "
                                "par exemple 2026-03-01).") from None


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """The row without its bytes (a household's values), problems and attempts decoded."""
    out = {k: v for k, v in row.items() if k != "payload"}
    for key in ("problems", "attempts"):
        if out.get(key):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                out[key] = [{"error": out[key]}]
    out["payload_bytes"] = len(row["payload"]) if row.get("payload") is not None else 0
    return out


@router.get("/lettres", response_class=HTMLResponse)
def lettres(request: Request, connecteur: str = Query("", max_length=64),
                  sens: str = Query("", pattern="^(|inbound|outbound)$"),
                  statut: str = Query("open", pattern="^(open|retried|discarded|any)$"),
                  depuis: str = Query("", max_length=10), jusqu: str = Query("", max_length=10)) -> HTMLResponse:
    _person, scope = signed_in(request)
    hub = request.app.state.hub
    rows = hub.journal.dead_letters(status=None if statut == "any" else statut, connector=connecteur or None,
                                    direction=sens or None, since=_day(depuis, "depuis"),
                                    until=_day(jusqu, "jusqu'au"), limit=2000)
    shown = [_public(r) for r in rows if scope.sees_dead_letter(r)][-200:]
    scope.audit("dead list", connecteur or None, reason=f"rows={len(shown)}")
    return render(request, "lettres.html", rows=shown, connectors=scope.connectors(sorted(hub.connectors)),
                  filters={"connecteur": connecteur, "sens": sens, "statut": statut, "depuis": depuis,
                           "jusqu": jusqu})


def _dead_letter(request: Request, scope: Any, dead_id: int, action: str) -> dict[str, Any]:
    rows = request.app.state.hub.journal.dead_letters(status=None, ids=[dead_id])
    if not rows:
        raise ConsoleError(404, f"Aucune lettre morte n° {dead_id}.")
    if not scope.sees_dead_letter(rows[0]):
        scope.audit(action, f"dead letter #{dead_id}", outcome="denied", reason="not the partner's")
        raise ConsoleError(403, f"La lettre morte n° {dead_id} ne concerne pas votre organisme. La tentative est "
                                "enregistrée dans le journal d'audit.")
    return rows[0]


@router.get("/lettres/{dead_id}", response_class=HTMLResponse)
def lettre(request: Request, dead_id: int) -> HTMLResponse:
    _person, scope = signed_in(request)
    row = _dead_letter(request, scope, dead_id, "dead show")
    scope.audit("dead show", f"dead letter #{dead_id}")
    return render(request, "lettre.html", row=_public(row), revealed=None, message=request.query_params.get("m"))


@router.post("/lettres/{dead_id}/reveler", response_class=HTMLResponse)
async def reveler(request: Request, dead_id: int) -> HTMLResponse:
    person, scope = signed_in(request)
    form = await check_csrf(request, person)
    scope.require_operator("dead show --reveal", f"dead letter #{dead_id}")
    row = _dead_letter(request, scope, dead_id, "dead show --reveal")
    reason = str(form.get("motif", "")).strip()[:500]
    if not reason:
        return render(request, "lettre.html", status=422, row=_public(row), revealed=None,
                      error="Champ « motif » : dites pourquoi vous avez besoin des valeurs personnelles (le motif "
                            "est conservé dans le journal d'audit).")
    scope.audit("dead show --reveal", f"dead letter #{dead_id}", reason=reason, kind=AuditKind.REVEAL)
    payload = row["payload"].decode("utf-8", errors="replace") if row["payload"] is not None else ""
    return render(request, "lettre.html", row=_public(row), revealed=payload)


async def _upload(form: dict[str, Any], limit: int) -> bytes | None:
    upload = form.get("fichier")
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ConsoleError(413, f"Champ « fichier » : plus de {limit} octets (limite connectors.NAME."
                                "max_message_bytes) ; envoyez un fichier plus petit.")
    if not data:
        raise ConsoleError(422, "Champ « fichier » : le fichier est vide ; choisissez le fichier corrigé.")
    return data


@router.post("/lettres/{dead_id}/reessayer")
async def reessayer(request: Request, dead_id: int) -> Response:
    person, scope = signed_in(request)
    largest = max((getattr(c.settings, "max_message_bytes", 0) or 0 for c in request.app.state.hub.connectors.values()),
                  default=0) or 10_000_000
    form = await check_csrf(request, person, upload_bytes=largest)
    scope.require_operator("dead retry", f"dead letter #{dead_id}")
    hub = request.app.state.hub
    row = _dead_letter(request, scope, dead_id, "dead retry")
    conn = hub.connectors.get(row["connector"])
    replacement = await _upload(form, conn.settings.max_message_bytes if conn else 10_000_000)
    if replacement is not None and row["direction"] != "inbound":
        raise ConsoleError(422, "Champ « fichier » : un fichier corrigé ne remplace que les octets d'une lettre "
                                "morte entrante ; une livraison sortante se relance sans fichier.")
    scope.audit("dead retry" + (" --with-file" if replacement else ""), f"dead letter #{dead_id}",
                kind=AuditKind.ADMIN)
    outcome = await run_in_threadpool(DeadLetterOps(hub).retry, [row], replacement)
    if outcome.still_failing or outcome.skipped:
        why = "; ".join(reason for _, reason in outcome.still_failing + outcome.skipped)
        return render(request, "lettre.html", status=422, row=_public(row), revealed=None,
                      error=f"Nouvel essai sans succès : {why[:1000]}")
    return RedirectResponse(f"/console/lettres/{dead_id}?m=relancee", status_code=303)


@router.post("/lettres/{dead_id}/abandonner")
async def abandonner(request: Request, dead_id: int) -> RedirectResponse:
    person, scope = signed_in(request)
    await check_csrf(request, person)
    scope.require_operator("dead discard", f"dead letter #{dead_id}")
    hub = request.app.state.hub
    row = _dead_letter(request, scope, dead_id, "dead discard")
    scope.audit("dead discard", f"dead letter #{dead_id}", kind=AuditKind.ADMIN)
    done = await run_in_threadpool(DeadLetterOps(hub).discard, [row])
    return RedirectResponse(f"/console/lettres/{dead_id}?m={'abandonnee' if done else 'ignoree'}", status_code=303)
