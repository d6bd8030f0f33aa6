"""The plan's timeline (web/charts.py), read back as XML: a date axis with months (or weeks), the lines for
today, the hearing and the release, the leaves as hatched bands, a heading per pillar, a legend, every label
whole (in the picture, in its tooltip and in the list), a picture that scales (viewBox, no fixed width), no
inline style (the CSP forbids it), and the reader's language throughout."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from raj_release.web import charts

D = dt.date
SVG = "{http://www.w3.org/2000/svg}"
TODAY = D(2026, 11, 23)
LONG = ("Demande de revenu d'intégration sociale au CPAS compétent, avec l'attestation de la prison et les "
        "extraits de compte des trois derniers mois")
BARS = [
    charts.Bar(LONG, "revenus", D(2026, 11, 2), D(2026, 12, 15), "planned", True, True),
    charts.Bar("Vérifier la carte d'identité (eID)", "identite", D(2026, 10, 1), D(2026, 10, 20), "completed", False),
    charts.Bar("Demande d'hébergement en maison d'accueil", "logement", D(2026, 12, 1), D(2027, 1, 29), "on-hold",
               False),
    charts.Bar("Mutuelle: réaffiliation", "revenus", D(2027, 1, 4), D(2027, 1, 15), "in-progress", False),
    charts.Bar("Fiche d'accueil", "identite", None, D(2026, 10, 5), "cancelled", False),
    charts.Bar("Sans date encore", "soins", None, None, "planned", False),
]
MARKS = [charts.Mark("audience TAP / décision JAP", D(2027, 2, 1), "hearing"),
         charts.Mark("libération attendue", D(2027, 3, 10), "release")]
BANDS = [("congé pénitentiaire", D(2026, 12, 18), D(2026, 12, 21))]


def render(lang="fr", bars=BARS, marks=MARKS, bands=BANDS, today=TODAY) -> ET.Element:
    return ET.fromstring(charts.timeline(bars, marks, today, bands=bands, lang=lang))


def svg_of(root: ET.Element) -> ET.Element:
    [svg] = [e for e in root.iter(f"{SVG}svg") if e.get("class") != "swatch"]  # the legend's are swatches
    return svg


def text(e: ET.Element) -> str:
    return "".join(e.itertext())


def classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(tag) if cls in (e.get("class") or "").split()]


def legend(root: ET.Element) -> list[str]:
    [ul] = classed(root, "ul", "timeline-legend")
    return [text(li).strip() for li in ul.findall("li")]


def test_the_picture_scales_to_the_page_and_carries_no_inline_style():
    root = render()
    svg = svg_of(root)
    assert svg.get("width") == "100%" and svg.get("height") is None  # the height follows the viewBox's ratio
    x0, y0, w, h = (float(v) for v in svg.get("viewBox").split())
    assert (x0, y0, w) == (0, 0, 1000) and h > 100
    assert "950" not in ET.tostring(svg, encoding="unicode")  # the old fixed width is gone
    assert [e.tag for e in root.iter() if "style" in e.attrib] == []  # style-src 'self': attributes are refused
    [box] = classed(root, "div", "timeline-scroll")  # its own scroll box on a narrow screen (raj.css)
    assert svg in list(box)


def test_a_month_axis_in_the_readers_language():
    months = [text(t) for t in classed(render("fr"), f"{SVG}text", "month")]
    assert months == ["oct. 2026", "nov.", "déc.", "janv. 2027", "févr.", "mars"]
    months_nl = [text(t) for t in classed(render("nl"), f"{SVG}text", "month")]
    assert months_nl == ["okt 2026", "nov", "dec", "jan 2027", "feb", "mrt"]


def test_a_short_plan_gets_weeks_under_its_months():
    bars = [charts.Bar("Fiche d'accueil", "identite", D(2026, 11, 24), D(2026, 12, 4), "planned", False)]
    svg = svg_of(render(bars=bars, marks=[], bands=[]))
    days = [text(t) for t in svg.iter(f"{SVG}text") if text(t).isdigit()]
    assert days == ["23", "30", "7"]  # the Mondays from the week of today to the week after the due date
    assert [text(t) for t in classed(svg, f"{SVG}text", "month")] == ["nov. 2026", "déc."]


def _line_x(svg: ET.Element, words: str) -> float:
    [g] = [g for g in classed(svg, f"{SVG}g", "mark") if words in text(g)]
    return float(g.find(f"{SVG}line").get("x1"))


def test_lines_for_today_the_hearing_and_the_release_at_their_dates():
    svg = svg_of(render())
    today, hearing, release = (_line_x(svg, w) for w in ("aujourd'hui 23/11/2026", "audience TAP / décision JAP "
                                                          "01/02/2027", "libération attendue 10/03/2027"))
    assert today < hearing < release
    # the axis runs from 01/10/2026 to 01/04/2027 over x 300 → 984
    span = (D(2027, 4, 1) - D(2026, 10, 1)).days
    assert abs(today - (300 + (TODAY - D(2026, 10, 1)).days / span * 684)) < 0.1
    styles = {_line_x(svg, w): g for w in ("audience", "libération")
              for g in classed(svg, f"{SVG}g", "mark") if w in text(g)}
    dashes = {g.find(f"{SVG}line").get("stroke-dasharray") for g in styles.values()}
    assert len(dashes) == 2  # a hearing and a release read apart without their words


def test_a_long_mark_label_ends_at_its_line_rather_than_past_the_edge():
    marks = [charts.Mark("zitting SURB / beslissing strafuitvoeringsrechter", D(2026, 12, 20), "hearing")]
    svg = svg_of(render("nl", marks=marks, bands=[]))
    [g] = [g for g in classed(svg, f"{SVG}g", "mark") if "zitting" in text(g)]
    line, words = g.find(f"{SVG}line"), g.find(f"{SVG}text")
    assert words.get("text-anchor") == "end" and float(words.get("x")) < float(line.get("x1"))
    [today] = [g for g in classed(svg, f"{SVG}g", "mark") if "vandaag" in text(g)]
    assert today.find(f"{SVG}text").get("text-anchor") == "start"  # a short one stays on the right of its line


def test_a_leave_is_a_hatched_band_named_by_its_kind():
    svg = svg_of(render())
    [g] = classed(svg, f"{SVG}g", "leave")
    band = g.find(f"{SVG}rect")
    assert band.get("fill") == "url(#timeline-hatch)" and svg.find(f".//{SVG}pattern").get("id") == "timeline-hatch"
    assert "congé pénitentiaire 18/12–21/12/2026" in text(g)
    assert float(band.get("width")) > 10  # four days, the last one whole
    assert not [m for m in classed(svg, f"{SVG}g", "mark") if "congé" in text(m)]  # a leave is not a release


def test_pillars_are_named_groups_in_the_pillars_order():
    svg = svg_of(render())
    assert [text(t) for t in classed(svg, f"{SVG}text", "pillar")] == ["Identité", "Revenus", "Logement"]
    nl = svg_of(render("nl"))
    assert [text(t) for t in classed(nl, f"{SVG}text", "pillar")] == ["Identiteit", "Inkomen", "Huisvesting"]


def test_every_label_is_whole_in_the_picture_its_tooltip_and_the_list():
    root = render()
    groups = classed(svg_of(root), f"{SVG}g", "bar")
    dated = [b for b in BARS if b.due is not None]
    assert len(groups) == len(dated)
    drawn = {" ".join(text(s) for s in g.iter(f"{SVG}tspan")): g for g in groups}
    for b in dated:
        assert b.label in drawn, b.label  # wrapped over lines, never cut
        assert drawn[b.label].find(f"{SVG}title").text.startswith(b.label + " — ")
    long_lines = [t for t in drawn[LONG].iter(f"{SVG}tspan")]
    assert len(long_lines) >= 3 and all(charts._width(text(t)) <= charts.WRAP for t in long_lines)
    tip = drawn[LONG].find(f"{SVG}title").text
    assert tip.endswith("02/11/2026 → 15/12/2026 — prévue, en retard, délai raccourci")
    [details] = classed(root, "details", "timeline-list")
    assert text(details.find("summary")) == f"Liste des démarches ({len(BARS)})"
    items = [text(li) for li in details.iter("li") if li.find("span") is not None]
    assert len(items) == len(BARS) and all(any(i.startswith(b.label + " — ") for i in items) for b in BARS)
    assert "Sans date encore — sans date — prévue" in items


def test_a_word_wider_than_the_label_column_is_split_not_lost():
    word = "Réaffiliation" * 6
    lines = charts._lines(f"Mutuelle {word} urgente")
    assert "".join(lines).replace(" ", "") == f"Mutuelle{word}urgente"
    assert len(lines) >= 3 and all(charts._width(line) <= charts.WRAP for line in lines)


def test_the_legend_names_every_colour_and_line():
    entries = legend(render())
    assert entries == ["Prévue", "En cours", "En attente", "Faite", "Sans objet", "Échouée", "En retard",
                       "Délai raccourci", "Aujourd'hui", "Audience TAP / décision JAP", "Libération attendue",
                       "Sortie temporaire : congé pénitentiaire"]
    assert legend(render(marks=[], bands=[]))[-1] == "Aujourd'hui"  # only what is drawn beyond the statuses


def test_an_overdue_and_a_squeezed_demarche_are_marked_on_their_bar():
    svg = svg_of(render())
    [late] = [g for g in classed(svg, f"{SVG}g", "bar") if LONG in g.find(f"{SVG}title").text]
    bar = [r for r in late.findall(f"{SVG}rect") if r.get("class") != "row"][0]
    assert bar.get("stroke") == charts.LATE and late.find(f"{SVG}path") is not None  # the squeezed notch
    [done] = [g for g in classed(svg, f"{SVG}g", "bar") if "eID" in g.find(f"{SVG}title").text]
    assert done.find(f"{SVG}path") is None
    assert [r.get("fill") for r in done.findall(f"{SVG}rect") if r.get("class") != "row"] == [
        charts.COLOURS["completed"]]


def test_a_dutch_reader_reads_dutch():
    html = charts.timeline(BARS, [charts.Mark("zitting SURB", D(2027, 2, 1), "hearing")], TODAY,
                           bands=[("penitentiair verlof", D(2026, 12, 18), D(2026, 12, 21))], lang="nl")
    root = ET.fromstring(html)
    words = text(root)
    for nl in ("vandaag 23/11/2026", "Tijdlijn", "Gedateerde stappen: 5", "Lijst van de stappen", "gepland",
               "te laat", "ingekorte termijn", "Tijdelijke uitgang: penitentiair verlof", "zonder datum"):
        assert nl in words, nl
    assert "Legende" == root.find(".//ul").get("aria-label")
    for fr in ("aujourd'hui", "Liste des démarches", "prévue", "en retard", "délai", "Sortie temporaire", "sans date",
               "janv.", "Revenus"):
        assert fr not in words, fr


def test_text_is_escaped_and_an_empty_plan_still_draws_today():
    bars = [charts.Bar("<b>eID</b> & co", "identite", D(2026, 11, 1), D(2026, 11, 30), "planned", False)]
    root = render(bars=bars, marks=[], bands=[])
    assert "<b>eID</b> & co" in text(svg_of(root)) and not list(root.iter("b"))
    empty = svg_of(render(bars=[], marks=[], bands=[]))
    assert [g for g in classed(empty, f"{SVG}g", "mark") if "aujourd'hui 23/11/2026" in text(g)]
    assert not classed(empty, f"{SVG}g", "bar")
