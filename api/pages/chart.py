"""The /targets chart, drawn here as SVG (no library, no script): targets that
share a unit, side by side per municipality.

One chart per unit (the most common units first): a horizontal bar per
target, grouped under its municipality and plan year, its length the
target's value on the unit's own scale, labelled with the indicator and the
value as the plan states it (≤ 228 personer). Every bar is a link to the
target's sentence in the source viewer. Each chart is a figure with a
caption, and the SVG has a title and a description for screen readers;
colours and fonts come from pages.css (classes, no inline style).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import groupby

from planchat.records import Target
from retrieval.formatting import target_short
from retrieval.target_selection import distinct_targets

from .layout import esc, source_url
from .parts import count

WIDTH = 640
LABEL_ROOM = 250  # right of the longest bar: the value as the plan states it
GROUP_ROW, BAR_ROW, BAR_HEIGHT = 26, 40, 14
MAX_UNITS, MAX_BARS = 3, 30


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar(t: Target, y: int, scale: float) -> str:
    length = max(2.0, t.value * scale) if t.value > 0 else 2.0
    name = f"{t.municipality} {t.plan_year}: {t.indicator}: {target_short(t)} – vis i planen"
    return (
        f'<a href="{esc(source_url(t.doc_id, t.start, t.end))}"><title>{esc(name)}</title>'
        f'<text class="label" x="0" y="{y + 14}">{esc(clip(t.indicator, 80))}</text>'
        f'<rect class="bar" x="0" y="{y + 20}" width="{length:.1f}" height="{BAR_HEIGHT}" rx="2"></rect>'
        f'<text class="value" x="{length + 6:.1f}" y="{y + 32}">{esc(clip(target_short(t), 32))}</text></a>'
    )


def unit_chart(unit: str, targets: Sequence[Target], n: int) -> str:
    """One figure: the unit's targets (at most MAX_BARS, by municipality and plan year)."""
    ordered = sorted(targets, key=lambda t: (t.municipality, t.plan_year, t.doc_id, t.start))
    shown = ordered[:MAX_BARS]
    top = max((t.value for t in shown), default=0.0)
    scale = (WIDTH - LABEL_ROOM) / top if top > 0 else 0.0
    parts, y = [], 0
    for (municipality, year), group in groupby(shown, key=lambda t: (t.municipality, t.plan_year)):
        parts.append(f'<text class="group" x="0" y="{y + 18}">{esc(municipality)} {year}</text>')
        y += GROUP_ROW
        for t in group:
            parts.append(bar(t, y, scale))
            y += BAR_ROW
    plans = len({t.doc_id for t in targets})
    more = f" (viser de første {len(shown)} efter kommune)" if len(targets) > len(shown) else ""
    caption = esc(f"Mål i «{unit}»: {len(targets)} mål fra {count(plans, 'plan', 'planer')}{more}")
    description = (
        f"Vandrette søjler, én pr. mål i enheden «{esc(unit)}», grupperet pr. kommune og planår. Søjlens længde er "
        "målets værdi; teksten ved søjlen er værdien, som planen skriver den. Hver søjle linker til målets sætning "
        "i planen."
    )
    return (
        f'<figure class="chart" aria-labelledby="chart-{n}-cap"><figcaption id="chart-{n}-cap">{caption}'
        "</figcaption>"
        f'<svg viewBox="0 0 {WIDTH} {max(y, 1)}" width="100%" role="group" aria-labelledby="chart-{n}-title" '
        f'aria-describedby="chart-{n}-desc"><title id="chart-{n}-title">{caption}</title>'
        f'<desc id="chart-{n}-desc">{description}</desc>{"".join(parts)}</svg></figure>'
    )


def unit_charts(targets: Sequence[Target]) -> str:
    """The charts of the most common units among ``targets`` ('' when none has a unit); a target a plan
    restates (Jammerbugt's annex) is drawn once."""
    targets = distinct_targets(targets)
    counts = Counter(t.unit for t in targets if t.unit)
    units = sorted(counts, key=lambda u: (-counts[u], u))[:MAX_UNITS]
    charts = [unit_chart(u, [t for t in targets if t.unit == u], n) for n, u in enumerate(units, 1)]
    return "".join(charts)
