"""The demand's clock walked day by day with ``hub.tick``: notice → radiation → reactivation for one demand, radiation
→ purge for another, on both backends. Every date is fixed: nothing here depends on the day the tests run."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import MetaData, Table, inspect, select

from contracts import REGISTRY
from contracts.enums import CanalNotification, MotifRadiation
from contracts.events import DemandeEnregistree, DemandeRenouvelee
from hub.core.journal import utcnow
from hub.core.journal_schema import dead_letters, events
from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.runtime import Hub
from plugins.dossier import tables as dossier_tables
from plugins.lifecycle import tables
from plugins.sne.synthetic import SyntheticSne

PLUGINS = ["dossier", "lifecycle"]


def _hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=PLUGINS), clock=lambda: end_of_day(date(2024, 1, 1)))


def _registration(sne: SyntheticSne, registered: date, *, courriel: bool, **demandeur):
    demande = sne.demande(registered)
    demande = demande.model_copy(update={
        "accepte_voie_electronique": courriel, "date_depot": registered, "date_dernier_renouvellement": None,
        "demandeur": demande.demandeur.model_copy(update=demandeur)})
    guichet = sne.entite("guichet")
    data = DemandeEnregistree(numero_unique=sne.numero_unique(registered), demande=demande,
                              date_enregistrement=registered, guichet=guichet)
    return REGISTRY.build(data, source="tests", entity=guichet, time=end_of_day(registered),
                          id=f"enr-{data.numero_unique}")


def _journaled(hub: Hub, nu: str, prefix: str) -> list[dict]:
    with hub.journal.engine.connect() as conn:
        return [json.loads(b)["data"] for (b,) in conn.execute(
            select(events.c.body).where(events.c.subject == nu, events.c.type.startswith(prefix))
            .order_by(events.c.seq))]


def _row(hub: Hub, nu: str) -> dict:
    with hub.journal.engine.connect() as conn:
        return dict(conn.execute(select(tables.demandes).where(tables.demandes.c.numero_unique == nu)).one()._mapping)


def _tick(hub: Hub, day: date):
    return hub.tick(end_of_day(day))


def test_notice_radiation_then_reactivation_keeping_the_numero_unique(hub_settings):
    sne = SyntheticSne(seed=16)
    enr = _registration(sne, date(2025, 1, 15), courriel=False)
    nu = enr.subject
    with _hub(hub_settings) as hub:
        hub.journal.append([enr])
        _tick(hub, date(2025, 1, 15))
        row = _row(hub, nu)
        assert (row["statut"], row["date_anniversaire"], row["date_avis"], row["date_radiation_prevue"]) == (
            "active", "2026-01-15", "2025-12-15", "2026-03-15")   # 1 month before by post; 2 months after
        assert row["enregistrement_tardif"] is False

        _tick(hub, date(2025, 12, 14))
        assert _journaled(hub, nu, "avis_renouvellement_du.") == []
        _tick(hub, date(2025, 12, 15))
        [notice] = _journaled(hub, nu, "avis_renouvellement_du.")
        assert notice == {"numero_unique": nu, "date_echeance": "2025-12-15", "canal": "courrier",
                          "date_anniversaire": "2026-01-15", "date_radiation_prevue": "2026-03-15"}
        with hub.journal.engine.connect() as conn:   # the day's list for the system of record
            listed = conn.execute(select(tables.avis.c.numero_unique).where(tables.avis.c.jour == "2025-12-15")).all()
        assert [r[0] for r in listed] == [nu]
        _tick(hub, date(2025, 12, 15))               # the same day replayed: nothing twice
        assert len(_journaled(hub, nu, "avis_renouvellement_du.")) == 1

        _tick(hub, date(2026, 3, 14))
        assert _journaled(hub, nu, "demande_radiee.") == []
        _tick(hub, date(2026, 3, 15))
        [radiation] = _journaled(hub, nu, "demande_radiee.")
        assert (radiation["date_radiation"], radiation["motif"]) == ("2026-03-15", "non_renouvellement")
        assert _row(hub, nu)["reactivable_jusqu_au"] == "2026-05-15"

        renewal = DemandeRenouvelee(numero_unique=nu, date_renouvellement=date(2026, 4, 10), guichet="G6301")
        hub.journal.append([REGISTRY.build(renewal, source="tests", entity=enr.entity,
                                           time=end_of_day(date(2026, 4, 10)), id=f"ren-{nu}")])
        _tick(hub, date(2026, 4, 10))
        [reactivation] = _journaled(hub, nu, "demande_reactivee.")
        assert reactivation["numero_unique"] == nu       # same number: seniority kept
        assert (reactivation["date_reactivation"], reactivation["motif_radiation_annulee"]) == (
            "2026-04-10", "non_renouvellement")
        row = _row(hub, nu)
        assert (row["statut"], row["date_enregistrement"], row["date_anniversaire"]) == (
            "active", "2025-01-15", "2027-04-10")
        _tick(hub, date(2027, 3, 16))                    # the purge planned at the radiation was cancelled
        assert _journaled(hub, nu, "demande_supprimee.") == []
        assert _journaled(hub, nu, "evenement_efface.") == []
        live = _row(hub, nu)
        hub.projections.rebuild("echeances", hub.clock)   # its own radiation and reactivation are replayed too
        assert _row(hub, nu) == live


NOM, PRENOM, NAISSANCE = "Quillebœuf-Purgetest", "Zéphyrine", date(1961, 2, 27)


def _values_of_every_table(hub: Hub) -> list[tuple[str, str]]:
    """Every value of every table of the hub's database (its schema), as text."""
    found: list[tuple[str, str]] = []
    with hub.journal.engine.connect() as conn:
        insp = inspect(conn)
        for name in insp.get_table_names():
            table = Table(name, MetaData(), autoload_with=conn)
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("utf-8", "replace")
                    found.append((name, str(value)))
    return found


