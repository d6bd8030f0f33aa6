"""Words, not codes (issue 11 point 2): no page of the demo shows a code where a person reads.

The demo is built through the real services, every kind of account logs in (each role, in French and in
Dutch), and the pages reachable from the menu, from the file active (each person's plan) and from the
dashboard are crawled; so is the plan after a change (its « what moved » notice). The visible text of each
page (tags stripped, scripts and styles dropped, attribute values left out) must not contain, as a whole
word, the value of an enum of raj_release/domain/enums.py (3 characters or more), a démarche key of
config/demarches.yaml, a partner's id or partner type of config/partners.yaml, a worker's id, or an ISO date.

Crawling follows links, so pages added later (accounts, the person's version, ...) are checked as soon as
the menu or a plan links to them. The allow-list below is short and each entry says why.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import warnings
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from raj_release import i18n
from raj_release.domain import enums
from raj_release.domain.enums import Role
from raj_release.services.auth import set_password
from raj_release.services.demo import WORKERS, load_demo
from raj_release.services.workers import list_workers, register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAY = dt.date(2026, 11, 23)
PASSWORD = "une phrase assez longue"

# Codes that are also the reader's words: a code may be printed as such only when it is a word of the page's
# language (or a word of the field, the same in both).
FIELD_WORDS = {
    "tap", "jap",  # TAP / JAP: the tribunal and the juge de l'application des peines, named so in both languages
    "sps",  # the prison's service psychosocial, « SPS » in the field
    "iep",  # interruption de l'exécution de la peine, « IEP »
    "cpas",  # the CPAS (OCMW in Dutch, but « CPAS » is on every Brussels letter)
    "ais", "dse", "actiris",  # agence immobilière sociale, surveillance électronique, the employment agency
    "psy",  # « AS + psy »: the field's short word for the psychologue, in both languages
    "famille",  # also in the reasons workers type (French free text, shown to every reader)
    "caami", "onem", "oisp", "sisp",  # institutions named by their acronym in both languages (the consent form's types)
}
ORDINARY = {
    "fr": {
        "prison", "service", "absent", "contact",  # Origin/Place/NotHeldReason/MessageKind values that are French
        "justice", "soins", "logement", "occupation", "revenus",  # pillar codes that are French nouns
        "cure", "substitution",  # Need codes that are the French words (a cure, a traitement de substitution)
        "report",  # « report d'audience »: French for a postponement
        "commune", "banque", "pharmacie", "avocat", "greffe",  # partner types that are French nouns
        "oral",  # « oral, en présence des deux membres du binôme »: how a consent was given (ConsentHow)
    },
    "nl": {
        "partner", "contact", "service",  # MessageKind/Place values that are Dutch words too
        "training",  # Dutch uses « training » as well as « opleiding »
        "absent",  # Dutch « absent » (afwezig)
    },
}


def proper_names(config) -> list[str]:
    """The directory's partner names and the prisons' names: names, not codes (« Centre de cure fictif »)."""
    out = [p.name for p in config.partners.values()]
    out += [n for pr in config.prisons.values() for n in pr.name.values()]
    return sorted(set(out), key=len, reverse=True)


def _enum_codes() -> set[str]:
    out = set()
    for obj in vars(enums).values():
        if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == enums.__name__:
            out |= {str(e.value) for e in obj if len(str(e.value)) >= 3}
    return out


def _config_codes(config) -> set[str]:
    keys = {t.key for t in config.templates}
    partners = {p.id for p in config.partners.values()} | {p.type for p in config.partners.values()}
    types = {pt for t in config.templates for pt in t.partner_types}
    return keys | partners | types


class _Text(HTMLParser):
    """The text a person sees: character data outside <script>/<style>, no attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts), p.links


def _pattern(codes: set[str]) -> re.Pattern:
    # a whole word: no letter, digit, '_', '-', '@' or '.' glued on either side ("as.dupont", "in-progress",
    # "tap_file"; "intake@…" is an e-mail address, not the code)
    alts = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![\w.@-])(?:{alts})(?![\w@-]|\.\w)", re.IGNORECASE)


ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


def offending(text: str, pattern: re.Pattern, allowed: set[str]) -> set[str]:
    found = {m.group(0) for m in pattern.finditer(text) if m.group(0).lower() not in allowed}
    return found | set(ISO_DATE.findall(text))


SKIP = re.compile(r"^/(logout|api|calendar|static|login)(/|$)|\.(ics|pdf|csv|json)$")


def crawl(client: TestClient, start: list[str], limit: int = 400) -> dict[str, str]:
    """GET every page reachable from `start` on this site; one visit per path and set of query parameters
    (so one filtered dashboard per kind of filter, one page 2 of a list, ...).""
    Returns {url: html} of the pages answered 200 with HTML."""
    seen: dict[str, str] = {}
    queue = list(start)
    visited_keys: set[str] = set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
            continue
        query = dict(parse_qsl(parts.query))
        key = parts.path + "?" + ",".join(sorted(k for k in query if k != "as_of"))
        if key in visited_keys:
            continue
        visited_keys.add(key)
        r = client.get(url)
        if r.status_code in (301, 302, 303, 307):
            queue.append(r.headers["location"])
            continue
        assert r.status_code < 500, (url, r.status_code)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        seen[url] = r.text
        queue += visible(r.text)[1]
    return seen


