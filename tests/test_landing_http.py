"""Landing pages over plain HTTP against a real uvicorn server, on SQLite and PostgreSQL:
the double opt-in, prospects and known relations, and the abuse rules."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from typing import Any

import httpx
import pytest
from web_support import running_app

SLUG = "opvolging"
DETAILS = {"voornaam": "Piet", "achternaam": "Prospect", "bedrijf": "Prospect Bouw B.V.",
           "email": "piet@prospectbouw.example", "toestemming": "ja"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f.]+)"', html)
    assert found, "page has no csrf field"
    return found.group(1)


def make_page(rt: Any, slug: str = SLUG, rm: str | None = "rm@firma.example") -> None:
    from quickcrm.crm.users import Actor  # noqa: F401
    from quickcrm.landing.service import create_page
    from quickcrm.store.models import Team, User

    now = rt.clock.now()
    actor = rt.actor
    with rt.session() as s:
        if rm:
            team = Team(name="Utrecht")
            s.add(team)
            s.flush()
            s.add(User(email=rm, first_name="Rik", last_name="Manager", team_id=team.id,
                       signature="Rik Manager\nRelatiemanager", created_at=now))
            s.commit()
        from quickcrm import branding

        create_page(session=s, actor=actor, now=now, quickscan="bedrijfsopvolging",
                    slug=slug, rm=rm, title="Hoe goed is uw opvolging geregeld?",
                    brand=branding.from_settings(rt.settings))


@pytest.fixture
def site(db_url, clock, smtp_server):  # type: ignore[no-untyped-def]
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=db_url, env={"QUICKCRM_SMTP_URL": smtp_server.url},
                   clock=clock)
    make_page(rt)
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield rt, client, smtp_server
    rt.close()


def register(client: httpx.Client, answers: dict[str, str] | None = None,
             **extra: str) -> httpx.Response:
    """Answer the landing page's first questions (no details: those come with the
    report); a 303 to the visitor's next step."""
    csrf = csrf_of(client.get(f"/l/{SLUG}").text)
    return client.post(f"/l/{SLUG}", data={"csrf": csrf, "ga": "volgende",
                                           **(answers or {}), **extra})


def visitors(rt: Any) -> list[Any]:
    from sqlmodel import select

    from quickcrm.landing.models import LandingVisitor

    with rt.session(read_only=True) as s:
        return list(s.exec(select(LandingVisitor).order_by(LandingVisitor.id)).all())


def complete(client: httpx.Client, where: str, details: dict[str, str] | None = None) -> str:
    """Answer one question, press Rapportage with the details; returns the visitor's
    base path."""
    base = where.rsplit("/stap/", 1)[0]
    page = client.get(where).text
    csrf = csrf_of(page)
    r = client.post(f"{base}/stap/2", data={"csrf": csrf, "a-voorbereiding": "40",
                                            "ga": "volgende"})
    assert r.status_code == 303
    r = client.post(f"{base}/rapportage", data={"csrf": csrf, **(details or DETAILS)},
                    follow_redirects=True)
    assert "Bevestig uw e-mailadres" in r.text
    return base


def wait_mail(smtp: Any, n: int, timeout: float = 20) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(smtp.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return [message_from_bytes(raw) for _f, _t, raw in smtp.messages]


def body(msg: Any) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset()))
    return ""


def test_page_has_social_tags_and_counts_visits(site):
    rt, client, _smtp = site
    r = client.get(f"/l/{SLUG}")
    assert r.status_code == 200
    html = r.text
    assert 'property="og:title" content="Hoe goed is uw opvolging geregeld?"' in html
    assert 'property="og:image" content="http://localhost:8000/l/opvolging/og.png"' in html
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert "Ik geef toestemming" not in html and 'name="email"' not in html  # asked at the end
    assert 'name="a-leeftijd"' in html  # the first questions come first
    assert "Rik Manager" in html and 'href="mailto:rm@firma.example"' in html  # the page's RM
    assert client.get("/static/landing.png").headers["content-type"] == "image/png"
    from quickcrm.landing.service import show_page

    with rt.session(read_only=True) as s:
        assert show_page(session=s, slug=SLUG)["visits"] == 1


