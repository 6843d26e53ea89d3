"""Charts for the annual report (PNG and SVG, matplotlib with the Agg backend: no display needed on a server):
the theoretical waiting time by commune and typology, and demands vs attributions over the years.

Hidden figures (statistical secrecy) are not drawn; the chart says so in its note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["waiting_time_chart", "demands_vs_attributions_chart", "yearly_series", "FORMATS"]

FORMATS = ("png", "svg")


def _pyplot():
    # Why here: matplotlib takes a second to import; every other `relais` command does without it.
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    return pyplot


def _save(figure: Any, out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = out / f"{stem}.{fmt}"
        # fixed metadata: the same figures give the same files, whatever the day they are drawn
        figure.savefig(path, format=fmt, dpi=120, bbox_inches="tight",
                       metadata={"Date": None} if fmt == "svg" else {"Software": None})
        paths.append(path)
    _pyplot().close(figure)
    return paths


def waiting_time_chart(figures: Mapping[str, Any], out: Path) -> list[Path]:
    """Grouped bars: theoretical waiting time (months) per commune, one bar per typology."""
    plt = _pyplot()
    cells = figures["par_commune_typologie"]
    communes = sorted({c["commune"] for c in cells})
    typologies = list(dict.fromkeys(c["typologie"] for c in cells))
    width = 0.8 / max(len(typologies), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(communes)), 4.5))
    hidden = 0
    for i, typ in enumerate(typologies):
        values = []
        for commune in communes:
            v = next((c["delai_attente_theorique_mois"] for c in cells
                      if c["commune"] == commune and c["typologie"] == typ), None)
            hidden += v is None
            values.append(v or 0)
        ax.bar([x + i * width for x in range(len(communes))], values, width, label=typ)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(communes))], communes, rotation=45, ha="right")
    ax.set_ylabel("mois")
    ax.set_title(f"Délai d'attente théorique par commune et typologie — {figures['annee']}")
    ax.legend(title="Typologie", fontsize="small")
    if hidden:
        fig.text(0.01, -0.02, "Barres absentes : pas d'attribution, ou chiffre couvert par le secret statistique.",
                 fontsize="small")
    return _save(fig, out, f"delai_attente_{figures['annee']}")


def yearly_series(demandes: Sequence[Mapping[str, Any]], attributions: Sequence[Mapping[str, Any]]
                  ) -> tuple[list[int], list[int], list[int]]:
    """Years, demands registered each year, attributions (leases) each year."""
    registered = Counter(date.fromisoformat(d["date_enregistrement"]).year for d in demandes
                         if d["date_enregistrement"])
    leased = Counter(date.fromisoformat(a["date_bail"] or a["date_attribution"]).year for a in attributions
                     if a["date_bail"] or a["date_attribution"])
    years = sorted(set(registered) | set(leased))
    if years:
        years = list(range(years[0], years[-1] + 1))
    return years, [registered.get(y, 0) for y in years], [leased.get(y, 0) for y in years]


def demands_vs_attributions_chart(demandes: Sequence[Mapping[str, Any]],
                                  attributions: Sequence[Mapping[str, Any]], out: Path, seuil: int) -> list[Path]:
    """Lines: demands registered and attributions made, year by year (a year's attributions under the secrecy
    threshold are left out)."""
    plt = _pyplot()
    years, registered, leased = yearly_series(demandes, attributions)
    shown = [(y, n) for y, n in zip(years, leased) if not 0 < n < seuil]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(years, registered, marker="o", label="Demandes enregistrées")
    ax.plot([y for y, _ in shown], [n for _, n in shown], marker="s", label="Attributions (bail signé)")
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel("nombre")
    ax.set_title("Demandes et attributions par année")
    ax.legend()
    return _save(fig, out, "demandes_attributions")
