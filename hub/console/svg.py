"""Small SVG bar charts drawn on the server: no script, no build step, readable by a screen reader.

Why not matplotlib here: the flow page is refreshed often and draws two series of 24 bars; a few lines of SVG are
instant, scale with the page (``viewBox``), and carry a ``<title>``/``<desc>`` and a text value per bar (RGAA: a
chart has a text alternative — the page also shows the same figures as a table).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart"]

#: colours with a contrast of at least 3:1 against white (WCAG 1.4.11, graphical objects)
PALETTE = ("#1d4f91", "#b34000", "#18753c", "#6e445a", "#716043")


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
              unit: str = "", width: int = 720, height: int = 260) -> str:
    """Grouped bars: one group per label, one bar per series; a None value is drawn as no bar (hidden or
    unknown). The ``<desc>`` says it in words."""
    top, bottom, left, right = 28, 44, 44, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    peak = max(values) if values and max(values) > 0 else 1.0
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1.0)
    desc = "; ".join(f"{name} : " + ", ".join(f"{lab} {'—' if v is None else _fmt(v)}" for lab, v in zip(labels, vs))
                     for name, vs in series)
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="t-{id(labels)} d-{id(labels)}" class="chart">'),
           f'<title id="t-{id(labels)}">{escape(title)}</title>',
           f'<desc id="d-{id(labels)}">{escape(desc)}</desc>',
           f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#3a3a3a"/>',
           f'<text x="4" y="{top + 10}" class="chart-axis">{escape(_fmt(peak))}{escape(unit)}</text>',
           f'<text x="4" y="{top + plot_h}" class="chart-axis">0</text>']
    step = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, vs) in enumerate(series):
            v = vs[i]
            if v is None or v <= 0:
                continue
            h = plot_h * v / peak
            out.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)}, '
                       f'{escape(label)} : {escape(_fmt(v))}{escape(unit)}</title></rect>')
        if i % step == 0:
            out.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{top + plot_h + 16}" '
                       f'class="chart-axis" text-anchor="middle">{escape(label)}</text>')
    if not values:
        out.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" class="chart-axis" '
                   'text-anchor="middle">Rien à représenter : aucune valeur, ou valeurs couvertes par le secret '
                   'statistique</text>')
    spacing = min(190.0, (width - left) / max(len(series), 1))
    for j, (name, _) in enumerate(series):
        x = left + j * spacing
        out.append(f'<rect x="{x:.0f}" y="{height - 16}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                   f'<text x="{x + 16:.0f}" y="{height - 6}" class="chart-axis">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _fmt(v: float) -> str:
    return f"{v:g}".replace(".", ",")
