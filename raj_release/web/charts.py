"""The pages' pictures, as inline SVG (no JavaScript). Pure: data in, markup out (all text escaped).

- `timeline`: a plan, one bar per démarche from its advised start to its due date, under a heading row per
  pillar, against a date axis (months, or weeks for a short plan), vertical lines for today, the hearing and
  the release, and a hatched band per temporary leave; then a legend and the list of the démarches in words
  (the text alternative of the picture). Every word in the reader's language;
- `weekly_bars`: the dashboard's overdue count on each Monday.

The page's Content-Security-Policy allows no inline style: colours and lines are SVG presentation
attributes (fill, stroke), sizes and hover are classes of raj.css (`/* timeline */`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from raj_release import i18n
from raj_release.domain.enums import Pillar, Status

COLOURS = {"planned": "#7a9cc6", "in-progress": "#3f78c0", "on-hold": "#d9a441", "completed": "#6aa86a",
           "cancelled": "#b8b8b8", "failed": "#b5473a"}
LATE, SQUEEZED, TODAY = "#a1261b", "#c25e00", "#a1261b"
# a mark's line: (colour, dash pattern); a hearing and a release read apart without their label
MARK_STYLE = {"hearing": ("#20446b", "6 3"), "release": ("#1f6f5c", "2 3")}
LEAVE_FILL, LEAVE_LINE, LEAVE_TEXT = "#f1dff0", "#c99bc5", "#6b2a66"
# the picture's own units (viewBox): it is drawn at the width of the page (raj.css scales it)
W, LABEL_X, X0, X1 = 1000, 8, 300, 984
WRAP = X0 - LABEL_X - 12  # the width of a label line, in units (letters 13 high)
LINE, PAD, HEAD = 15, 5, 22


@dataclass(frozen=True)
class Bar:
    label: str
    pillar: str  # the pillar's code (Pillar): the chart names it and orders the groups
    start: dt.date | None
    due: dt.date | None
    status: str
    overdue: bool
    compressed: bool = False


@dataclass(frozen=True)
class Mark:
    """A vertical line: a hearing or a release (`kind`), with its label in the reader's language."""

    label: str
    day: dt.date
    kind: str = "hearing"


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _status_word(status: str, lang: str) -> str:
    try:
        return i18n.label(Status(str(status)), lang)
    except ValueError:
        return str(status)


def _pillar_word(code: str, lang: str) -> str:
    try:
        return _cap(i18n.label(Pillar(code), lang))
    except ValueError:
        return i18n.tr(lang, "Other démarches")


def _pillar_order(code: str) -> int:
    codes = [p.value for p in Pillar]
    return codes.index(code) if code in codes else len(codes)


