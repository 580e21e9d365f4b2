"""Campaigns: create, show, finalize (the freeze), close, and who may manage them.

Also home of ``add_clients``, the small helper the selection and exclusion tests use to
put teams, relationship managers, clients, contacts and faces in the store without the
importer.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import select

from quickcrm.errors import InvalidInput, InvalidState, NotFound, NotPermitted

QS = "bedrijfsopvolging"
RM1, RM2 = "rm.utrecht@kantoor.example", "rm.zwolle@kantoor.example"


def add_user(rt: Any, email: str, right: str = "relationship-manager", team: str | None = None) -> int:
    from quickcrm.crm.users import add_user as add

    with rt.session() as s:
        add(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
            first_name=email.split(".")[0].title(), last_name=email.split("@")[0].split(".")[-1].title(),
            team=team, rights=[right])
        from quickcrm.store.models import User

        return s.exec(select(User.id).where(User.email == email)).one()


def add_clients(rt: Any, *specs: dict[str, Any], quickscan: str = QS) -> None:
    """Insert clients through the ORM. Each spec: number, and optionally team, rm (e-mail,
    created as an RM when new), industry, size, ownership, client_group, faces (a
    3-tuple of '1'/'2'/'3'/None, or None for no face row), email, opted_out, contact
    (False: no campaign contact), received_at, stage, company."""
    from quickcrm.campaigns.models import Face
    from quickcrm.crm.users import get_or_create_team
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.store.models import Person, Relation, User, UserRight

    now = rt.clock.now()
    _ = rt.actor
    with rt.session() as s:
        qs = get_quickscan(session=s, key=quickscan, now=now)
        users: dict[str, int] = {}
        for spec in specs:
            team = get_or_create_team(s, spec.get("team", "Utrecht"))
            rm_email = spec.get("rm", RM1)
            if rm_email not in users:
                user = s.exec(select(User).where(User.email == rm_email)).first()
                if user is None:
                    first, last = rm_email.split("@")[0].split(".")
                    user = User(email=rm_email, first_name=first.title(), last_name=last.title(),
                                created_at=now)
                    s.add(user)
                    s.flush()
                    s.add(UserRight(user_id=user.id, right="relationship-manager"))
                users[rm_email] = user.id  # type: ignore[assignment]
            number = spec["number"]
            rel = Relation(number=number, company=spec.get("company", f"Bedrijf {number} B.V."),
                           industry=spec.get("industry", "7"), size=spec.get("size", "2"),
                           ownership=spec.get("ownership", "B"),
                           client_group=spec.get("client_group", "A"), team_id=team.id,
                           rm_id=users[rm_email], stage=spec.get("stage", "customer"),
                           created_at=now, updated_at=now)
            s.add(rel)
            s.flush()
            if spec.get("contact", True):
                s.add(Person(relation_id=rel.id, first_name="Klant", last_name=number,
                             email=spec.get("email", f"klant{number}@example.nl"),
                             opted_out=spec.get("opted_out", False), campaign_contact=True,
                             created_at=now))
            faces = spec.get("faces", ("1", "1", "1"))
            if faces is not None:
                p, u, r = faces
                s.add(Face(relation_id=rel.id, quickscan_id=qs.id, profile_face=p,
                           profile_at=now if p else None, update_face=u,
                           update_at=now if u else None, rm_face=r, rm_at=now if r else None,
                           received_at=spec.get("received_at")))
        s.commit()


def new_campaign(rt: Any, name: str = "Voorjaar", quickscan: str = QS) -> Any:
    from quickcrm.campaigns.campaign import create_campaign

    with rt.session() as s:
        return create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name=name,
                               quickscan=quickscan, coordinator="admin@quickcrm.example")


def run_select(rt: Any, campaign: str = "Voorjaar", policy: str = "default", **refine: Any) -> Any:
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.selection import select_clients

    with rt.session() as s:
        return select_clients(session=s, actor=rt.actor, now=rt.clock.now(), campaign=campaign,
                              criteria=Refinements(**refine), policy=policy)


def test_create_list_show_and_unknowns(rt):
    out = new_campaign(rt)
    assert (out.name, out.quickscan, out.status) == ("Voorjaar", QS, "draft")
    from quickcrm.campaigns.campaign import create_campaign, list_campaigns, show_campaign

    with rt.session() as s:
        with pytest.raises(InvalidState, match="already exists"):
            create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Voorjaar",
                            quickscan=QS, coordinator="admin@quickcrm.example")
        with pytest.raises(NotFound, match="unknown coordinator"):
            create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Najaar",
                            quickscan=QS, coordinator="nobody@kantoor.example")
        with pytest.raises(NotFound, match="unknown quickscan 'nope'"):
            create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Najaar",
                            quickscan="nope", coordinator="admin@quickcrm.example")
        assert [c["name"] for c in list_campaigns(session=s)] == ["Voorjaar"]
        by_id = show_campaign(session=s, campaign=str(out.id))
        assert by_id["name"] == "Voorjaar" and by_id["selected"] == 0
        with pytest.raises(NotFound, match="unknown campaign 'Zomer'"):
            show_campaign(session=s, campaign="Zomer")


def test_finalize_freezes_the_selection(rt):
    from quickcrm.campaigns.campaign import finalize_campaign, show_campaign
    from quickcrm.campaigns.exclusions import change_exclusions
    from quickcrm.store.models import Person, Relation

    add_clients(rt, {"number": "1001"}, {"number": "1002"}, {"number": "1003"})
    new_campaign(rt)
    run_select(rt)
    with rt.session() as s:
        change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                          numbers=["1003"])
        out = finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
    assert out.status == "final"
    new_rm = add_user(rt, "nieuwe.rm@kantoor.example")
    with rt.session() as s:
        person = s.exec(select(Person).join(Relation).where(Relation.number == "1001")).one()
        person.email = "ander.adres@example.nl"
        rel = s.exec(select(Relation).where(Relation.number == "1002")).one()
        rel.rm_id = new_rm
        s.add_all([person, rel])
        s.commit()
    with rt.session() as s:
        shown = show_campaign(session=s, campaign="Voorjaar", clients=True)
    assert shown["selected"] == 2 and shown["excluded"] == 1 and shown["step2"] == 3
    rows = {c["relation_number"]: c for c in shown["clients"]}
    assert set(rows) == {"1001", "1002"}
    assert rows["1001"]["email"] == "klant1001@example.nl"
    assert rows["1002"]["rm"] == RM1
    assert rows["1001"]["faces"] == {"profile": "1", "update": "1", "rm": "1"}
    with rt.session() as s, pytest.raises(InvalidState, match="is final; selecting is only possible on a draft"):
        from quickcrm.campaigns.criteria import Refinements
        from quickcrm.campaigns.selection import select_clients

        select_clients(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                       criteria=Refinements())
    with rt.session() as s, pytest.raises(InvalidInput, match="not in the final selection"):
        change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                          numbers=["1003"])  # excluded before: its row is gone


def test_status_moves_draft_final_sent_closed(rt):
    from quickcrm.campaigns.campaign import (
        close_campaign,
        finalize_campaign,
        get_campaign,
        mark_sent,
    )

    add_clients(rt, {"number": "1"})
    new_campaign(rt)
    with rt.session() as s, pytest.raises(InvalidState, match="has no selection yet"):
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
    run_select(rt)
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
        row = get_campaign(s, "Voorjaar")
        mark_sent(s, row, rt.clock.now())
        s.commit()
        with pytest.raises(InvalidState, match="is sent; it cannot become sent"):
            mark_sent(s, row, rt.clock.now())
        assert close_campaign(session=s, actor=rt.actor, now=rt.clock.now(),
                              campaign="Voorjaar").status == "closed"
        with pytest.raises(InvalidState, match="is closed; it cannot become closed"):
            close_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")


def test_relationship_manager_may_not_manage_campaigns(rt, db_url, clock):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.exclusions import change_exclusions
    from quickcrm.campaigns.selection import select_clients

    add_clients(rt, {"number": "1"})
    new_campaign(rt)
    rm_rt = bootstrap(database_url=db_url, env={}, clock=clock, acting_as=RM1)
    try:
        with rm_rt.session() as s:
            with pytest.raises(NotPermitted, match="not permitted: manage campaigns needs admin or coordinator"):
                select_clients(session=s, actor=rm_rt.actor, now=clock.now(), campaign="Voorjaar",
                               criteria=Refinements())
            with pytest.raises(NotPermitted):
                change_exclusions(session=s, actor=rm_rt.actor, now=clock.now(),
                                  campaign="Voorjaar", numbers=["1"])
    finally:
        rm_rt.close()


def test_cli_campaign_commands(cli):
    r = cli("campaign", "create", "Voorjaar", "--quickscan", QS, "--coordinator", "admin@quickcrm.example")
    assert r.exit_code == 0, r.output
    r = cli("campaign", "show", "Voorjaar", "--json")
    data = json.loads(r.stdout)
    assert {"name": "Voorjaar", "quickscan": QS, "status": "draft", "selected": 0}.items() <= data.items()
    r = cli("campaign", "finalize", "Voorjaar")
    assert r.exit_code == 1
    assert r.stderr.strip() == ("campaign 'Voorjaar' has no selection yet; "
                                "run `quickcrm select Voorjaar` first")
    r = cli("campaign", "show", "Herfst")
    assert r.exit_code == 1 and r.stderr.strip() == "unknown campaign 'Herfst'"
    r = cli("user", "add", RM1, "-r", "rm")
    r = cli("campaign", "close", "Voorjaar", "--as", RM1)
    assert r.exit_code == 1
    assert r.stderr.strip() == "not permitted: manage campaigns needs admin or coordinator"
    r = cli("campaign", "list", "--json")
    assert [c["status"] for c in json.loads(r.stdout)] == ["draft"]
    assert cli("campaign", "close", "Voorjaar").exit_code == 0


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_campaign_show_prints_times_in_the_firms_zone(cli):
    import re
    from zoneinfo import ZoneInfo

    assert cli("campaign", "create", "Voorjaar", "--quickscan", QS,
               "--coordinator", "admin@quickcrm.example").exit_code == 0
    data = json.loads(cli("campaign", "show", "Voorjaar", "--json").stdout)
    created = _at(data["created_at"])
    assert created.utcoffset() == created.astimezone(ZoneInfo("Europe/Amsterdam")).utcoffset()
    shown = cli("campaign", "show", "Voorjaar").stdout
    line = next(x for x in shown.splitlines() if "created_at" in x)
    local = created.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert line.split("created_at", 1)[1].strip() == local.strftime("%Y-%m-%d %H:%M %Z")
    assert re.search(r"\d\d:\d\d CES?T$", line)
    other = cli("campaign", "show", "Voorjaar", "--json", env={"QUICKCRM_TIMEZONE": "UTC"})
    assert _at(json.loads(other.stdout)["created_at"]).utcoffset().total_seconds() == 0


def test_only_a_coordinator_or_admin_may_be_named_coordinator(rt):
    from quickcrm.campaigns.campaign import create_campaign
    from quickcrm.errors import InvalidInput

    add_user(rt, RM1)
    add_user(rt, "m.jansen@kantoor.example", right="coordinator")
    with rt.session() as s:
        with pytest.raises(InvalidInput) as err:
            create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Najaar",
                            quickscan=QS, coordinator=RM1)
        assert str(err.value) == (
            f"{RM1} may not coordinate a campaign: a coordinator needs the coordinator or admin "
            f"right (quickcrm user grant {RM1} coordinator)")
        out = create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Najaar",
                              quickscan=QS, coordinator="M.Jansen@kantoor.example")
        assert out.coordinator == "m.jansen@kantoor.example"


def test_cli_finalize_json_says_how_many_were_selected(cli, sqlite_url):
    from quickcrm.bootstrap import bootstrap

    assert cli("campaign", "create", "Voorjaar", "--quickscan", QS,
               "--coordinator", "admin@quickcrm.example").exit_code == 0
    assert cli("user", "add", RM1, "-r", "rm").exit_code == 0
    refused = cli("campaign", "create", "Najaar", "--quickscan", QS, "--coordinator", RM1)
    assert refused.exit_code == 1 and "may not coordinate a campaign" in refused.stderr
    rt = bootstrap(database_url=sqlite_url, env={})
    add_clients(rt, {"number": "1"}, {"number": "2"}, {"number": "3", "opted_out": True})
    rt.close()
    assert cli("select", "Voorjaar").exit_code == 0
    done = cli("campaign", "finalize", "Voorjaar", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert (data["status"], data["selected"]) == ("final", 2)


def test_hints_are_quoted_so_they_paste_into_a_shell(cli):
    import subprocess

    from quickcrm.errors import command_hint

    assert cli("campaign", "create", "Zomer 2027", "--quickscan", QS,
               "--coordinator", "admin@quickcrm.example").exit_code == 0
    sent = cli("send", "Zomer 2027")
    assert sent.exit_code == 1
    assert sent.stderr.strip() == ("campaign 'Zomer 2027' is a draft; run "
                                   '`quickcrm campaign finalize "Zomer 2027"` first')
    final = cli("campaign", "finalize", "Zomer 2027")
    assert final.stderr.strip() == ("campaign 'Zomer 2027' has no selection yet; run "
                                    '`quickcrm select "Zomer 2027"` first')
    for name in ("Zomer 2027", "Café 't Hoekje", 'Actie "$HOME" `x` \\ y'):
        pasted = command_hint("select", name).replace("quickcrm", "printf '%s\\n'", 1)
        echoed = subprocess.run(["sh", "-c", pasted], capture_output=True, text=True).stdout
        assert echoed.splitlines() == ["select", name]
