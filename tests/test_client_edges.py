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
    data = {"csrf": csrf_of(page.text), "voornaam": f"Piet{NUL}", "achternaam": "Pro\x01spect",
            "bedrijf": f"{NUL}Bouw", "email": "piet@prospect.example", "toestemming": "ja"}
    r = client.post("/l/opvolging", data=data)
    assert r.status_code in (303, 422), r.text
    with rt.session(read_only=True) as s:
        people = [(v.first_name, v.last_name, v.company) for v in s.exec(select(LandingVisitor))]
    assert all(NUL not in "".join(p) for p in people)


@pytest.mark.parametrize("path", ["/q/{token}/antwoord", "/q/{token}/stap/1", "/q/{token}/keuze",
                                  "/q/{token}/rapportage", "/l/opvolging",
                                  "/l/opvolging/{token}/antwoord"])
def test_no_browser_input_gives_a_500(web: Any, path: str) -> None:
    rt, sd, client = web
    url = path.format(token=sd.token)
    odd_forms: list[dict[str, Any]] = [
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