def _range(days: list[dt.date]) -> tuple[dt.date, dt.date, bool]:
    """The axis: whole weeks (Monday to Monday) for a plan of four months or less, else whole months."""
    lo, hi = min(days), max(days)
    if (hi - lo).days <= 120:
        lo -= dt.timedelta(days=lo.weekday())
        hi += dt.timedelta(days=7 - hi.weekday())
        return lo, hi, True
    lo = lo.replace(day=1)
    hi = (hi.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return lo, hi, False


def _months(lo: dt.date, hi: dt.date) -> list[dt.date]:
    out, m = [], lo.replace(day=1)
    while m <= hi:
        if m >= lo:
            out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def _month_word(m: dt.date, lang: str, with_year: bool) -> str:
    from babel.dates import format_date

    word = format_date(m, "LLL", locale=i18n.LOCALES[i18n.language(lang)])
    return f"{word} {m.year}" if with_year else word


def _axis(lo: dt.date, hi: dt.date, weekly: bool, x, y: float, bottom: float, lang: str) -> list[str]:
    """Grid lines down to `bottom` and the month (and week) labels on the line at `y`."""
    out = []
    if weekly:
        monday = lo
        while monday <= hi:
            out.append(f'<line x1="{x(monday):.1f}" y1="{y + 2}" x2="{x(monday):.1f}" y2="{bottom}" '
                       f'stroke="#eeeeea"/><text x="{x(monday) + 2:.1f}" y="{y + 14}" font-size="11" '
                       f'fill="#555">{monday.day}</text>')
            monday += dt.timedelta(days=7)
    months = _months(lo, hi)
    month_w = (X1 - X0) * 30.4 / max((hi - lo).days, 1)
    step = next((s for s in (1, 2, 3, 6, 12) if month_w * s >= 66), 12)
    shown = [m for m in months if (m.month - 1) % step == 0 and x(m) + 30 < X1]  # no word past the end
    if weekly and lo.day != 1 and (not months or x(months[0]) - X0 > 60):
        shown.insert(0, lo)  # the month the axis starts in, part-way through
    for m in months:
        out.append(f'<line x1="{x(m):.1f}" y1="{y - 12}" x2="{x(m):.1f}" y2="{bottom}" stroke="#cfd3da"/>')
    for i, m in enumerate(shown):
        out.append(f'<text class="month" x="{max(x(m), X0) + 3:.1f}" y="{y - 2}" font-size="12" fill="#333">'
                   f'{escape(_month_word(m, lang, i == 0 or m.month == 1))}</text>')
    out.append(f'<line x1="{X0}" y1="{y + 2}" x2="{X1}" y2="{y + 2}" stroke="#8a8f99"/>')
    return out


def timeline(bars: Sequence[Bar], marks: Sequence[Mark], today: dt.date,
             bands: Sequence[tuple[str, dt.date, dt.date]] = (), lang: str = "fr") -> str:
    """The plan's picture with its legend and its list in words. `bands`: (the leave kind's label, first day,
    last day) of each temporary leave, drawn as a hatched band (a leave is not a release: no line)."""
    dated = [b for b in bars if b.due is not None]
    one = dt.timedelta(days=1)
    days = ([d for b in dated for d in (b.start or b.due, b.due + one)] + [m.day for m in marks] + [today]
            + [d for _, a, b in bands for d in (a, b + one)])
    lo, hi, weekly = _range(days)
    span = max((hi - lo).days, 1)

    def x(d: dt.date) -> float:
        return X0 + (d - lo).days / span * (X1 - X0)

    groups: dict[str, list[Bar]] = {}
    for b in sorted(dated, key=lambda b: (_pillar_order(b.pillar), b.start or b.due, b.due, b.label)):
        groups.setdefault(b.pillar, []).append(b)
    flags = [(i18n.tr(lang, "Today's date"), today, TODAY, "")]
    flags += [(m.label, m.day, *MARK_STYLE.get(m.kind, MARK_STYLE["release"])) for m in marks]
    # one line of words per mark and per leave above the axis, so that they never overlap
    axis_y = 8 + LINE * (len(flags) + len(bands)) + 22
    top = axis_y + (24 if weekly else 10)
    rows: list[tuple[str, float, float, object]] = []  # (kind, y, height, pillar code or bar)
    y = top
    for code, members in groups.items():
        rows.append(("pillar", y, HEAD, code))
        y += HEAD
        for b in members:
            h = 2 * PAD + LINE * len(_lines(b.label))
            rows.append(("bar", y, h, b))
            y += h
    bottom = y + 4
    height = bottom + (34 if len(rows) > 14 else 8)
    n = len(dated)
    title = i18n.tr(lang, "Dated démarches: {n}, from {first} to {last}").format(n=n, first=_d(lo), last=_d(hi - one))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="timeline-title" width="100%" '
           f'viewBox="0 0 {W} {height}" font-size="13" font-family="system-ui, sans-serif">'
           f'<title id="timeline-title">{escape(i18n.tr(lang, "Timeline"))}: {escape(title)}</title>'
           f'<defs><pattern id="timeline-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
           f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{LEAVE_FILL}"/>'
           f'<line x1="0" y1="0" x2="0" y2="8" stroke="{LEAVE_LINE}" stroke-width="3"/></pattern></defs>']
    for kind, ry, h, item in rows:  # the row backgrounds first, under the grid
        if kind == "pillar":
            out.append(f'<rect x="0" y="{ry}" width="{W}" height="{h}" fill="#e6edf5"/>')
    out += _axis(lo, hi, weekly, x, axis_y, bottom, lang)
    if len(rows) > 14:
        out += [t for t in _axis(lo, hi, False, x, bottom + 20, bottom, lang) if t.startswith("<text")]
    for j, (name, first, last) in enumerate(bands):
        ly = 8 + LINE * (len(flags) + j) + 11
        x0, x1 = x(first), x(last + one)  # the last day is a whole day outside
        end = _ends_left(x0, f"{name} 00/00–00/00/0000")
        out.append(f'<g class="leave"><title>{escape(name)}: {_d(first)} – {_d(last)}</title>'
                   f'<rect x="{x0:.1f}" y="{ly + 3}" width="{max(x1 - x0, 3):.1f}" height="{bottom - ly - 3}" '
                   f'fill="url(#timeline-hatch)" fill-opacity="0.75" stroke="{LEAVE_LINE}"/>'
                   f'<text x="{(x1 - 3 if end else x0 + 3):.1f}" y="{ly}" fill="{LEAVE_TEXT}" '
                   f'text-anchor="{"end" if end else "start"}">{escape(name)} {first.strftime("%d/%m")}–'
                   f'{_d(last)}</text></g>')
    for kind, ry, h, item in rows:
        if kind == "pillar":
            out.append(f'<text class="pillar" x="{LABEL_X}" y="{ry + 16}" font-weight="600" fill="#20446b">'
                       f'{escape(_pillar_word(str(item), lang))}</text>')
        else:
            out.append(_bar(item, ry, h, x, lang))  # type: ignore[arg-type]
    for i, (name, d, colour, dash) in enumerate(flags):
        ly = 8 + LINE * i + 11
        end = _ends_left(x(d), f"{name} 00/00/0000")
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="mark"><line x1="{x(d):.1f}" y1="{ly + 3}" x2="{x(d):.1f}" y2="{bottom}" '
                   f'stroke="{colour}" stroke-width="2"{dashes}/><text x="{(x(d) - 4 if end else x(d) + 4):.1f}" '
                   f'y="{ly}" fill="{colour}" font-weight="600" text-anchor="{"end" if end else "start"}">'
                   f'{escape(name)} {_d(d)}</text></g>')
    out.append("</svg>")
    return (f'<figure class="timeline"><div class="timeline-scroll">{"".join(out)}</div>'
            f'{_legend(marks, bands, lang)}{_list(bars, lang)}</figure>')


