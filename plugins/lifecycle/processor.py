"""The ``echeances`` processor: the demand's clock — renewal notice, radiations, reactivation, purge.

What it listens to and what it does (durations from the territory's profile, :mod:`plugins.lifecycle.profile`):

* ``demande_enregistree``: the year starts (``date_reference``); a desk that registered a complete file later than
  the deadline after filing is flagged (``enregistrement_tardif``); the cycle's timers are set.
* a cycle: a timer on the day the renewal notice falls due (1 month before the anniversary, 2 with e-mail consent)
  derives ``avis_renouvellement_du`` and adds the notice to the day's list (table ``echeances_avis``); a timer on the
  radiation day derives ``demande_radiee`` (motif e, non-renouvellement).
* the day's list: the first notice of a day sets a timer at the end of that day (after every notice due that day,
  timers firing in due order); it derives one ``avis_renouvellement_liste`` carrying the notices put on that day's
  list — the daily transmission to the GIP SNE (the SNE connector writes it as a file). A notice that falls due
  after its day's list went (a late registration) rides the next day's; notices from before the lists (an upgraded
  journal) ride none.
* ``demande_renouvelee``: an active demand starts a new year (its pending radiation is cancelled); a demand radiated
  for non-renewal and still reactivable is reactivated — ``demande_reactivee``, same numéro unique, seniority kept.
* ``mise_en_demeure_envoyee``: radiation for no reply (motif c) or for irrecevabilité (motif d, its sub-motif)
  after the profile's delay; a ``demande_modifiee`` or ``demande_renouvelee`` before it (a sign of life) cancels a
  no-reply radiation.
* any radiation (its own or a partner's, whatever the motif): the purge is set one year later; when it fires the
  hub deletes the demand's personal data everywhere (``ctx.purge``) and this derives ``demande_supprimee``.

Its state changes when its own timers fire, and it records its own decisions in ``applied`` with the same handlers
that apply a partner's radiation (live, where they already ran, this is a no-op; on a rebuild it is how its own
radiations, notices and reactivations come back).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import structlog
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from contracts import Envelope, EventData
from contracts.enums import CanalNotification, MotifRadiation, MotifSuppression
from contracts.events import (
    AvisListe, AvisRenouvellementDu, AvisRenouvellementListe, DemandeEnregistree, DemandeModifiee, DemandeRadiee, DemandeReactivee, DemandeRectifiee,
    DemandeRenouvelee, DemandeSupprimee, MiseEnDemeureEnvoyee,
)
from hub import ConnectorSettings, ProcessContext, Processor, Timer
from plugins.lifecycle import tables
from plugins.lifecycle.dates import add_months
from plugins.lifecycle.profile import Profil, bundled_profile, load_profile

__all__ = ["Echeances", "EcheancesSettings"]

log = structlog.get_logger(__name__)



class EcheancesSettings(ConnectorSettings):
    profil: str = Field(default="puy-de-dome", description="Bundled profile of durations: puy-de-dome (the seed's "
                        "rules, default) or national (arrêté of 23 March 2015).")
    profil_fichier: Path | None = Field(default=None, description="A territory's own profile (TOML, same keys as "
                                        "plugins/lifecycle/profils/*.toml), instead of a bundled one.")
    radie: bool = Field(default=True, description="The hub radiates at the deadlines (non-renewal, no reply, "
                        "irrecevabilité). False when the system of record radiates itself and reports it: the hub "
                        "then only keeps the deadlines, the notices due and the purge.")


#: Key prefix of the timer of a day's list of notices (``liste_avis:YYYY-MM-DD``); its subject names no demand.
LIST_TIMER = "liste_avis:"


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Echeances(Processor):
    name = "echeances"
    version = "0.1.0"
    subscriptions = ("demande_enregistree.*", "demande_renouvelee.*", "demande_modifiee.*", "demande_rectifiee.*",
                     "mise_en_demeure_envoyee.*", "demande_radiee.*", "demande_reactivee.*",
                     "demande_supprimee.*", "avis_renouvellement_du.*")
    emits = ("avis_renouvellement_du.*", "avis_renouvellement_liste.*", "demande_radiee.*", "demande_reactivee.*",
             "demande_supprimee.*")
    settings_model = EcheancesSettings
    tables = tables.metadata
    projection_version = "2"     # 2: the daily lists (echeances_listes, echeances_avis.liste)

    def __init__(self, settings: EcheancesSettings, context: Any):
        super().__init__(settings, context)
        # loaded here so that a wrong profile stops the hub at start, with its line and key, not at the first event
        self.profile: Profil = (load_profile(settings.profil_fichier) if settings.profil_fichier
                                else bundled_profile(settings.profil))

    def echeances(self, conn: Connection, numero_unique: str) -> dict[str, Any] | None:
        """One demand's clock as the projection holds it (None: unknown); for ``relais`` commands and routes."""
        return self._row(conn, numero_unique)

    # --- reading and writing a demand's row ------------------------------------------------------------------------
    def _row(self, conn: Connection, nu: str) -> dict[str, Any] | None:
        row = conn.execute(select(tables.demandes).where(tables.demandes.c.numero_unique == nu)).first()
        return dict(row._mapping) if row is not None else None

    def _save(self, conn: Connection, nu: str, values: dict[str, Any], existed: bool) -> None:
        values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
        if existed:
            conn.execute(tables.demandes.update().where(tables.demandes.c.numero_unique == nu).values(**values))
        else:
            base = {"statut": "active", "enregistrement_tardif": False, "courriel": False}
            conn.execute(tables.demandes.insert().values(numero_unique=nu, **(base | values)))

    def _schedule(self, ctx: ProcessContext, key: str, day: date, payload: dict[str, Any]) -> None:
        """A deadline about the demand ``key`` names. What the timer derives is answerable to the configured entity
        (the device's manager, ``[connectors.echeances] entity``), else to the entity behind the event that set the
        deadline (the hub records it with the timer)."""
        ctx.schedule(key, day, payload, subject=key.split(":")[1])

    # --- the renewal cycle -----------------------------------------------------------------------------------------
    def _plan_cycle(self, ctx: ProcessContext, nu: str, reference: date, courriel: bool) -> dict[str, Any]:
        """Set the notice and radiation timers of the year starting at ``reference``; returns the row's dates."""
        r = self.profile.renouvellement
        anniversaire = add_months(reference, r.validite_mois)
        avis = add_months(anniversaire, -(r.preavis_courriel_mois if courriel else r.preavis_courrier_mois))
        radiation = add_months(anniversaire, r.radiation_apres_anniversaire_mois)
        canal = CanalNotification.COURRIEL if courriel else CanalNotification.COURRIER
        self._schedule(ctx, f"avis:{nu}:{anniversaire}", avis, {"anniversaire": anniversaire.isoformat(),
                                                          "radiation": radiation.isoformat(), "canal": canal.value})
        self._schedule(ctx, f"radiation:{nu}:{anniversaire}", radiation, {"anniversaire": anniversaire.isoformat(),
                                                                    "jour": radiation.isoformat()})
        return {"date_reference": reference, "date_avis": avis, "date_anniversaire": anniversaire,
                "date_radiation_prevue": radiation}

    def _cancel_cycle(self, ctx: ProcessContext, nu: str, row: dict[str, Any] | None) -> None:
        if row and row.get("date_anniversaire"):
            ctx.cancel(f"avis:{nu}:{row['date_anniversaire']}")
            ctx.cancel(f"radiation:{nu}:{row['date_anniversaire']}")

    def _cancel_warning(self, ctx: ProcessContext, nu: str, row: dict[str, Any] | None) -> None:
        if row and row.get("mise_en_demeure_date"):
            ctx.cancel(f"mise_en_demeure:{nu}:{row['mise_en_demeure_date']}")

    def applied(self, event: Envelope[Any], ctx: ProcessContext) -> None:
        """Its own decisions, through the handlers of partners' events (idempotent: live they already ran)."""
        if isinstance(event.data, AvisRenouvellementListe):
            self._list_recorded(ctx.conn, event.data)
            return
        if isinstance(event.data, AvisRenouvellementDu):     # its own notice: on the list it was put on
            data = event.data
            self._notice_listed(ctx, data.numero_unique, data, self._list_day(ctx.conn, data.date_echeance))
            return
        for _ in self.process(event, ctx):
            pass

    # --- events ----------------------------------------------------------------------------------------------------
    def process(self, event: Envelope[Any], ctx: ProcessContext) -> Iterator[EventData]:
        data = event.data
        if isinstance(data, AvisRenouvellementListe):
            return      # another sender's list: the notices it names are its own
        nu = data.numero_unique
        row = self._row(ctx.conn, nu)
        if isinstance(data, DemandeEnregistree):
            self._registered(ctx, nu, data, row)
        elif isinstance(data, DemandeRenouvelee):
            yield from self._renewed(ctx, nu, data, row)
        elif isinstance(data, (DemandeModifiee, DemandeRectifiee)):
            self._modified(ctx, nu, data, row)
        elif isinstance(data, MiseEnDemeureEnvoyee):
            self._warned(ctx, nu, data, row)
        elif isinstance(data, DemandeRadiee):
            self._radiated(ctx, nu, data, row)
        elif isinstance(data, DemandeReactivee):
            self._reactivated(ctx, nu, data, row)
        elif isinstance(data, DemandeSupprimee):
            self._deleted(ctx, nu, row)
        elif isinstance(data, AvisRenouvellementDu):
            self._notice_listed(ctx, nu, data)

    def _registered(self, ctx: ProcessContext, nu: str, data: DemandeEnregistree, row: dict | None) -> None:
        demande = data.demande
        depot = demande.date_depot
        delay = (data.date_enregistrement - depot).days if depot else None
        late = bool(delay is not None and data.guichet is not None
                    and delay > self.profile.enregistrement.delai_guichet_jours)
        if late:
            log.warning("enregistrement_tardif", numero_unique=nu, jours=delay,
                        delai=self.profile.enregistrement.delai_guichet_jours)
        self._cancel_cycle(ctx, nu, row)
        courriel = bool(demande.accepte_voie_electronique)
        reference = max(filter(None, (data.date_enregistrement, demande.date_dernier_renouvellement)))
        values = {"statut": "active", "date_depot": depot, "date_enregistrement": data.date_enregistrement,
                  "delai_enregistrement_jours": delay, "enregistrement_tardif": late, "courriel": courriel}
        values |= self._plan_cycle(ctx, nu, reference, courriel)
        self._save(ctx.conn, nu, values, row is not None)

    def _renewed(self, ctx: ProcessContext, nu: str, data: DemandeRenouvelee, row: dict | None
                 ) -> Iterator[EventData]:
        courriel = bool(data.demande.accepte_voie_electronique) if data.demande else bool(row and row["courriel"])
        if row is not None and row["statut"] == "radiee":
            until = _d(row["reactivable_jusqu_au"])
            if until is None or data.date_renouvellement > until:
                log.warning("renouvellement_hors_delai", numero_unique=nu, motif=row["motif_radiation"],
                            reactivable_jusqu_au=row["reactivable_jusqu_au"])
                return
            # within the window of its motif (non-renewal, or no reply: the applicant came back)
            reactivation = DemandeReactivee(numero_unique=nu, date_reactivation=data.date_renouvellement,
                                            motif_radiation_annulee=MotifRadiation(row["motif_radiation"]),
                                            guichet=data.guichet)
            self._reactivated(ctx, nu, reactivation, row)
            yield reactivation
            return
        self._cancel_cycle(ctx, nu, row)
        self._cancel_warning(ctx, nu, row)
        values = {"statut": "active", "courriel": courriel, "mise_en_demeure_motif": None,
                  "mise_en_demeure_date": None}
        values |= self._plan_cycle(ctx, nu, data.date_renouvellement, courriel)
        self._save(ctx.conn, nu, values, row is not None)

    def _modified(self, ctx: ProcessContext, nu: str, data: DemandeModifiee | DemandeRectifiee,
                  row: dict | None) -> None:
        if row is None or row["statut"] != "active":
            return
        values: dict[str, Any] = {}
        courriel = bool(data.demande.accepte_voie_electronique)
        if courriel != row["courriel"]:
            # the notice's delay depends on the consent: the current year's timers are set again
            self._cancel_cycle(ctx, nu, row)
            values |= {"courriel": courriel, **self._plan_cycle(ctx, nu, _d(row["date_reference"]), courriel)}
        if row["mise_en_demeure_motif"] == MotifRadiation.ABSENCE_REPONSE.value:
            self._cancel_warning(ctx, nu, row)      # the applicant gave a sign of life
            values |= {"mise_en_demeure_motif": None, "mise_en_demeure_date": None}
        if values:
            self._save(ctx.conn, nu, values, True)

    def _warned(self, ctx: ProcessContext, nu: str, data: MiseEnDemeureEnvoyee, row: dict | None) -> None:
        rules = (self.profile.absence_reponse if data.motif_envisage is MotifRadiation.ABSENCE_REPONSE
                 else self.profile.irrecevabilite)
        day = add_months(data.date_envoi, rules.radiation_apres_mise_en_demeure_mois)
        self._schedule(ctx, f"mise_en_demeure:{nu}:{data.date_envoi}", day,
                     {"motif": data.motif_envisage.value, "date_envoi": data.date_envoi.isoformat(),
                      "jour": day.isoformat(),
                      "sous_motif": data.sous_motif.value if data.sous_motif else None})
        self._save(ctx.conn, nu, {"mise_en_demeure_motif": data.motif_envisage.value,
                                  "mise_en_demeure_date": data.date_envoi}, row is not None)

    def _reactivation_months(self, motif: MotifRadiation) -> int:
        p = self.profile
        return {MotifRadiation.NON_RENOUVELLEMENT: p.renouvellement.reactivation_mois,
                MotifRadiation.ABSENCE_REPONSE: p.absence_reponse.reactivation_mois,
                MotifRadiation.IRRECEVABILITE: p.irrecevabilite.reactivation_mois}.get(motif, 0)

    def _radiated(self, ctx: ProcessContext, nu: str, data: DemandeRadiee, row: dict | None) -> None:
        self._cancel_cycle(ctx, nu, row)
        self._cancel_warning(ctx, nu, row)
        if row and row.get("date_radiation"):
            ctx.cancel(f"suppression:{nu}:{row['date_radiation']}")   # a second radiation restarts the retention
        months = self._reactivation_months(data.motif)
        purge = add_months(data.date_radiation, self.profile.conservation.suppression_apres_radiation_mois)
        self._schedule(ctx, f"suppression:{nu}:{data.date_radiation}", purge,
                     {"date_radiation": data.date_radiation.isoformat(), "jour": purge.isoformat()})
        self._save(ctx.conn, nu, {
            "statut": "radiee", "date_radiation": data.date_radiation, "motif_radiation": data.motif.value,
            "reactivable_jusqu_au": add_months(data.date_radiation, months) if months else None,
            "suppression_prevue": purge, "mise_en_demeure_motif": None, "mise_en_demeure_date": None},
            row is not None)

    def _reactivated(self, ctx: ProcessContext, nu: str, data: DemandeReactivee, row: dict | None) -> None:
        if row and row.get("date_radiation"):
            ctx.cancel(f"suppression:{nu}:{row['date_radiation']}")
        courriel = bool(row and row["courriel"])
        values = {"statut": "active", "date_radiation": None, "motif_radiation": None,
                  "reactivable_jusqu_au": None, "suppression_prevue": None}
        # a reactivation renews: the demand starts a new year, keeping its numéro unique and seniority
        values |= self._plan_cycle(ctx, nu, data.date_reactivation, courriel)
        self._save(ctx.conn, nu, values, row is not None)

    def _deleted(self, ctx: ProcessContext, nu: str, row: dict | None) -> None:
        self._cancel_cycle(ctx, nu, row)
        self._cancel_warning(ctx, nu, row)
        if row and row.get("date_radiation"):
            ctx.cancel(f"suppression:{nu}:{row['date_radiation']}")
        self._save(ctx.conn, nu, {"statut": "supprimee", "reactivable_jusqu_au": None, "suppression_prevue": None},
                   row is not None)

    def _notice_listed(self, ctx: ProcessContext, nu: str, data: AvisRenouvellementDu,
                       liste: date | None = None) -> None:
        """Keep a notice due; ``liste``: the day of the list it goes on (its own notices; a partner's notice is that
        partner's to send, on no list of the hub's)."""
        key = {"numero_unique": nu, "date_anniversaire": data.date_anniversaire.isoformat()}
        values = {"jour": data.date_echeance.isoformat(), "canal": data.canal.value,
                  "date_radiation_prevue": data.date_radiation_prevue.isoformat(),
                  "liste": liste.isoformat() if liste else None}
        existing = ctx.conn.execute(select(tables.avis.c.jour).where(
            tables.avis.c.numero_unique == nu, tables.avis.c.date_anniversaire == key["date_anniversaire"])).first()
        if existing is None:
            ctx.conn.execute(tables.avis.insert().values(**key, **values))

    # --- the daily list of notices --------------------------------------------------------------------------------
    @staticmethod
    def _list_day(conn: Connection, due: date) -> date:
        """The list a notice due on ``due`` goes on: that day's — or, when that day's list already went (a notice that
        fell due in the past: a late registration), the day after the last list sent: a timer key fires once, and a
        notice must never wait for a list that will not come. Notice timers fire at the end of their day, the list's
        timer is set at the same instant and after them (timers fire in due, then creation, order). The same
        answer live and on a rebuild: lists and notices are replayed in journal order."""
        last = conn.execute(select(func.max(tables.listes.c.jour))).scalar()
        return due if last is None or due > date.fromisoformat(last) else date.fromisoformat(last) + timedelta(days=1)

    def _send_list(self, ctx: ProcessContext, day: date) -> list[EventData]:
        if ctx.conn.execute(select(tables.listes.c.jour).where(tables.listes.c.jour == day.isoformat())).first():
            return []       # already sent
        pending = ctx.conn.execute(select(tables.avis).where(tables.avis.c.liste == day.isoformat())
                                   .order_by(tables.avis.c.numero_unique, tables.avis.c.date_anniversaire)).all()
        if not pending:
            return []       # its demands were purged meanwhile
        listed = AvisRenouvellementListe(jour=day, avis=tuple(
            AvisListe(numero_unique=r.numero_unique, date_echeance=_d(r.jour), canal=CanalNotification(r.canal),
                      date_anniversaire=_d(r.date_anniversaire), date_radiation_prevue=_d(r.date_radiation_prevue))
            for r in pending))
        self._list_recorded(ctx.conn, listed)
        log.info("liste_avis_envoyee", jour=day.isoformat(), avis=len(pending))
        return [listed]

    def _list_recorded(self, conn: Connection, listed: AvisRenouvellementListe) -> None:
        """Mark the list's notices as sent and the day as done (live, and on a rebuild from the journaled list)."""
        jour = listed.jour.isoformat()
        if conn.execute(select(tables.listes.c.jour).where(tables.listes.c.jour == jour)).first():
            return
        conn.execute(tables.listes.insert().values(jour=jour, nombre=len(listed.avis)))
        for a in listed.avis:
            conn.execute(tables.avis.update().where(
                tables.avis.c.numero_unique == a.numero_unique,
                tables.avis.c.date_anniversaire == a.date_anniversaire.isoformat()).values(liste=jour))

    # --- timers ----------------------------------------------------------------------------------------------------
    def on_timer(self, timer: Timer, ctx: ProcessContext) -> list[EventData]:
        if timer.key.startswith(LIST_TIMER):
            return self._send_list(ctx, date.fromisoformat(timer.payload["jour"]))
        kind, nu, _ = timer.key.split(":", 2)
        row = self._row(ctx.conn, nu)
        if row is None:
            return []
        p = timer.payload
        if kind == "avis":
            if row["statut"] != "active" or row["date_anniversaire"] != p["anniversaire"]:
                return []
            notice = AvisRenouvellementDu(numero_unique=nu, date_echeance=_d(row["date_avis"]),
                                          canal=CanalNotification(p["canal"]),
                                          date_anniversaire=_d(p["anniversaire"]),
                                          date_radiation_prevue=_d(p["radiation"]))
            day = self._list_day(ctx.conn, notice.date_echeance)
            self._notice_listed(ctx, nu, notice, day)
            ctx.schedule(f"{LIST_TIMER}{day}", day, {"jour": day.isoformat()}, subject=LIST_TIMER.rstrip(":"))
            return [notice]
        if kind in ("radiation", "mise_en_demeure") and not self.settings.radie:
            return []     # the system of record radiates; its demande_radiee will come as a partner event
        if kind == "radiation":
            if row["statut"] != "active" or row["date_anniversaire"] != p["anniversaire"]:
                return []
            radiation = DemandeRadiee(numero_unique=nu, date_radiation=_d(p["jour"]),
                                      motif=MotifRadiation.NON_RENOUVELLEMENT)
            self._radiated(ctx, nu, radiation, row)
            return [radiation]
        if kind == "mise_en_demeure":
            if row["statut"] != "active" or row["mise_en_demeure_date"] != p["date_envoi"]:
                return []
            radiation = DemandeRadiee(numero_unique=nu, date_radiation=_d(p["jour"]),
                                      motif=MotifRadiation(p["motif"]), sous_motif=p.get("sous_motif"))
            self._radiated(ctx, nu, radiation, row)
            return [radiation]
        if kind == "suppression":
            if row["statut"] != "radiee" or row["date_radiation"] != p["date_radiation"]:
                return []
            ctx.purge(nu)
            deletion = DemandeSupprimee(numero_unique=nu, date_suppression=_d(p["jour"]),
                                        motif=MotifSuppression.CONSERVATION_ECHUE)
            self._deleted(ctx, nu, row)
            return [deletion]
        log.warning("timer_unknown", processor=self.name, key=timer.key)
        return []
