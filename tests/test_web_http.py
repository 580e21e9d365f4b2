"""The respondent web app over plain HTTP against a real uvicorn server, on SQLite and
PostgreSQL: what is recorded when, validation, CSRF, 404 sameness, limits, headers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from web_support import invitation_row, running_app, seed_invitation


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "page has no csrf field"
    return found.group(1)


@pytest.fixture
def web(rt):  # type: ignore[no-untyped-def]
    seeded = seed_invitation(rt)
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=20) as client:
        yield rt, seeded, client


def start(client: httpx.Client, token: str) -> str:
    csrf = csrf_of(client.get(f"/q/{token}").text)
    assert client.post(f"/q/{token}/keuze", data={"csrf": csrf, "keuze": "ja"}).status_code == 303
    return csrf


def answers(rt, invitation_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from quickcrm.quickscans.answers import Respondent, load_answers

    with rt.session(read_only=True) as s:
        return load_answers(s, Respondent(invitation_id=invitation_id))


def test_get_never_logs_in_but_the_first_post_does(web):
    rt, sd, client = web
    for path in ("", "/stap/1", "/overzicht"):
        assert client.get(f"/q/{sd.token}{path}").status_code == 200
    client.head(f"/q/{sd.token}")
    row = invitation_row(rt, sd.invitation_id)
    assert row.logged_in_at is None and row.not_interested_at is None
    start(client, sd.token)
    row = invitation_row(rt, sd.invitation_id)
    assert row.logged_in_at is not None and row.not_interested_at is None


def test_nee_records_not_interested_and_ends_politely(web):
    rt, sd, client = web
    csrf = csrf_of(client.get(f"/q/{sd.token}").text)
    response = client.post(f"/q/{sd.token}/keuze", data={"csrf": csrf, "keuze": "nee"},
                           follow_redirects=True)
    assert "Bedankt voor uw reactie" in response.text
    row = invitation_row(rt, sd.invitation_id)
    assert row.not_interested_at is not None and row.logged_in_at is not None
    # answering afterwards changes nothing
    client.post(f"/q/{sd.token}/antwoord", data={"csrf": csrf, "vraag": "leeftijd", "waarde": "ke1"})
    assert answers(rt, sd.invitation_id) == {}


@pytest.mark.parametrize(("question", "bad", "good"), [
    ("voorbereiding", "101", "55"),      # slider 0..100 step 5
    ("voorbereiding", "52", "50"),       # off the step
    ("pensioen", "abc", "-30"),          # slider -100..100 step 10
    ("leeftijd", "ke9", "ke2"),          # choice with 4 options
    ("zorgen", "0", "4"),                # rating 1..5
    ("tevredenheid", "7.5", "8"),        # rating: whole numbers
    ("toelichting", "x" * 1001, "kort"),  # open text, 1000 characters at most
])
def test_every_answer_is_validated_on_the_server(web, question, bad, good):
    rt, sd, client = web
    csrf = start(client, sd.token)
    json_headers = {"accept": "application/json"}
    refused = client.post(f"/q/{sd.token}/antwoord", headers=json_headers,
                          data={"csrf": csrf, "vraag": question, "waarde": bad})
    assert refused.status_code == 422 and refused.json()["fout"]
    assert question not in answers(rt, sd.invitation_id)
    accepted = client.post(f"/q/{sd.token}/antwoord", headers=json_headers,
                           data={"csrf": csrf, "vraag": question, "waarde": good})
    assert accepted.status_code == 200, accepted.text
    assert answers(rt, sd.invitation_id)[question] == good


def test_section_form_keeps_valid_answers_and_shows_dutch_errors(web):
    rt, sd, client = web
    csrf = start(client, sd.token)
    response = client.post(f"/q/{sd.token}/stap/2", data={
        "csrf": csrf, "ga": "volgende", "a-voorbereiding": "35", "a-afhankelijkheid": "9",
        "a-waarde": "ke1"})
    assert response.status_code == 422
    assert "Kies een waarde van 0 tot 5 in stappen van 1." in response.text
    assert answers(rt, sd.invitation_id) == {"voorbereiding": "35", "waarde": "ke1"}
    response = client.post(f"/q/{sd.token}/stap/2", data={
        "csrf": csrf, "ga": "volgende", "a-afhankelijkheid": "3"})
    assert response.status_code == 303 and response.headers["location"].endswith("/stap/3")


def test_posts_without_a_valid_csrf_token_or_from_another_site_are_refused(web):
    rt, sd, client = web
    csrf = csrf_of(client.get(f"/q/{sd.token}").text)
    for data, headers in (
        ({"keuze": "ja"}, {}),
        ({"keuze": "ja", "csrf": "0" * 64}, {}),
        ({"keuze": "ja", "csrf": csrf}, {"origin": "https://evil.example"}),
        ({"keuze": "ja", "csrf": csrf}, {"origin": "null", "sec-fetch-site": "cross-site"}),
        ({"keuze": "ja", "csrf": csrf}, {"sec-fetch-site": "cross-site"}),
    ):
        response = client.post(f"/q/{sd.token}/keuze", data=data, headers=headers)
        assert response.status_code == 403
        assert "Pagina verlopen" in response.text
    assert invitation_row(rt, sd.invitation_id).logged_in_at is None


def test_one_clients_token_never_reaches_another_clients_data(web):
    rt, sd, client = web
    other = seed_invitation(rt, number="000999", first_name="Bert", last_name="Bakker",
                            company="Bakkerij Bakker", client_email="bert@bakker.example")
    other_csrf = csrf_of(client.get(f"/q/{other.token}").text)
    page = client.get(f"/q/{sd.token}").text
    assert "Bakker" not in page and "Anna" in page
    refused = client.post(f"/q/{sd.token}/keuze", data={"csrf": other_csrf, "keuze": "ja"})
    assert refused.status_code == 403
    assert invitation_row(rt, sd.invitation_id).logged_in_at is None


def test_unknown_and_malformed_tokens_get_the_same_plain_404(web):
    rt, sd, client = web
    paths = ["/q/" + "A" * 32, "/q/x", "/q/" + "%3Cscript%3E", f"/q/{sd.preview_token}",
             f"/p/{sd.token}", "/p/" + "B" * 40, "/admin", f"/q/{'C' * 32}/overzicht"]
    responses = [client.get(p) for p in paths]
    assert {r.status_code for r in responses} == {404}
    assert len({r.text for r in responses}) == 1
    assert "Pagina niet gevonden" in responses[0].text
    assert sd.token not in responses[0].text


def test_token_guessing_is_rate_limited(rt):
    from quickcrm.web.security import FailureLimiter

    sd = seed_invitation(rt)
    with running_app(rt, limiter=FailureLimiter(limit=5, window=600)) as base, \
            httpx.Client(base_url=base) as client:
        assert client.get(f"/q/{sd.token}").status_code == 200
        for _ in range(10):  # what browsers fetch on their own is no guess
            assert client.get("/favicon.ico").status_code == 204
            assert client.get("/apple-touch-icon.png").status_code == 404
        codes = [client.get(f"/q/{'Z' * 30}{i:02d}").status_code for i in range(8)]
        assert codes[:5] == [404] * 5 and set(codes[5:]) == {429}
        # a valid link is never refused by the miss limiter (issue 25 item 3)
        assert client.get(f"/q/{sd.token}").status_code == 200


def test_security_headers_on_every_response(web):
    rt, sd, client = web
    for path in (f"/q/{sd.token}", f"/p/{sd.preview_token}", "/q/unknown-token-xx", "/static/app.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert "no-store" in client.get(f"/q/{sd.token}").headers["cache-control"]
    preview = client.get(f"/p/{sd.preview_token}")
    assert "noindex" in preview.headers["x-robots-tag"]
    assert '<meta name="robots" content="noindex' in preview.text


def test_request_size_is_limited(web):
    rt, sd, client = web
    csrf = start(client, sd.token)
    response = client.post(f"/q/{sd.token}/antwoord",
                           data={"csrf": csrf, "vraag": "toelichting", "waarde": "x" * 300_000})
    assert response.status_code == 413
    assert "toelichting" not in answers(rt, sd.invitation_id)


def test_preview_records_nothing(web):
    rt, sd, client = web
    before = invitation_row(rt, sd.invitation_id)
    page = client.get(f"/p/{sd.preview_token}")
    assert page.status_code == 200 and "Voorbeeld voor de relatiemanager" in page.text
    assert "<form" not in page.text and sd.token not in page.text
    assert invitation_row(rt, sd.invitation_id) == before


def test_closed_campaigns_links_keep_working_and_finishing_twice_sends_one_report(web):
    from sqlalchemy import update

    from quickcrm.campaigns.models import Campaign

    rt, sd, client = web
    with rt.session() as s:
        s.execute(update(Campaign).values(status="closed"))
        s.commit()
    csrf = start(client, sd.token)
    client.post(f"/q/{sd.token}/antwoord", data={"csrf": csrf, "vraag": "leeftijd", "waarde": "ke2"})
    first = client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf})
    second = client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf})
    assert first.status_code == second.status_code == 303
    row = invitation_row(rt, sd.invitation_id)
    assert row.finished_at is not None and row.report_sent_at is not None
    from quickcrm.mail.outbox import find_messages

    with rt.session(read_only=True) as s:
        kinds = sorted(m.kind for m in find_messages(s, ref=f"invitation:{sd.invitation_id}"))
    assert kinds == ["report", "report_rm"]
    late = client.post(f"/q/{sd.token}/antwoord", headers={"accept": "application/json"},
                       data={"csrf": csrf, "vraag": "termijn", "waarde": "ke1"})
    assert late.status_code == 409
    assert "termijn" not in answers(rt, sd.invitation_id)
    finished = client.get(f"/q/{sd.token}").text
    assert "Bedankt voor het invullen" in finished and "<form" not in finished


def test_finishing_an_update_quickscan_sets_the_update_face(rt):
    from sqlmodel import select

    from quickcrm.campaigns.models import Face
    from quickcrm.quickscans.models import QuickScan

    sd = seed_invitation(rt, quickscan="bedrijfsopvolging-update", campaign="Update 2027")
    with running_app(rt) as base, httpx.Client(base_url=base) as client:
        csrf = start(client, sd.token)
        for q, v in (("plannen", "ke3"), ("urgentie", "ke1"), ("voortgang", "80"),
                     ("vertrouwen", "5"), ("tevredenheid", "9")):
            client.post(f"/q/{sd.token}/antwoord", data={"csrf": csrf, "vraag": q, "waarde": v})
        client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf})
    with rt.session(read_only=True) as s:
        personal = s.exec(select(QuickScan).where(QuickScan.key == "bedrijfsopvolging")).one()
        face = s.get(Face, (sd.relation_id, personal.id))
    assert face is not None and face.update_face in ("1", "2", "3")


def test_report_command_writes_the_clients_pdf_and_pptx(rt, tmp_path: Path):
    import subprocess

    from pptx import Presentation
    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    sd = seed_invitation(rt)
    from quickcrm.quickscans.answers import Respondent, save_answer

    with rt.session() as s:
        save_answer(s, Respondent(invitation_id=sd.invitation_id), question_id="toelichting",
                    value="<script>alert(1)</script>", now=rt.clock.now())
        s.commit()
    env = {"QUICKCRM_DATABASE_URL": rt.settings.database_url}
    runner = CliRunner()
    out = tmp_path / "docs"
    result = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123",
                                 "--documents", str(out), "--json"], env=env)
    assert result.exit_code == 0, result.output
    pdf, pptx = sorted(out.glob("*.pdf")), sorted(out.glob("*.pptx"))
    assert len(pdf) == 1 and len(pptx) == 1
    text = subprocess.run(["pdftotext", str(pdf[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "<script>alert(1)</script>" in text and "De Vries Bouw" in text
    slides = Presentation(str(pptx[0])).slides
    assert len(slides) == 3 + 3 + 1  # title, agenda, summary, 3 sections, next steps
    bad = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "999999",
                              "--documents", str(out)], env=env)
    assert bad.exit_code == 1 and "not in campaign" in bad.output
    half = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123"], env=env)
    assert half.exit_code == 1 and "--client and --documents go together" in half.output
    # the client's own relationship manager may; another one is refused, writing nothing
    runner.invoke(app, ["user", "add", "other@firma.example", "-r", "rm"], env=env)
    own = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123", "--documents",
                              str(tmp_path / "own"), "--as", "rm@firma.example"], env=env)
    assert own.exit_code == 0, own.output
    other = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123", "--documents",
                                str(tmp_path / "other"), "--as", "other@firma.example"], env=env)
    assert other.exit_code == 1
    assert other.stderr.strip() == ("not permitted: reading another relationship manager's "
                                    "client report needs admin or coordinator")
    assert not (tmp_path / "other").exists()


def test_campaign_show_clients_tells_whether_the_report_was_received(web):
    import json

    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    rt, sd, client = web
    seed_invitation(rt, number="000777", client_email="c@klant.example")
    csrf = start(client, sd.token)
    client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf})
    env = {"QUICKCRM_DATABASE_URL": rt.settings.database_url}
    result = CliRunner().invoke(app, ["campaign", "show", "Voorjaar 2027", "--clients", "--json"],
                                env=env)
    assert result.exit_code == 0, result.output
    rows = {r["relation_number"]: r for r in json.loads(result.stdout)["clients"]}
    assert rows["000123"]["report_sent_at"] and rows["000123"]["logged_in_at"]
    assert rows["000777"]["report_sent_at"] is None
    human = CliRunner().invoke(app, ["campaign", "show", "Voorjaar 2027", "--clients"], env=env)
    assert "received 2026-11-23" in human.stdout and "invited" in human.stdout


def test_an_answer_checked_before_a_finish_in_another_tab_is_not_stored(rt):
    from quickcrm.campaigns.invitation import mark_finished
    from quickcrm.quickscans.steps import check_answers
    from quickcrm.web import respond

    sd = seed_invitation(rt)
    with rt.session(read_only=True) as s:
        scan = respond.find_scan(s, sd.token)
    assert scan is not None and scan.status == "new"
    changes, errors = check_answers(scan, {"leeftijd": "ke1"})
    assert changes == {"leeftijd": "ke1"} and errors == {}
    with rt.session() as s:  # the other tab presses Rapportage in between
        mark_finished(s, sd.invitation_id, rt.clock.now())
        s.commit()
    with rt.session() as s:
        assert respond.store_answers(s, scan, changes, now=rt.clock.now()) is False
    assert answers(rt, sd.invitation_id) == {}


def test_a_report_rendered_before_a_late_answer_is_rendered_again(rt, tmp_path: Path):
    import subprocess
    from email import message_from_bytes

    from quickcrm.web import respond

    sd = seed_invitation(rt)
    with rt.session() as s:
        scan = respond.find_scan(s, sd.token, lock=True)
        assert scan is not None
        respond.choose(s, scan, interested=True, now=rt.clock.now())
    with rt.session(read_only=True) as s:
        scan = respond.find_scan(s, sd.token)
    prepared = respond.prepare_report(scan, runtime=rt)  # Rapportage pressed in tab 1
    with rt.session() as s:  # tab 2 saves one more answer before tab 1 takes the lock
        respond.store_answers(s, scan, {"toelichting": "Laat antwoord uit tab twee"},
                              now=rt.clock.now())
    with rt.session() as s:
        fresh = respond.find_scan(s, sd.token, lock=True)
        assert respond.finish(s, fresh, runtime=rt, prepared=prepared) is True
    rt.deliver()
    mails = [message_from_bytes(p.read_bytes()) for p in (tmp_path / "outbox" / "new").iterdir()]
    to_client = next(m for m in mails if sd.client_email in str(m["To"]))
    pdf = next(p.get_payload(decode=True) for p in to_client.walk()
               if (p.get_filename() or "").endswith(".pdf"))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "Laat antwoord uit tab twee" in text