def _ends_left(at: float, words: str) -> bool:
    """Whether the words written from `at` would run past the picture's right edge (then they end at `at`):
    7.4 units a letter of 13 (bold) is a wide estimate."""
    return (at + 4 + 7.4 * len(words) > W and at - 4 - 7.4 * len(words) >= 0) or at > X0 + (X1 - X0) * 0.7


def _width(words: str, size: float = 13) -> float:
    """A generous estimate of how wide `words` are written (DejaVu Sans, the widest of the usual sans fonts,
    in em: the browser measures nothing for us, there is no script)."""
    em = 0.0
    for c in words:
        if c in " ilj'.,:;|!·":
            em += 0.32
        elif c in "ftrI()/-[]":
            em += 0.40
        elif c in "mwMW@%":
            em += 0.95
        elif c.isupper() or c.isdigit():
            em += 0.72
        else:
            em += 0.62
    return em * size


def _lines(label: str) -> list[str]:
    """The label over as many lines as it needs to fit the label column (a word longer than a line is cut
    between letters, never dropped)."""
    lines: list[str] = []
    for word in label.split():
        while _width(word) > WRAP:  # a word wider than the column: as much of it as fits
            cut = max(n for n in range(1, len(word) + 1) if _width(word[:n]) <= WRAP or n == 1)
            lines.append(word[:cut])
            word = word[cut:]
        if lines and _width(f"{lines[-1]} {word}") <= WRAP:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _when(b: Bar, lang: str) -> str:
    if b.due is None:
        return i18n.tr(lang, "not dated")
    if b.start is None or b.start == b.due:
        return _d(b.due)
    return f"{_d(b.start)} → {_d(b.due)}"


def _flags(b: Bar, lang: str) -> list[str]:
    return ([i18n.tr(lang, "Overdue").lower()] if b.overdue else []) + (
        [i18n.tr(lang, "shortened deadline")] if b.compressed else [])


def _bar(b: Bar, y: float, h: float, x, lang: str) -> str:
    """One démarche's row: its label (whole, over as many lines as it needs) and its bar, with the native
    tooltip of its <title> (the whole label, its dates and status)."""
    assert b.due is not None
    start = b.start or b.due
    x0, x1 = x(start), x(b.due + dt.timedelta(days=1))
    by = y + PAD + (LINE - 11) / 2 + (LINE * (len(_lines(b.label)) - 1)) / 2
    tip = f"{b.label} — {_when(b, lang)} — " + ", ".join([_status_word(b.status, lang), *_flags(b, lang)])
    colour, weight = (LATE, ' font-weight="600"') if b.overdue else ("#1d2330", "")
    words = "".join(f'<tspan x="{LABEL_X}" dy="{LINE if i else 0}">{escape(line)}</tspan>'
                    for i, line in enumerate(_lines(b.label)))
    outline = f' stroke="{LATE}" stroke-width="2.5"' if b.overdue else ""
    notch = (f'<path d="M{x0 - 1:.1f} {by - 2:.1f} v15 l-8 -7.5 z" fill="{SQUEEZED}"/>' if b.compressed else "")
    return (f'<g class="bar"><title>{escape(tip)}</title>'
            f'<rect class="row" x="0" y="{y}" width="{W}" height="{h}" fill="#ffffff" fill-opacity="0"/>'
            f'<line x1="0" y1="{y + h}" x2="{W}" y2="{y + h}" stroke="#f0f0ec"/>'
            f'<text class="label" x="{LABEL_X}" y="{y + PAD + 11}" fill="{colour}"{weight}>{words}</text>'
            f'<rect x="{x0:.1f}" y="{by:.1f}" width="{max(x1 - x0, 3):.1f}" height="11" rx="2" '
            f'fill="{COLOURS.get(str(b.status), "#999")}"{outline}/>{notch}</g>')


