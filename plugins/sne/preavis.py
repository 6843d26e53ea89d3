"""The daily list of renewal notices due, as the file transmitted to the GIP SNE.

Under the national rules the notices (préavis de radiation) are produced by the GIP SNE: a system particulier sends
it every day "la liste des demandes devant faire l'objet d'un préavis … dans un format standardisé et des modalités
définies par lui" (cahier des charges des systèmes particuliers, § 5 and § 8, arrêté of 23 March 2015). That format
is not public: this module writes a documented CSV (see plugins/sne/README.md, "Liste quotidienne des préavis")
that carries every fact the rule names — the demand, the dates, the channel — and nothing nominative (the GIP SNE
holds the applicant's address under the numéro unique). When the GIP SNE's own format is known, only this module
changes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from contracts import Envelope
from contracts.events import AvisRenouvellementListe
from hub import OutboundMessage

__all__ = ["COLUMNS", "LIST_TYPE", "render_list"]

LIST_TYPE = "avis_renouvellement_liste.v1"
COLUMNS = ("numero_unique", "date_echeance", "date_anniversaire", "date_radiation_prevue", "canal")


def render_list(event: Envelope[Any], desk: str | None) -> OutboundMessage:
    """One file per day: ``PREAVIS_<desk>_<YYYYMMDD>.csv``, ``;``-separated UTF-8, a header line, one notice per
    line in numéro unique order. The name is the day's, so a list redelivered overwrites its own file and a file of
    another day never does."""
    data: AvisRenouvellementListe = event.data
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for avis in sorted(data.avis, key=lambda a: (a.numero_unique, a.date_anniversaire)):
        writer.writerow((avis.numero_unique, avis.date_echeance.isoformat(), avis.date_anniversaire.isoformat(),
                         avis.date_radiation_prevue.isoformat(), avis.canal.value))
    name = f"PREAVIS_{desk or 'RELAIS'}_{data.jour:%Y%m%d}.csv"
    return OutboundMessage(body=out.getvalue().encode("utf-8"), filename=name, content_type="text/csv")