def test_unconfirmed_visitor_gets_only_the_confirmation_then_the_report(site):
    rt, client, smtp = site
    r = register(client)
    assert r.status_code == 303
    base = complete(client, r.headers["location"])
    msgs = wait_mail(smtp, 1)
    time.sleep(0.5)
    assert len(smtp.messages) == 1  # no report before confirmation
    assert msgs[0]["To"].endswith("<piet@prospectbouw.example>")
    assert not any(p.get_content_type() == "application/pdf" for p in msgs[0].walk())
    v = visitors(rt)[0]
    assert v.completed_at is not None and v.confirmed_at is None and v.relation_id is None
    assert v.consent_text.startswith("Ik geef toestemming") and v.consent_at is not None
    link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)", body(msgs[0])).group(1)
    # opening the link (a mail scanner) confirms nothing; the button does
    page = client.get(link)
    assert page.status_code == 200 and len(visitors(rt)) == 1
    assert visitors(rt)[0].confirmed_at is None
    done = client.post(link, data={"csrf": csrf_of(page.text)}, follow_redirects=True)
    assert "Uw e-mailadres is bevestigd" in done.text
    msgs = wait_mail(smtp, 4)
    assert len(msgs) == 4
    by_to = {(m["To"], m["Subject"]) for m in msgs}
    assert any("rm@firma.example" in to and subj.startswith("Nieuwe prospect") for to, subj in by_to)
    reports = [m for m in msgs if m["Subject"].startswith("Uw rapportage")]
    assert {m["To"].split("<")[-1] for m in reports} == {"piet@prospectbouw.example>",
                                                         "rm@firma.example>"}
    # confirming twice sends nothing more
    client.post(link, data={"csrf": csrf_of(page.text)})
    time.sleep(0.5)
    assert len(smtp.messages) == 4
    from sqlmodel import select

    from quickcrm.store.models import Event, Person, Relation, User

    v = visitors(rt)[0]
    with rt.session(read_only=True) as s:
        rel = s.get(Relation, v.relation_id)
        person = s.get(Person, v.person_id)
        rm = s.get(User, rel.rm_id)
        events = list(s.exec(select(Event.kind).where(Event.relation_id == rel.id)).all())
    assert rel.stage == "prospect" and rel.number == "LP000001"
    assert rel.company == "Prospect Bouw B.V." and rm.email == "rm@firma.example"
    assert person.email == "piet@prospectbouw.example" and person.first_name == "Piet"
    assert "landing.completed" in events
    assert client.get(base).status_code == 200


def test_known_customer_is_linked_and_keeps_their_stage(site):
    rt, client, smtp = site
    from sqlmodel import select

    from quickcrm.store.models import Person, Relation

    now = rt.clock.now()
    with rt.session() as s:
        rel = Relation(number="000777", company="Klant BV", stage="customer", created_at=now)
        s.add(rel)
        s.flush()
        s.add(Person(relation_id=rel.id, first_name="Karin", last_name="Klant",
                     email="Karin@Klant.example", campaign_contact=True, created_at=now))
        s.commit()
        rel_id = rel.id
    details = {**DETAILS, "email": "karin@klant.example", "voornaam": "Karin"}
    r = register(client)
    complete(client, r.headers["location"], details)
    link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)",
                     body(wait_mail(smtp, 1)[0])).group(1)
    client.post(link, data={"csrf": csrf_of(client.get(link).text)})
    wait_mail(smtp, 4)
    v = visitors(rt)[0]
    with rt.session(read_only=True) as s:
        assert v.relation_id == rel_id and not v.new_prospect
        assert s.get(Relation, rel_id).stage == "customer"
        assert len(s.exec(select(Relation.id)).all()) == 1