def _swatch(inner: str) -> str:
    return (f'<svg class="swatch" width="26" height="14" viewBox="0 0 26 14" aria-hidden="true" '
            f'xmlns="http://www.w3.org/2000/svg">{inner}</svg>')


def _legend(marks: Sequence[Mark], bands: Sequence[tuple[str, dt.date, dt.date]], lang: str) -> str:
    """Every status colour, overdue, a shortened deadline, today, and the marks and leave kinds drawn."""
    items = [(_swatch(f'<rect x="1" y="2" width="24" height="10" rx="2" fill="{COLOURS[s.value]}"/>'),
              _cap(_status_word(s.value, lang))) for s in Status]
    items.append((_swatch(f'<rect x="2" y="2" width="22" height="10" rx="2" fill="{COLOURS["planned"]}" '
                          f'stroke="{LATE}" stroke-width="2.5"/>'), i18n.tr(lang, "Overdue")))
    items.append((_swatch(f'<path d="M9 0 v14 l-8 -7 z" fill="{SQUEEZED}"/><rect x="10" y="2" width="15" '
                          f'height="10" rx="2" fill="{COLOURS["planned"]}"/>'),
                  _cap(i18n.tr(lang, "shortened deadline"))))
    items.append((_swatch(f'<line x1="13" y1="0" x2="13" y2="14" stroke="{TODAY}" stroke-width="2"/>'),
                  _cap(i18n.tr(lang, "Today's date"))))
    seen: set[str] = set()
    for m in marks:
        if m.label in seen:
            continue
        seen.add(m.label)
        colour, dash = MARK_STYLE.get(m.kind, MARK_STYLE["release"])
        items.append((_swatch(f'<line x1="13" y1="0" x2="13" y2="14" stroke="{colour}" stroke-width="2" '
                              f'stroke-dasharray="{dash}"/>'), _cap(m.label)))
    for name in dict.fromkeys(name for name, _, _ in bands):
        items.append((_swatch(f'<rect x="1" y="1" width="24" height="12" fill="{LEAVE_FILL}" stroke="{LEAVE_LINE}"/>'
                              f'<path d="M5 13 L13 1 M13 13 L21 1" stroke="{LEAVE_LINE}" stroke-width="3"/>'),
                      i18n.tr(lang, "Temporary leave: {kind}").format(kind=name)))
    lis = "".join(f"<li>{sw}<span>{escape(word)}</span></li>" for sw, word in items)
    return (f'<figcaption><ul class="timeline-legend" aria-label="{escape(i18n.tr(lang, "Legend"))}">{lis}</ul>'
            f'</figcaption>')


def _list(bars: Sequence[Bar], lang: str) -> str:
    """The démarches in words, by pillar: the whole label, the advised start and due date, the status."""
    groups: dict[str, list[Bar]] = {}
    for b in sorted(bars, key=lambda b: (_pillar_order(b.pillar), b.start or b.due or dt.date.max,
                                         b.due or dt.date.max, b.label)):
        groups.setdefault(b.pillar, []).append(b)
    parts = []
    for code, members in groups.items():
        lis = "".join(f'<li><span class="what">{escape(b.label)}</span> — {escape(_when(b, lang))} — '
                      f'{escape(", ".join([_status_word(b.status, lang), *_flags(b, lang)]))}</li>'
                      for b in members)
        parts.append(f"<li><strong>{escape(_pillar_word(code, lang))}</strong><ul>{lis}</ul></li>")
    return (f'<details class="timeline-list"><summary>{escape(i18n.tr(lang, "List of the démarches"))} '
            f'({len(bars)})</summary><ul>{"".join(parts)}</ul></details>')


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
