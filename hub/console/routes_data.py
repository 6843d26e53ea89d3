"""The pages of the shared device's data: Dossier (a demand by numéro unique), Listes (the three lists, CSV export)
and Statistiques (the annual figures and a chart), each filtered by the person's partner's access rules and audited.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.console import sources
from hub.console.svg import bar_chart
from hub.console.web import ConsoleError, render, signed_in

__all__ = ["NUMERO_UNIQUE", "router"]

router = APIRouter()
ZONE = ZoneInfo("Europe/Paris")
NUMERO_UNIQUE = re.compile(r"^[0-9]{2}[0-9AB](0[1-9]|1[0-2])[0-9]{2}[0-9A-Z]{11}$")
#: the lists' columns as the page heads them
HEADERS = {"numero_unique": "Numéro unique", "depuis": "Sur la liste depuis", "motifs": "Motifs",
           "contingents": "Contingents", "communes_souhaitees": "Communes souhaitées", "typologies": "Typologies",
           "score": "Cotation", "date_depot": "Dépôt", "mois_attente": "Mois d'attente",
           "classements": "Classements", "refus": "Refus"}
_INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


def _numero(value: str) -> str:
    value = value.strip().upper()
    if not NUMERO_UNIQUE.match(value):
        raise ConsoleError(422, f"Champ « numéro unique » : « {value[:40]} » n'est pas un numéro unique (18 "
                                "caractères : département, mois, année, puis 11 chiffres ou lettres, par exemple "
                                "0630323000123G6301).")
    return value


@router.get("/dossier", response_class=HTMLResponse)
def dossier_search(request: Request, numero: str = Query("", max_length=64)) -> Response:
    signed_in(request)
    if numero:
        return RedirectResponse(f"/console/dossier/{_numero(numero)}", status_code=303)
    return render(request, "dossier.html", dossier=None)


@router.get("/dossier/{numero_unique}", response_class=HTMLResponse)
def dossier_page(request: Request, numero_unique: str) -> HTMLResponse:
    _person, scope = signed_in(request)
    hub = request.app.state.hub
    numero_unique = _numero(numero_unique)
    found = sources.dossier(hub, numero_unique)
    if found is None:
        scope.audit("dossier", numero_unique, outcome="not_found")
        raise ConsoleError(404, f"Aucun dossier {numero_unique} : le hub n'a reçu aucun événement de cette "
                                "demande.")
    etat = found.get("etat") or {}
    wished = ((etat.get("demande") or {}).get("souhaits") or {}).get("communes") or []
    scope.check_demand(numero_unique, wished, "dossier")
    return render(request, "dossier.html", dossier=found, etat=etat,
                  explication=sources.cotation_explained(hub, numero_unique),
                  echeances=sources.echeances(hub, numero_unique))


def _communes(value: str) -> set[str] | None:
    codes = {c.strip().upper() for c in value.split(",") if c.strip()}
    bad = sorted(c for c in codes if not _INSEE.match(c))
    if bad:
        raise ConsoleError(422, f"Champ « communes » : {', '.join(b[:10] for b in bad)} — donnez des codes INSEE de "
                                "5 caractères séparés par des virgules (par exemple 63430,63125).")
    return codes or None


def _liste(name: str) -> str:
    if name not in sources.LISTES:
        raise ConsoleError(422, f"Champ « liste » : « {name[:30]} » n'est pas une liste ; choisissez parmi "
                                f"{', '.join(sources.LISTES)}.")
    return name


@router.get("/listes", response_class=HTMLResponse)
def listes(request: Request, liste: str = Query("prioritaires", max_length=40),
                 communes: str = Query("", max_length=400)) -> HTMLResponse:
    _person, scope = signed_in(request)
    hub = request.app.state.hub
    name, codes = _liste(liste), _communes(communes)
    found = sources.liste_rows(hub, name, communes=codes, may_read=scope.may_read(),
                               today=hub.clock().astimezone(ZONE).date())
    if found is None:
        raise ConsoleError(503, "Le processeur des listes n'est pas activé ([connectors.listes] enabled = true).")
    scope.audit(f"listes view {name}", f"partner:{scope.partner.id}",
                reason=f"rows={len(found)} communes={','.join(sorted(codes)) if codes else 'all'}")
    return render(request, "listes.html", listes=sources.LISTES, liste=name, communes=communes, rows=found,
                  columns=sources.COLUMNS[name], entetes=HEADERS)


@router.get("/listes/{liste}.csv")
def liste_csv(request: Request, liste: str, communes: str = Query("", max_length=400)) -> Response:
    _person, scope = signed_in(request)
    hub = request.app.state.hub
    name, codes = _liste(liste), _communes(communes)
    today = hub.clock().astimezone(ZONE).date()
    found = sources.liste_rows(hub, name, communes=codes, may_read=scope.may_read(), today=today)
    if found is None:
        raise ConsoleError(503, "Le processeur des listes n'est pas activé ([connectors.listes] enabled = true).")
    # the same audit row as `relais listes export --partner`: who, for whom, how many rows, which filters
    scope.audit(f"listes export {name}", f"partner:{scope.partner.id}",
                reason=f"rows={len(found)} format=csv communes={','.join(sorted(codes)) if codes else 'all'} "
                       f"role={scope.partner.role.value}")
    return Response(sources.liste_csv(name, found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{today.isoformat()}.csv"'})


def _year(request: Request, annee: int | None) -> int:
    return annee if annee is not None else request.app.state.hub.clock().astimezone(ZONE).year


def waiting_chart(figures: dict) -> str:
    cells = figures["par_commune_typologie"]
    communes = sorted({c["commune"] for c in cells})
    typologies = list(dict.fromkeys(c["typologie"] for c in cells))
    series = [(typ, [next((c["delai_attente_theorique_mois"] for c in cells if c["commune"] == commune and
                           c["typologie"] == typ), None) for commune in communes]) for typ in typologies]
    return bar_chart(f"Délai d'attente théorique (mois) — {figures['annee']}", communes, series, unit=" mois")


@router.get("/statistiques", response_class=HTMLResponse)
def statistiques(request: Request, annee: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    signed_in(request)
    year = _year(request, annee)
    figures = sources.statistics(request.app.state.hub, year)
    if figures is None:
        raise ConsoleError(503, "Le processeur des statistiques n'est pas activé ([connectors.statistiques] "
                                "enabled = true).")
    return render(request, "statistiques.html", annee=year, figures=figures,
                  tables=sources.statistics_tables(figures), chart=waiting_chart(figures))


@router.get("/public/attente", response_class=HTMLResponse)
def attente(request: Request, annee: int | None = Query(None, ge=2000, le=2100),
                  commune: str = Query("", max_length=10), typologie: str = Query("", max_length=10)) -> HTMLResponse:
    """Public (no sign-in): the theoretical waiting time by commune and typology, under statistical secrecy."""
    request.state.person = None
    year = _year(request, annee)
    current = _year(request, None)
    if year > current:
        # year N counts the attributions of N-1: a later year would publish this year's, day by day, and two days
        # compared would tell which household was housed where (statistical secrecy holds for closed years only)
        raise ConsoleError(422, f"Champ « annee » : {year} n'est pas encore publiable ; choisissez {current} ou "
                                "une année antérieure.")
    if commune and not _INSEE.match(commune):
        raise ConsoleError(422, f"Champ « commune » : « {commune} » n'est pas un code INSEE (5 caractères, par "
                                "exemple 63430).")
    figures = sources.statistics(request.app.state.hub, year)
    if figures is None:
        raise ConsoleError(503, "Les délais d'attente ne sont pas publiés sur ce hub (processeur statistiques "
                                "non activé).")
    cells = [c for c in figures["par_commune_typologie"] if (not commune or c["commune"] == commune)
             and (not typologie or c["typologie"] == typologie)]
    return render(request, "attente.html", annee=year, figures=figures, cells=cells, commune=commune,
                  typologie=typologie, chart=waiting_chart(figures), public=True,
                  typologies=sorted({c["typologie"] for c in figures["par_commune_typologie"]}),
                  communes=sorted({c["commune"] for c in figures["par_commune_typologie"]}))
