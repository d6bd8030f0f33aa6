"""The pages' pictures, as inline SVG (no JavaScript). Pure: data in, markup out (all text escaped).

- `timeline`: a plan, one bar per démarche from its start to its due date, grouped by pillar, against
  vertical lines for today, the hearing and the release, and a shaded band per temporary leave;
- `weekly_bars`: the dashboard's overdue count on each Monday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

COLOURS = {"planned": "#7a9cc6", "in-progress": "#3f78c0", "on-hold": "#d9a441", "completed": "#6aa86a",
           "cancelled": "#b8b8b8", "failed": "#b5473a"}
ROW, LEFT, WIDTH, TOP = 16, 210, 720, 28


@dataclass(frozen=True)
class Bar:
    label: str
    pillar: str
    start: dt.date | None
    due: dt.date | None
    status: str
    overdue: bool


LEAVE_FILL = "#e8c9e6"


def timeline(bars: Sequence[Bar], marks: Sequence[tuple[str, dt.date]], today: dt.date,
             bands: Sequence[tuple[str, dt.date, dt.date]] = ()) -> str:
    """`bands`: (label, first day, last day) of each temporary leave, drawn as a shaded band behind the bars
    (a leave is not a release: no vertical line)."""
    dated = [b for b in bars if b.due is not None]
    days = ([d for b in dated for d in (b.start or b.due, b.due)] + [d for _, d in marks] + [today]
            + [d for _, a, b in bands for d in (a, b + dt.timedelta(days=1))])
    lo, hi = min(days), max(days)
    span = max((hi - lo).days, 1)

    def x(d: dt.date) -> float:
        return LEFT + (d - lo).days / span * WIDTH

    rows = sorted(dated, key=lambda b: (b.pillar, b.due, b.label))
    # one line of label per vertical mark and per leave, so that they never overlap
    top = TOP + 12 * (len(marks) + len(bands))
    height = top + ROW * len(rows) + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="timeline" width="{LEFT + WIDTH + 20}" '
           f'height="{height}" viewBox="0 0 {LEFT + WIDTH + 20} {height}" font-size="11" font-family="sans-serif">']
    for j, (name, first, last) in enumerate(bands):
        y = 12 + 12 * (len(marks) + 1 + j)
        x0, x1 = x(first), x(last + dt.timedelta(days=1))  # the last day is a whole day outside
        anchor = "end" if x0 > LEFT + WIDTH * 0.75 else "start"
        tx = x1 - 3 if anchor == "end" else x0 + 3
        out.append(f'<g class="leave"><rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 3):.1f}" '
                   f'height="{height - y - 12}" fill="{LEAVE_FILL}" fill-opacity="0.6"><title>{escape(name)}: '
                   f'{first.strftime("%d/%m/%Y")} – {last.strftime("%d/%m/%Y")}</title></rect>'
                   f'<text x="{tx:.1f}" y="{y}" fill="#6b2a66" text-anchor="{anchor}">{escape(name)} '
                   f'{first.strftime("%d/%m")}–{last.strftime("%d/%m/%Y")}</text></g>')
    for i, (name, d) in enumerate([("aujourd'hui", today), *marks]):
        colour = "#a1261b" if i == 0 else "#20446b"
        y = 12 + 12 * i
        anchor = "end" if x(d) > LEFT + WIDTH * 0.75 else "start"
        tx = x(d) - 3 if anchor == "end" else x(d) + 3
        out.append(f'<line x1="{x(d):.1f}" y1="{y + 2}" x2="{x(d):.1f}" y2="{height - 10}" stroke="{colour}" '
                   f'stroke-dasharray="4 3"/><text x="{tx:.1f}" y="{y}" fill="{colour}" text-anchor="{anchor}">'
                   f'{escape(name)} {d.strftime("%d/%m/%Y")}</text>')
    pillar = None
    for i, b in enumerate(rows):
        y = top + i * ROW
        if b.pillar != pillar:
            pillar = b.pillar
            out.append(f'<line x1="0" y1="{y - 2}" x2="{LEFT + WIDTH}" y2="{y - 2}" stroke="#e2e2dc"/>')
        start = b.start or b.due
        w = max(x(b.due) - x(start), 3)
        stroke = ' stroke="#a1261b" stroke-width="2"' if b.overdue else ""
        out.append(f'<text x="4" y="{y + 10}">{escape(b.label[:34])}</text>'
                   f'<rect x="{x(start):.1f}" y="{y + 2}" width="{w:.1f}" height="10" rx="2" '
                   f'fill="{COLOURS.get(b.status, "#999")}"{stroke}><title>{escape(b.label)}: '
                   f'{b.due.strftime("%d/%m/%Y")}</title></rect>')
    out.append("</svg>")
    return "".join(out)


def weekly_bars(weekly: Sequence[tuple[dt.date, int]]) -> str:
    """Bars of the overdue count on each Monday."""
    top = max([n for _, n in weekly] + [1])
    bw, h = 44, 120
    w = bw * len(weekly) + 10
    # a viewBox: the page's stylesheet may shrink it to a phone's width (it keeps its proportions)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="weekly" width="{w}" '
             f'height="{h + 40}" viewBox="0 0 {w} {h + 40}" font-size="10" font-family="sans-serif">']
    for i, (day, n) in enumerate(weekly):
        bh = n / top * h
        x = 5 + i * bw
        parts.append(f'<rect x="{x}" y="{h - bh + 14:.1f}" width="{bw - 8}" height="{bh:.1f}" fill="#a1261b">'
                     f'<title>{n}</title></rect><text x="{x}" y="{h - bh + 10:.1f}">{n}</text>'
                     f'<text x="{x}" y="{h + 28}">{day.strftime("%d/%m")}</text>')
    parts.append("</svg>")
    return "".join(parts)
