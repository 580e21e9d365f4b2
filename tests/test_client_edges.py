"""What a browser can send that the respondent pages must survive, on SQLite and
PostgreSQL (issue 25 items 2 and 3): NUL and other control characters in every text field,
odd CSRF values, files and broken forms, streamed bodies over the limit — never a 500 —
and a miss limiter that never refuses a valid link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web_support import invitation_row, running_app, seed_invitation

NUL = "\x00"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f.]+)"', html)
    assert found, "page has no csrf field"
    return found.group(1)


def answers(rt: Any, invitation_id: int) -> dict[str, str]:
    from quickcrm.quickscans.answers import Respondent, load_answers

    with rt.session(read_only=True) as s:
        return load_answers(s, Respondent(invitation_id=invitation_id))


@pytest.fixture
def web(rt: Any) -> Iterator[tuple[Any, Any, httpx.Client]]:
    from test_landing_http import make_page

    seeded = seed_invitation(rt)
    make_page(rt, rm=None)
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=20) as client:
        yield rt, seeded, client


def set_optout_token(rt: Any, invitation_id: int) -> str:
    """Give the seeded invitation the opt-out token a sent one has."""
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.quickscans.guards import new_token

    token = new_token()
    with rt.session() as s:
        inv = s.get(Invitation, invitation_id)
        inv.optout_token = token
        s.add(inv)
        s.commit()
    return token


def started(client: httpx.Client, token: str) -> str:
    csrf = csrf_of(client.get(f"/q/{token}").text)
    assert client.post(f"/q/{token}/keuze", data={"csrf": csrf, "keuze": "ja"}).status_code == 303
    return csrf


def test_nul_bytes_in_answers_are_cleaned_not_a_500(web: Any) -> None:
    rt, sd, client = web
    csrf = started(client, sd.token)
    saved = client.post(f"/q/{sd.token}/antwoord", headers={"accept": "application/json"},
                        data={"csrf": csrf, "vraag": "toelichting",
                              "waarde": f"Graag{NUL} een\x07gesprek\r\nin maart"})
    assert saved.status_code == 200, saved.text
    assert answers(rt, sd.invitation_id)["toelichting"] == "Graag een gesprek\nin maart"
    form = client.post(f"/q/{sd.token}/stap/3", data={
        "csrf": csrf, "ga": "opslaan", "a-toelichting": f"{NUL}{NUL}Tweede{NUL} versie",
        "a-zorgen": f"4{NUL}"})
    assert form.status_code == 303
    assert answers(rt, sd.invitation_id)["toelichting"] == "Tweede versie"
    assert answers(rt, sd.invitation_id)["zorgen"] == "4"
    # a control character in the question id makes an unknown question, said in Dutch
    odd = client.post(f"/q/{sd.token}/antwoord", headers={"accept": "application/json"},
                      data={"csrf": csrf, "vraag": "toe\x01lichting", "waarde": "x"})
    assert odd.status_code == 422 and odd.json()["fout"] == "Onbekende vraag."


def test_nul_bytes_in_the_landing_sign_up_are_cleaned(web: Any) -> None:
    rt, _sd, client = web
    from sqlmodel import select

    from quickcrm.landing.models import LandingVisitor

    page = client.get("/l/opvolging")
    first = client.post("/l/opvolging", data={"csrf": csrf_of(page.text), "ga": "volgende",
                                              "a-leeftijd": f"ke1{NUL}"})
    assert first.status_code == 303, first.text
    where = first.headers["location"]
    base = where.rsplit("/stap/", 1)[0]
    csrf = csrf_of(client.get(where).text)
    r = client.post(f"{base}/rapportage", data={
        "csrf": csrf, "voornaam": f"Piet{NUL}", "achternaam": "Pro\x01spect",
        "bedrijf": f"{NUL}Bouw", "email": f"piet@prospect.example{NUL}", "toestemming": "ja"})
    assert r.status_code == 303, r.text
    with rt.session(read_only=True) as s:
        v = s.exec(select(LandingVisitor)).one()
    assert (v.first_name, v.last_name, v.company, v.email) == (
        "Piet", "Pro spect", "Bouw", "piet@prospect.example")
    assert v.completed_at is not None


@pytest.mark.parametrize("path", ["/q/{token}/antwoord", "/q/{token}/stap/1", "/q/{token}/keuze",
                                  "/q/{token}/rapportage", "/q/{token}/ongedaan",
                                  "/l/opvolging", "/l/opvolging/{visitor}/antwoord",
                                  "/l/opvolging/{visitor}/stap/2",
                                  "/l/opvolging/{visitor}/rapportage"])
def test_no_browser_input_gives_a_500(web: Any, path: str) -> None:
    rt, sd, client = web
    visitor = ""
    if "{visitor}" in path:
        first = client.post("/l/opvolging", data={
            "csrf": csrf_of(client.get("/l/opvolging").text), "a-leeftijd": "ke1"})
        visitor = first.headers["location"].split("/")[3]
    url = path.format(token=sd.token, visitor=visitor)
    page = (f"/l/opvolging/{visitor}/stap/2" if visitor else
            "/l/opvolging" if path.startswith("/l/") else f"/q/{sd.token}")
    real = csrf_of(client.get(page).text)
    odd_forms: list[dict[str, Any]] = [
        {"data": {"csrf": real, **{k: f"{NUL}x{NUL}\x7f" for k in (
            "vraag", "waarde", "a-toelichting", "a-voorbereiding", "a-leeftijd", "voornaam",
            "achternaam", "bedrijf", "email", "toestemming", "keuze", "code", "ga")}}},
        {"data": {"csrf": NUL * 3, "vraag": NUL, "waarde": NUL}},
        {"data": {"csrf": "é" * 64, "keuze": "ja"}},            # non-ASCII CSRF
        {"data": {"csrf": "²³.abc"}},                           # digits Python calls digits
        {"content": b"csrf=%00%ff%fe&waarde=%C0%AF%ED%A0%80&%00=%00&vraag=toelichting",
         "headers": {"content-type": "application/x-www-form-urlencoded"}},
        {"files": {"upload": ("a.txt", b"hello")}, "data": {"csrf": "x"}},
        {"content": b"--broken\r\nnonsense", "headers": {"content-type":
                                                         "multipart/form-data; boundary=broken"}},
        {"content": "&".join(f"f{i}=1" for i in range(1000)).encode(),
         "headers": {"content-type": "application/x-www-form-urlencoded"}},
        {"content": b"{\"json\": true}", "headers": {"content-type": "application/json"}},
    ]
    for kwargs in odd_forms:
        response = client.post(url, **kwargs)
        assert response.status_code < 500, (kwargs, response.status_code, response.text[:200])
        if response.status_code == 400:
            assert "Dit formulier kon niet worden verwerkt" in response.text
    for odd_path in ("/l/%00", f"/l/opvolging/{sd.token}%00", "/q/%00" + "A" * 30,
                     "/l/opvolging/bevestig/%00", "/l/%C0%AF", "/q/%ff%fe"):
        assert client.get(odd_path).status_code == 404, odd_path
    assert invitation_row(rt, sd.invitation_id).finished_at is None


def test_a_streamed_body_over_the_limit_is_413_not_500(web: Any) -> None:
    rt, sd, client = web
    csrf = started(client, sd.token)

    def chunks() -> Iterator[bytes]:
        yield f"csrf={csrf}&vraag=toelichting&waarde=".encode()
        for _ in range(40):
            yield b"x" * 8192  # 320 KiB in all, without a Content-Length

    r = client.post(f"/q/{sd.token}/antwoord", content=chunks(),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "te groot" in r.text
    assert "toelichting" not in answers(rt, sd.invitation_id)

    def small() -> Iterator[bytes]:  # a streamed body that fits is read as usual
        yield f"csrf={csrf}&vraag=toelichting&".encode()
        yield b"waarde=Gestreamd"

    r = client.post(f"/q/{sd.token}/antwoord", content=small(),
                    headers={"content-type": "application/x-www-form-urlencoded",
                             "accept": "application/json"})
    assert r.status_code == 200, r.text
    assert answers(rt, sd.invitation_id)["toelichting"] == "Gestreamd"


def test_the_miss_limiter_never_refuses_a_valid_link(rt: Any) -> None:
    from test_landing_http import make_page

    from quickcrm.web.security import FailureLimiter

    sd = seed_invitation(rt)
    make_page(rt, rm=None)
    with running_app(rt, limiter=FailureLimiter(limit=3, window=600)) as base, \
            httpx.Client(base_url=base) as office:
        for i in range(6):  # someone in the office mistypes links
            office.get(f"/q/{'Z' * 30}{i:02d}")
        assert office.get(f"/q/{'Y' * 32}").status_code == 429  # misses stay limited
        assert office.get("/l/bestaat-niet").status_code == 429
        # ... while a colleague's valid link, its pages, posts and the landing page work
        assert office.get(f"/q/{sd.token}").status_code == 200
        csrf = started(office, sd.token)
        assert office.get(f"/q/{sd.token}/stap/1").status_code == 200
        r = office.post(f"/q/{sd.token}/antwoord", headers={"accept": "application/json"},
                        data={"csrf": csrf, "vraag": "leeftijd", "waarde": "ke1"})
        assert r.status_code == 200 and answers(rt, sd.invitation_id) == {"leeftijd": "ke1"}
        assert office.get(f"/p/{sd.preview_token}").status_code == 200
        assert office.get("/l/opvolging").status_code == 200
        optout = set_optout_token(rt, sd.invitation_id)
        assert office.get(f"/u/{optout}").status_code == 200
        assert office.post(f"/u/{optout}", data={"bevestigd": "ja"}).status_code == 200
        assert office.post(f"/u/{'X' * 32}", data={"bevestigd": "ja"}).status_code == 429


def test_clients_read_the_client_text_never_the_staff_explanation(web: Any) -> None:
    """Issue 25 item 5: hints written for staff stay with staff."""
    rt, sd, client = web
    started(client, sd.token)
    pages = "".join(client.get(f"/q/{sd.token}/stap/{n}").text for n in (1, 2, 3))
    pages += client.get("/l/opvolging").text
    for staff in ("Een ja/nee-vraag.", "Geeft de relatiemanager richting",
                  "Vrije tekst van ten hoogste 1000 tekens"):
        assert staff not in pages
    assert "Een schatting is genoeg." in pages  # the shipped QuickScan's client text
    assert "BOR staat voor bedrijfsopvolgingsregeling." in pages
    # the relationship manager's preview shows the staff's explanation, marked as theirs
    preview = client.get(f"/p/{sd.preview_token}").text
    assert "Toelichting voor u (de klant ziet deze niet): Geeft de relatiemanager" in preview


def test_slider_labels_and_client_text_are_checked_in_a_definition() -> None:
    import tomllib

    from quickcrm.errors import FileProblems
    from quickcrm.quickscans.schema import parse_definition
    from quickcrm.resources import templates_dir as tdir

    data = tomllib.loads((tdir() / "quickscans" / "bedrijfsopvolging.toml").read_text())
    slider = data["sections"][1]["questions"][1]  # afhankelijkheid, 0..5
    slider["labels"] = ["a", "b", "c", "d", "e"]  # six values leave room for four
    slider["client_text"] = 5
    with pytest.raises(FileProblems) as err:
        parse_definition(data, "eigen.toml")
    text = str(err.value)
    assert "eigen.toml: sections[2].questions[2].labels: 5 labels do not fit" in text
    assert "sections[2].questions[2].client_text: must be text" in text