def test_honeypot_csrf_and_validation(site):
    rt, client, _smtp = site
    r = register(client, website="http://spam.example")
    assert r.status_code == 200 and visitors(rt) == []
    r = client.post(f"/l/{SLUG}", data={"csrf": "1.abc", "a-leeftijd": "ke1"})
    assert r.status_code == 403 and visitors(rt) == []
    r = client.post(f"/l/{SLUG}", data={"csrf": csrf_of(client.get(f"/l/{SLUG}").text)},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = register(client, {"a-leeftijd": "ke9"})  # a refused first answer: no visitor yet
    assert r.status_code == 422 and "Kies een van de antwoorden" in r.text
    assert visitors(rt) == []
    big = client.post(f"/l/{SLUG}", content=b"x" * (300 * 1024),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    r = register(client, {"a-leeftijd": "ke2"})
    base = r.headers["location"].rsplit("/stap/", 1)[0]
    csrf = csrf_of(client.get(r.headers["location"]).text)
    r = client.post(f"{base}/rapportage", data={"csrf": csrf, **DETAILS, "toestemming": "",
                                                "email": "geen-adres"})
    assert r.status_code == 422
    assert "Zonder uw toestemming" in r.text and "geen geldig e-mailadres" in r.text
    assert 'value="Piet"' in r.text  # what was typed stays
    assert visitors(rt)[0].completed_at is None and visitors(rt)[0].email == ""
    # a visitor's page with another visitor's CSRF token is refused
    assert client.post(f"{base}/rapportage", data={"csrf": "0" * 64}).status_code == 403


def test_rate_limits_per_address_and_per_ip(site):
    rt, client, _smtp = site
    from quickcrm.landing import visitors as lv

    for _ in range(lv.PER_EMAIL):
        complete(client, register(client).headers["location"])
    r = register(client)
    base = r.headers["location"].rsplit("/stap/", 1)[0]
    csrf = csrf_of(client.get(r.headers["location"]).text)
    assert client.post(f"{base}/rapportage", data={"csrf": csrf, **DETAILS}).status_code == 429
    n = lv.PER_EMAIL + 1
    while n < lv.PER_ADDRESS:
        assert register(client).status_code == 303
        n += 1
    assert register(client).status_code == 429
    assert len(visitors(rt)) == lv.PER_ADDRESS


def test_closed_page_is_polite(site):
    rt, client, _smtp = site
    from quickcrm.landing.service import close_page

    csrf = csrf_of(client.get(f"/l/{SLUG}").text)
    with rt.session() as s:
        close_page(session=s, actor=rt.actor, now=rt.clock.now(), slug=SLUG)
    r = client.get(f"/l/{SLUG}")
    assert r.status_code == 410 and "gesloten" in r.text
    r = client.post(f"/l/{SLUG}", data={"csrf": csrf, "a-leeftijd": "ke1"})
    assert r.status_code == 410 and visitors(rt) == []
    assert client.get("/l/bestaat-niet").status_code == 404


def test_answers_are_saved_one_at_a_time_until_completed(site):
    rt, client, _smtp = site
    from quickcrm.quickscans.answers import Respondent, load_answers

    r = register(client)
    base = r.headers["location"].rsplit("/stap/", 1)[0]
    csrf = csrf_of(client.get(f"{base}/stap/1").text)
    json_ = {"Accept": "application/json"}
    ok = client.post(f"{base}/antwoord", data={"csrf": csrf, "vraag": "leeftijd",
                                              "waarde": "ke3"}, headers=json_)
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    bad = client.post(f"{base}/antwoord", data={"csrf": csrf, "vraag": "voorbereiding",
                                               "waarde": "7"}, headers=json_)
    assert bad.status_code == 422 and "Kies een waarde" in bad.json()["fout"]
    unknown = client.post(f"{base}/antwoord", data={"csrf": csrf, "vraag": "bestaat-niet",
                                                   "waarde": "ke1"}, headers=json_)
    assert unknown.status_code == 422 and unknown.json()["fout"] == "Onbekende vraag."
    vid = visitors(rt)[0].id
    with rt.session(read_only=True) as s:
        assert load_answers(s, Respondent(landing_visitor_id=vid)) == {"leeftijd": "ke3"}
    client.post(f"{base}/rapportage", data={"csrf": csrf, **DETAILS})
    late = client.post(f"{base}/antwoord", data={"csrf": csrf, "vraag": "leeftijd",
                                                "waarde": "ke1"}, headers=json_)
    assert late.status_code == 409
    with rt.session(read_only=True) as s:
        assert load_answers(s, Respondent(landing_visitor_id=vid)) == {"leeftijd": "ke3"}


def test_confirmation_link_expires_and_known_relation_notice(site, clock):
    rt, client, smtp = site
    r = register(client)
    complete(client, r.headers["location"])
    link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)",
                     body(wait_mail(smtp, 1)[0])).group(1)
    csrf = csrf_of(client.get(link).text)
    clock.advance(days=31)
    page = client.get(link)
    assert page.status_code == 410 and "verlopen" in page.text
    assert client.post(link, data={"csrf": csrf}).status_code == 410
    time.sleep(0.5)
    assert len(smtp.messages) == 1 and visitors(rt)[0].confirmed_at is None
    # the same person again, now confirmed in time: a new prospect, then a known relation
    clock.advance(days=1)
    for expected in ("Nieuwe prospect", "Bestaande relatie"):
        before = len(smtp.messages)
        r = register(client)
        complete(client, r.headers["location"])
        msgs = wait_mail(smtp, before + 1)
        link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)",
                         body(msgs[-1])).group(1)
        client.post(link, data={"csrf": csrf_of(client.get(link).text)})
        msgs = wait_mail(smtp, before + 4)
        assert any(m["Subject"].startswith(expected) for m in msgs[before:])
    from sqlmodel import select

    from quickcrm.store.models import Relation

    with rt.session(read_only=True) as s:
        assert [r.stage for r in s.exec(select(Relation)).all()] == ["prospect"]