def test_radiation_then_purge_leaves_only_a_tombstone(hub_settings):
    sne = SyntheticSne(seed=61)
    enr = _registration(sne, date(2024, 6, 3), courriel=True, nom=NOM, prenom=PRENOM, date_naissance=NAISSANCE)
    nu = enr.subject
    with _hub(hub_settings) as hub:
        hub.journal.append([enr])
        _tick(hub, date(2024, 6, 3))
        assert _row(hub, nu)["date_avis"] == "2025-04-03"     # 2 months before: the applicant accepted e-mail
        _tick(hub, date(2025, 4, 3))
        [notice] = _journaled(hub, nu, "avis_renouvellement_du.")
        assert notice["canal"] == CanalNotification.COURRIEL.value
        _tick(hub, date(2025, 8, 3))
        [radiation] = _journaled(hub, nu, "demande_radiee.")
        assert radiation["motif"] == MotifRadiation.NON_RENOUVELLEMENT.value
        assert _row(hub, nu)["suppression_prevue"] == "2026-08-03"
        # a rejected input that named the household, waiting in the dead letters
        now = utcnow()
        with hub.journal.engine.begin() as conn:
            conn.execute(dead_letters.insert().values(
                direction="inbound", connector="sne", reason="test", status="open", created_at=now, updated_at=now,
                payload=f"<demande><numUnique>{nu}</numUnique><nom>{NOM}</nom></demande>".encode()))
            other = conn.execute(dead_letters.insert().values(
                direction="inbound", connector="sne", reason="test", status="open", created_at=now, updated_at=now,
                payload=b"<demande><numUnique>0630125000009G6301</numUnique></demande>")).inserted_primary_key[0]
        assert any(NOM in v for _t, v in _values_of_every_table(hub))     # the search does find it before

        _tick(hub, date(2026, 8, 2))
        assert _journaled(hub, nu, "demande_supprimee.") == []
        _tick(hub, date(2026, 8, 3))
        [deletion] = _journaled(hub, nu, "demande_supprimee.")
        assert (deletion["date_suppression"], deletion["motif"]) == ("2026-08-03", "conservation_echue")
        hub.run_once()       # the deletion reaches the dossier (and the partners subscribed to it)

        tombs = _journaled(hub, nu, "evenement_efface.")
        assert [t["type_origine"] for t in tombs] == ["demande_enregistree.v1", "avis_renouvellement_du.v1",
                                                      "demande_radiee.v1"]
        enregistree = tombs[0]
        assert enregistree["date_enregistrement"] == "2024-06-03" and enregistree["communes_concernees"]
        assert set(enregistree) <= {"numero_unique", "type_origine", "date_evenement", "communes_concernees",
                                    "typologies", "type_habitat", "date_depot", "date_enregistrement", "mutation",
                                    "taille_menage", "tranche_age", "tranche_ressources", "motif_radiation", "qpv",
                                    "premier_quartile", "date_entree_dans_les_lieux"}
        for name in ("dossier", "echeances"):            # a rebuild from the journal brings nothing back
            hub.projections.rebuild(name, hub.clock)
        values = _values_of_every_table(hub)
        needles = (NOM, PRENOM, NAISSANCE.isoformat(), NAISSANCE.strftime("%d/%m/%Y"),
                   enr.data.demande.demandeur.courriel or "@@")
        leaks = [(t, n) for t, v in values for n in needles if n in v]
        assert leaks == []
        with hub.journal.engine.connect() as conn:
            assert conn.execute(select(dead_letters.c.id)).all() == [(other,)]   # another demand's stays
            statut = conn.execute(select(dossier_tables.demandes.c.statut)
                                  .where(dossier_tables.demandes.c.numero_unique == nu)).scalar()
        assert statut == "supprimee"
        assert _row(hub, nu)["statut"] == "supprimee"


