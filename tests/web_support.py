"""Helpers for the web app tests: seed a client with an invitation straight through the
ORM (the campaign send is another issue's), and run the app under a real uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@dataclass
class Seeded:
    invitation_id: int
    token: str
    preview_token: str
    relation_id: int
    client_email: str
    rm_email: str


def seed_invitation(rt: Any, *, quickscan: str = "bedrijfsopvolging", number: str = "000123",
                    campaign: str = "Voorjaar 2027", first_name: str = "Anna",
                    last_name: str = "de Vries", company: str = "De Vries Bouw B.V.",
                    client_email: str = "anna@devriesbouw.example",
                    rm_email: str = "rm@firma.example", status: str = "sent") -> Seeded:
    """One team, RM, relation, person, campaign, campaign client and invitation."""
    from sqlmodel import select

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import Campaign, CampaignClient
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.quickscans.guards import new_token
    from quickcrm.store.models import Person, Relation, Team, User

    now = rt.clock.now()
    admin = rt.actor
    with rt.session() as s:
        qs = get_quickscan(session=s, key=quickscan, now=now)
        team = s.exec(select(Team).where(Team.name == "Utrecht")).first() or Team(name="Utrecht")
        s.add(team)
        s.flush()
        rm = s.exec(select(User).where(User.email == rm_email)).first()
        if rm is None:
            rm = User(email=rm_email, first_name="Rik", last_name="Manager", team_id=team.id,
                      signature="Rik Manager\nRelatiemanager", created_at=now)
            s.add(rm)
            s.flush()
        rel = Relation(number=number, company=company, city="Utrecht", team_id=team.id,
                       rm_id=rm.id, created_at=now, updated_at=now)
        s.add(rel)
        s.flush()
        person = Person(relation_id=rel.id, first_name=first_name, last_name=last_name,
                        email=client_email, campaign_contact=True, created_at=now)
        s.add(person)
        camp = s.exec(select(Campaign).where(Campaign.name == campaign)).first()
        if camp is None:
            camp = Campaign(name=campaign, quickscan_id=qs.id, coordinator_id=admin.id,
                            status=status, created_at=now, sent_at=now)
            s.add(camp)
        s.flush()
        cc = CampaignClient(campaign_id=camp.id, relation_id=rel.id, relation_number=number,
                            person_id=person.id, first_name=first_name, last_name=last_name,
                            email=client_email, company=company, team_name="Utrecht",
                            rm_id=rm.id)
        s.add(cc)
        s.flush()
        inv = Invitation(campaign_id=camp.id, campaign_client_id=cc.id, relation_id=rel.id,
                         token=new_token(), preview_token=new_token(), invited_at=now)
        s.add(inv)
        s.commit()
        return Seeded(inv.id, inv.token, inv.preview_token, rel.id, client_email, rm_email)


def invitation_row(rt: Any, invitation_id: int) -> Any:
    from quickcrm.campaigns.invitation import Invitation

    with rt.session(read_only=True) as s:
        return s.get(Invitation, invitation_id)


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    """Poll predicate until it returns something truthy (returned); fail after timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def fits_width(page: Any) -> bool:
    """Whether a Playwright page shows without sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(rt: Any, **app_options: Any) -> Iterator[str]:
    """The web app under a real uvicorn server in a thread; yields its base URL."""
    import uvicorn

    from quickcrm.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(rt, **app_options), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