def test_the_page_is_indexable_with_its_own_image_and_frames_only_where_allowed(site):
    """Issue 25 item 10: search engines may show the page itself (not a visitor's
    pages), each page has its own image, and framing follows web.frame_ancestors."""
    rt, client, _smtp = site
    import io

    from PIL import Image

    page = client.get(f"/l/{SLUG}")
    assert "x-robots-tag" not in page.headers or "noindex" not in page.headers["x-robots-tag"]
    assert '<meta name="robots"' not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    make_page(rt, slug="tweede", rm=None)
    with rt.session() as s:
        from sqlmodel import select

        from quickcrm.landing.models import LandingPage
        tweede = s.exec(select(LandingPage).where(LandingPage.slug == "tweede")).one()
        assert tweede.intro.startswith("Vroeg of laat") and "relatiemanager" not in tweede.intro
    first, second = client.get(f"/l/{SLUG}/og.png"), client.get("/l/tweede/og.png")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(first.content)).size == (1200, 630)
    generic = client.get("/static/landing.png").content
    assert first.content != generic and second.content != generic
    r = register(client)
    assert "noindex" in client.get(r.headers["location"]).headers["x-robots-tag"]


def test_frame_ancestors_come_from_the_setting(sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.errors import ConfigError
    from quickcrm.web.app import create_app

    rt = bootstrap(database_url=sqlite_url, env={
        "QUICKCRM_FRAME_ANCESTORS": "https://www.firma.nl https://intranet.firma.nl"},
        clock=clock)
    make_page(rt, rm=None)
    with running_app(rt) as base, httpx.Client(base_url=base) as client:
        landing = client.get(f"/l/{SLUG}").headers
        assert "frame-ancestors https://www.firma.nl https://intranet.firma.nl" \
            in landing["content-security-policy"]
        assert "x-frame-options" not in landing
        other = client.get("/privacy").headers  # the client's own pages never
        assert "frame-ancestors 'none'" in other["content-security-policy"]
        assert other["x-frame-options"] == "DENY"
    rt.close()
    bad = bootstrap(database_url=sqlite_url, env={
        "QUICKCRM_FRAME_ANCESTORS": "https://www.firma.nl; script-src *"}, clock=clock)
    with pytest.raises(ConfigError, match="web.frame_ancestors"):
        create_app(bad)
    bad.close()