@pytest.fixture
def demo(ctx):
    load_demo(ctx, DAY)
    # the demo's accounts, and the roles and languages it lacks (a Dutch coordinator, admins)
    for wid, name, role, lang in [("coord.nl", "Fenna Claes (fictief)", "coordinator", "nl"),
                                  ("admin.fr", "Gaëlle Lefèvre (fictive)", "admin", "fr"),
                                  ("admin.nl", "Hanne Wouters (fictief)", "admin", "nl")]:
        if all(w.id != wid for w in list_workers(ctx)):
            register_worker(ctx, wid, name, role, lang, actor="test")
    accounts = []
    for w in list_workers(ctx):
        set_password(ctx, w.id, PASSWORD)
        accounts.append((w.id, w.role, w.language))
    from raj_release.web.app import create_app

    return create_app(ctx, secret=b"test secret"), accounts


def _login(client: TestClient, who: str) -> str:
    page = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf})
    assert r.status_code == 303, (who, r.status_code)
    return r.headers["location"]


def _moved_page(client: TestClient, as_of: str, day: str) -> tuple[str, str]:
    """Move a hearing from the plan's form and follow back to the plan: the page with its « what moved »."""
    plan = client.get(f"/persons/DEMO-01?as_of={as_of}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', plan).group(1)
    version = re.search(r'action="/persons/DEMO-01/milestones".*?name="version" value="(\d+)"', plan, re.S).group(1)
    r = client.post(f"/persons/DEMO-01/milestones?as_of={as_of}",
                    data={"csrf": csrf, "version": version, "kind": "tap_hearing", "date": day,
                          "certainty": "expected"})
    assert r.status_code == 303, r.status_code
    url = r.headers["location"]
    return url, client.get(url).text


def test_no_page_of_the_demo_shows_a_code(demo, config):
    app, accounts = demo
    codes = _enum_codes() | _config_codes(config)
    worker_ids = {w[0] for w in accounts} | {w[0] for w in WORKERS}
    names = proper_names(config)
    roles_langs = {(role, lang) for _, role, lang in accounts}
    assert {("as", "fr"), ("as", "nl"), ("psy", "fr"), ("psy", "nl"), ("coordinator", "fr"),
            ("coordinator", "nl"), ("admin", "fr"), ("admin", "nl")} <= roles_langs
    problems: dict[str, set[str]] = {}
    pages = 0
    for wid, role, lang in accounts:
        client = TestClient(app, follow_redirects=False)
        landing = _login(client, wid)
        start = [landing, "/week", "/persons", "/dashboard", "/partners"]
        found = crawl(client, start)
        who = re.search(r'<span class="who">([^<]*)</span>', found["/week"]).group(1)  # the header: role in words
        assert who.endswith(f"({i18n.label(Role(role), lang)})"), who
        if role in ("as", "coordinator") and wid in ("as.dupont", "coord.martin"):
            url, html = _moved_page(client, DAY.isoformat(), "2027-05-18" if wid == "as.dupont" else "2027-06-08")
            box = html.split('id="moved"')[1].split("</div>")[0]
            assert box.count("<li>") > 3 and re.search(r"<li>[^<]+ : \d\d/\d\d/\d{4} → \d\d/\d\d/\d{4}</li>", box), box
            found[url] = html
        pages += len(found)
        allowed = FIELD_WORDS | ORDINARY[lang]
        pattern = _pattern(codes - allowed)
        ids = _pattern(worker_ids)
        for url, html in found.items():
            text, _links = visible(html)
            for name in names:
                text = text.replace(name, " ")
            sheet = re.search(r'<article class="handout" lang="(\w+)"', html)
            if sheet and sheet.group(1) != lang:  # the person's version is in the person's language
                more = ORDINARY[sheet.group(1)]
                bad = offending(text, _pattern(codes - allowed - more), allowed | more)
            else:
                bad = offending(text, pattern, allowed)
            if not urlsplit(url).path.startswith("/accounts"):  # the accounts pages name the logins
                bad |= {m.group(0) for m in ids.finditer(text)}
            if bad:
                problems[f"{wid} ({role}, {lang}) {url}"] = bad
    assert pages > 30
    assert not problems, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(problems.items()))


def test_the_check_finds_a_code_where_one_is_printed(config):
    """The check itself: a code glued in a sentence is found, a word of the language is not."""
    codes = _enum_codes() | _config_codes(config)
    allowed = FIELD_WORDS | ORDINARY["fr"]
    pattern = _pattern(codes - allowed)
    text, _ = visible("<p>Situation : condamne · <b>identite</b> <script>x='eid_check'</script>"
                      "<span title='cpas-demo'>Dépend de : intake_fiche</span> le 2026-08-03 en prison</p>")
    assert offending(text, pattern, allowed) == {"condamne", "identite", "intake_fiche", "2026-08-03"}
    assert not offending("Confirmée · CPAS fictif · le 03/08/2026 · TAP", pattern, allowed)


def test_a_forged_moved_notice_drops_what_it_does_not_know(demo):
    """The « what moved » of the URL is read back safely: an unknown key or a date that is not one is
    dropped, a forged value is never shown nor a 500."""
    app, _accounts = demo
    client = TestClient(app, follow_redirects=False)
    _login(client, "as.dupont")
    forged = ("nope:2026-01-01:2026-02-02,eid_check:2026-13-45:2026-12-11,eid_check::,"
              "<b>x</b>:2026-01-01:2026-01-02,eid_check:2026-11-06:2026-12-11,eid_renew::2027-01-04")
    r = client.get("/persons/DEMO-01", params={"moved": forged})
    assert r.status_code == 200
    box = r.text.split('id="moved"')[1].split("</div>")[0]
    assert box.count("<li>") == 2 and "nope" not in box and "&lt;b&gt;" not in box and "<b>" not in box
    assert "Vérifier eID, domicile, radiation : 06/11/2026 → 11/12/2026" in box
    assert "— → 04/01/2027" in box  # dated for the first time
    empty = client.get("/persons/DEMO-01", params={"moved": ""}).text
    assert "Aucune date n'a bougé." in empty.split('id="moved"')[1].split("</div>")[0]