@pytest.mark.parametrize("profil, radiation, reactivable", [("puy-de-dome", "2026-03-15", "2026-05-15"),
                                                             ("national", "2026-02-15", "2026-07-15")])
def test_the_profile_sets_the_durations(hub_settings, profil, radiation, reactivable):
    settings = hub_settings.model_copy(update={"connectors": {"echeances": {"profil": profil}}})
    sne = SyntheticSne(seed=7)
    enr = _registration(sne, date(2025, 1, 15), courriel=False)
    with _hub(settings) as hub:
        hub.journal.append([enr])
        _tick(hub, date(2026, 7, 31))
        [r] = _journaled(hub, enr.subject, "demande_radiee.")
        assert r["date_radiation"] == radiation          # t + 14 months in the Puy-de-Dôme, t + 13 nationally
        assert _row(hub, enr.subject)["reactivable_jusqu_au"] == reactivable   # t + 18 months nationally


def test_a_desk_registering_a_complete_file_after_30_days_is_flagged(hub_settings):
    sne = SyntheticSne(seed=3)
    enr = _registration(sne, date(2025, 3, 20), courriel=False)
    late = enr.model_copy(update={"data": enr.data.model_copy(update={
        "demande": enr.data.demande.model_copy(update={"date_depot": date(2025, 2, 10)})})})
    with _hub(hub_settings) as hub:
        hub.journal.append([late])
        _tick(hub, date(2025, 3, 20))
        row = _row(hub, enr.subject)
        assert (row["enregistrement_tardif"], row["delai_enregistrement_jours"]) == (True, 38)


def _warning(nu, entity, day, motif, sous_motif=None):
    from contracts.events import MiseEnDemeureEnvoyee
    data = MiseEnDemeureEnvoyee(numero_unique=nu, date_envoi=day, canal=CanalNotification.LETTRE_RECOMMANDEE,
                                motif_envisage=motif, sous_motif=sous_motif)
    return REGISTRY.build(data, source="tests", entity=entity, time=end_of_day(day), id=f"md-{nu}-{day}")


def test_no_reply_and_irrecevabilite_radiate_after_the_warning(hub_settings):
    from contracts.enums import SousMotifIrrecevabilite
    sne = SyntheticSne(seed=12)
    silent, refused = (_registration(sne, date(2025, 1, 10), courriel=False) for _ in range(2))
    with _hub(hub_settings) as hub:
        hub.journal.append([silent, refused])
        _tick(hub, date(2025, 1, 10))
        sous_motif = list(SousMotifIrrecevabilite)[0]
        hub.journal.append([_warning(silent.subject, silent.entity, date(2025, 3, 3), MotifRadiation.ABSENCE_REPONSE),
                            _warning(refused.subject, refused.entity, date(2025, 3, 3), MotifRadiation.IRRECEVABILITE,
                                     sous_motif)])
        _tick(hub, date(2025, 4, 2))
        assert _journaled(hub, refused.subject, "demande_radiee.") == []
        _tick(hub, date(2025, 4, 3))      # one month after the landlord's warning
        [r] = _journaled(hub, refused.subject, "demande_radiee.")
        assert (r["date_radiation"], r["motif"], r["sous_motif"]) == ("2025-04-03", "irrecevabilite",
                                                                      sous_motif.value)
        assert _journaled(hub, silent.subject, "demande_radiee.") == []
        _tick(hub, date(2025, 5, 3))      # two months after the registered letter
        [r] = _journaled(hub, silent.subject, "demande_radiee.")
        assert (r["date_radiation"], r["motif"]) == ("2025-05-03", "absence_reponse")
        assert _row(hub, silent.subject)["reactivable_jusqu_au"] == "2025-10-03"     # reactivable for 5 months
        assert _row(hub, refused.subject)["reactivable_jusqu_au"] is None
        came_back = DemandeRenouvelee(numero_unique=silent.subject, date_renouvellement=date(2025, 9, 1))
        hub.journal.append([REGISTRY.build(came_back, source="tests", entity=silent.entity,
                                           time=end_of_day(date(2025, 9, 1)), id=f"back-{silent.subject}")])
        _tick(hub, date(2025, 9, 1))
        [back] = _journaled(hub, silent.subject, "demande_reactivee.")
        assert back["motif_radiation_annulee"] == "absence_reponse"


def test_when_the_system_of_record_radiates_the_hub_only_keeps_the_deadlines(hub_settings):
    settings = hub_settings.model_copy(update={"connectors": {"echeances": {"radie": False}}})
    sne = SyntheticSne(seed=13)
    enr = _registration(sne, date(2025, 1, 15), courriel=False)
    with _hub(settings) as hub:
        hub.journal.append([enr])
        _tick(hub, date(2026, 4, 1))
        assert len(_journaled(hub, enr.subject, "avis_renouvellement_du.")) == 1
        assert _journaled(hub, enr.subject, "demande_radiee.") == []
        assert _row(hub, enr.subject)["statut"] == "active"
