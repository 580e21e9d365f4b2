"""Issue 29, item 7: need-to-know reading. The rule as a table (no database), then the
card, notes, dossiers and the timeline through the CLI for an RM's own relation, another
RM's, their team's, a lead's creator, a coordinator and the widening setting; every read
recorded once as privacy.read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_campaigns import RM1, RM2, add_clients, add_user

from quickcrm import events
from quickcrm.permissions import ADMIN, COORDINATOR, RM, SALES_MONITOR, Actor
from quickcrm.privacy.reading import may_read_sensitive

ME = 7
TEAM_RM = "rm.team@kantoor.example"
COORD = "coord@kantoor.example"


def who(*rights: str) -> Actor:
    return Actor(id=ME, email="x@k.example", name="X", rights=frozenset(rights))


@pytest.mark.parametrize("rights, subject, expected", [
    ((ADMIN,), {"owner_rm_id": 1}, True),
    ((COORDINATOR,), {"owner_rm_id": 1}, True),
    ((RM,), {"owner_rm_id": ME}, True),  # own relation
    ((RM,), {"owner_rm_id": 1}, False),  # another RM's
    ((RM,), {"owner_rm_id": 1, "owner_team_id": 3, "actor_team_id": 3}, True),  # team
    ((RM,), {"owner_rm_id": 1, "owner_team_id": 3, "actor_team_id": 4}, False),
    ((RM,), {"owner_rm_id": 1, "owner_team_id": None, "actor_team_id": None}, False),
    ((RM,), {"owner_rm_id": 1, "read_all_rms": True}, True),  # the setting widens
    ((SALES_MONITOR,), {"owner_rm_id": 1, "read_all_rms": True}, False),  # RMs only
    ((RM,), {"is_lead": True, "creator_id": ME}, True),  # a lead's creator
    ((RM,), {"is_lead": True, "creator_id": 1, "read_all_rms": True}, False),
    ((COORDINATOR,), {"is_lead": True, "creator_id": 1}, True),
    ((), {"owner_rm_id": 1, "project_member": True}, True),  # principal side, own project
    ((), {"owner_rm_id": 1}, False),
    ((SALES_MONITOR,), {"owner_rm_id": 1, "project_member": True}, False),
])
def test_the_rule(rights, subject, expected):
    given = {"owner_rm_id": None, "owner_team_id": None, "actor_team_id": None,
             "creator_id": None, "is_lead": False, **subject}
    verdict = may_read_sensitive(who(*rights), **given)
    assert verdict.allowed is expected
    assert verdict.why  # a ground, or the reason shown in the one line


def reads(rt: Any) -> list[dict[str, Any]]:
    from test_events import events_of

    return events_of(rt, events.PRIVACY_READ)


@pytest.fixture
def world(cli, sqlite_url, clock):
    """Two relations: 000001 of RM1 (team Utrecht), 000002 of RM2 (team Zwolle); a third
    RM in team Utrecht; a coordinator. Person 1 (of 000001) has a note and a risk class;
    person 3 is a lead (no relation) that RM2 added, with a note. Returns the runtime."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.notes import add_note
    from quickcrm.crm.persons import PersonData, add_person, classify_risk
    from quickcrm.crm.users import resolve_actor

    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    add_clients(rt, {"number": "000001", "rm": RM1, "team": "Utrecht"},
                {"number": "000002", "rm": RM2, "team": "Zwolle"})
    add_user(rt, TEAM_RM, team="Utrecht")
    add_user(rt, COORD, right="coordinator")
    now = rt.clock.now()
    with rt.session() as s:
        add_note(session=s, actor=rt.actor, now=now, person_id=1, title="Geheim",
                 text="schuldsanering")
        classify_risk(session=s, actor=rt.actor, now=now, tz="Europe/Amsterdam", person_id=1,
                      risk_class="hoog", motivation="PEP", review_days={"hoog": 365})
        rm2 = resolve_actor(session=s, email=RM2, settings=rt.settings, now=now)
        lead = add_person(session=s, actor=rm2, now=now,
                          data=PersonData(first_name="Lea", last_name="Lead"))
        add_note(session=s, actor=rm2, now=now, person_id=lead.id, title="Lead-notitie",
                 text="belt terug")
    assert lead.id == 3
    yield rt
    rt.close()


HIDDEN = ("hidden: risk class, identification, notes, files and e-mails (need to know: "
          "they are for admins, coordinators, the relation's own relationship manager and "
          "its team's)")


def card(cli: Any, person: int, email: str | None, env: dict[str, str] | None = None) -> Any:
    args = ["person", "show", str(person), "--json"] + (["--as", email] if email else [])
    out = cli(*args, env=env)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_own_rm_team_rm_and_coordinator_read_another_rm_sees_the_rest(cli, world):
    own = card(cli, 1, RM1)
    assert own["risk"]["class"] == "hoog" and own["notes"][0]["title"] == "Geheim"
    assert "hidden" not in own
    team = card(cli, 1, TEAM_RM)
    assert team["notes"][0]["text"] == "schuldsanering"
    coord = card(cli, 1, COORD)
    assert coord["risk"]["class"] == "hoog"
    other = card(cli, 1, RM2)
    assert (other["risk"], other["notes"], other["emails"]) == (None, [], [])
    assert other["name"] and other["relation_number"] == "000001"  # the rest of the card
    assert other["hidden"]["line"] == HIDDEN
    human = cli("person", "show", "1", "--as", RM2)
    assert human.exit_code == 0 and human.stdout.splitlines()[-1] == HIDDEN
    assert "Geheim" not in human.stdout and "hoog" not in human.stdout
    # one privacy.read per command that showed the parts, none for the refused one
    got = [(r["user_id"], r["person_id"], r["details"]) for r in reads(world)]
    ids = {e: i for i, e in _ids(world).items()}
    assert got == [(ids[RM1], 1, {"parts": ["risk", "notes"], "via": "person show"}),
                   (ids[TEAM_RM], 1, {"parts": ["risk", "notes"], "via": "person show"}),
                   (ids[COORD], 1, {"parts": ["risk", "notes"], "via": "person show"})]
    assert all(r["relation_id"] is not None for r in reads(world))


def _ids(rt: Any) -> dict[int, str]:
    from sqlmodel import select

    from quickcrm.store.models import User

    with rt.session(read_only=True) as s:
        return {u.id: u.email for u in s.exec(select(User))}


def test_a_lead_is_for_its_creator_admins_and_coordinators(cli, world):
    assert card(cli, 3, RM2)["notes"][0]["title"] == "Lead-notitie"
    assert card(cli, 3, COORD)["notes"]
    assert card(cli, 3, None)["notes"]  # the administrator
    refused = card(cli, 3, RM1)
    assert refused["notes"] == [] and refused["hidden"]["why"] == (
        "a lead's are for the user who added it, admins and coordinators")
    notes = cli("person", "note", "list", "3", "--as", RM1, "--json")
    assert (notes.exit_code, json.loads(notes.stdout)) == (0, [])
    assert "need to know: a lead's are for the user who added it" in notes.stderr


def test_the_setting_widens_reading_to_every_rm(cli, world):
    assert card(cli, 1, RM2)["notes"] == []
    widened = card(cli, 1, RM2, env={"QUICKCRM_READ_ALL_RMS": "true"})
    assert widened["notes"][0]["title"] == "Geheim" and "hidden" not in widened
    assert card(cli, 3, RM1, env={"QUICKCRM_READ_ALL_RMS": "true"})["notes"] == []  # a lead


def test_notes_risk_history_and_files_follow_the_rule(cli, world, tmp_path):
    doc = tmp_path / "kopie-id.pdf"
    doc.write_bytes(b"%PDF-1.4 paspoort")
    assert cli("person", "file", "add", "1", str(doc)).exit_code == 0
    history = cli("person", "risk", "1", "--history", "--as", RM2, "--json")
    assert json.loads(history.stdout) == {"history": []}
    assert "hidden: risk class (need to know" in history.stderr
    assert json.loads(cli("person", "risk", "1", "--history", "--as", RM1,
                          "--json").stdout)["history"][0]["class"] == "hoog"
    assert json.loads(cli("person", "file", "list", "1", "--as", RM2, "--json").stdout) == []
    got = cli("person", "file", "get", "1", "--out", str(tmp_path / "x.pdf"), "--as", RM2)
    assert (got.exit_code, got.stderr.strip()) == (
        1, "not permitted: reading file 1 needs need to know (they are for admins, "
           "coordinators, the relation's own relationship manager and its team's)")
    assert not (tmp_path / "x.pdf").exists()
    ok = cli("person", "file", "get", "1", "--out", str(tmp_path / "y.pdf"), "--as", RM1)
    assert ok.exit_code == 0 and (tmp_path / "y.pdf").read_bytes() == doc.read_bytes()
    signals = cli("person", "signal", "list", "1", "--as", RM2, "--json")
    assert [r["title"] for r in json.loads(signals.stdout)] == ["(hidden)"]  # the risk review
    assert "hidden: risk class (need to know" in signals.stderr
    assert "hoog" in json.loads(cli("person", "signal", "list", "1", "--as", RM1,
                                    "--json").stdout)[0]["title"]
    vias = [r["details"]["via"] for r in reads(world)]
    assert vias == ["person risk --history", "person file get", "person signal list"]


def test_dossier_and_timeline_hide_the_parts_of_relations_not_read(cli, world):
    from quickcrm.attention.activities import log_contact

    with world.session() as s:
        log_contact(session=s, actor=world.actor, now=world.clock.now(), number="000001",
                    kind="email-in", subject="Vraag over schuldsanering")
    made = cli("dossier", "create", "--person", "1", "--product", "hypotheek", "--json")
    assert made.exit_code == 0, made.output
    number = json.loads(made.stdout)["number"]
    assert cli("person", "note", "add", "1", "--title", "Dossiernotitie", "--text", "inkomen",
               "--show-in-dossier").exit_code == 0
    mine = json.loads(cli("dossier", "show", number, "--as", RM1, "--json").stdout)
    assert [n["title"] for n in mine["notes"]] == ["Dossiernotitie"]
    theirs = json.loads(cli("dossier", "show", number, "--as", RM2, "--json").stdout)
    assert theirs["notes"] == [] and theirs["applicants"][0]["id"] == 1
    assert theirs["hidden"]["person_ids"] == [1]
    line = [e for e in json.loads(cli("attention", "timeline", "000001", "--as", RM2,
                                      "--json").stdout)["events"]
            if e["kind"] == events.CONTACT_EMAIL_IN][0]
    assert line["subject"] == "" and line["hidden"] is True
    shown = cli("attention", "timeline", "000001", "--as", RM1)
    assert "Vraag over schuldsanering" in shown.stdout
    hidden = cli("attention", "timeline", "000001", "--as", RM2)
    assert "schuldsanering" not in hidden.stdout
    assert hidden.stdout.splitlines()[-1].startswith("hidden: notes and e-mails (need to know")
    vias = [(r["details"]["via"], r["relation_id"] is not None) for r in reads(world)]
    assert vias == [("dossier show", True), ("attention timeline", True)]
    listed = json.loads(cli("audit", "--kind", "privacy.read", "--relation", "000001",
                            "--json").stdout)["events"]
    assert [e["details"]["via"] for e in listed] == ["dossier show", "attention timeline"]


def test_the_card_and_the_timeline_apply_the_rule_on_both_databases(rt):
    """The services behind the CLI, on SQLite and PostgreSQL: the team is the relation's
    (or its RM's), a read is one privacy.read, a hidden one none."""
    from quickcrm.attention.activities import log_contact
    from quickcrm.crm.notes import add_note
    from quickcrm.crm.users import resolve_actor
    from quickcrm.privacy.reading import read_card, read_timeline

    add_clients(rt, {"number": "000001", "rm": RM1, "team": "Utrecht"},
                {"number": "000002", "rm": RM2, "team": "Zwolle"})
    add_user(rt, TEAM_RM, team="Utrecht")
    now = rt.clock.now()
    with rt.session() as s:
        add_note(session=s, actor=rt.actor, now=now, person_id=1, title="Geheim", text="x")
        for number in ("000001", "000002"):
            log_contact(session=s, actor=rt.actor, now=now, number=number, kind="email-in",
                        subject=f"Vraag {number}")

    def as_(email: str) -> Any:
        with rt.session(read_only=True) as s:
            return resolve_actor(session=s, email=email, settings=rt.settings, now=now)

    with rt.session() as s:
        assert read_card(session=s, actor=as_(TEAM_RM), now=now, settings=rt.settings,
                         person_id=1)["notes"][0]["title"] == "Geheim"
        hidden = read_card(session=s, actor=as_(RM2), now=now, settings=rt.settings,
                           person_id=1)
        assert hidden["notes"] == [] and hidden["hidden"]["line"] == HIDDEN
        both = read_timeline(session=s, actor=as_(RM2), now=now, settings=rt.settings,
                             group=None, rm=None, number="000002")
        assert [e["subject"] for e in both["events"] if e["kind"] == events.CONTACT_EMAIL_IN] \
            == ["Vraag 000002"]
        other = read_timeline(session=s, actor=as_(RM2), now=now, settings=rt.settings,
                              number="000001")
        assert [e["subject"] for e in other["events"]
                if e["kind"] == events.CONTACT_EMAIL_IN] == [""]
    got = [(r["person_id"], r["details"]["via"]) for r in reads(rt)]
    assert got == [(1, "person show"), (None, "attention timeline")]


def test_a_timeline_over_a_group_is_one_read_naming_its_relations(cli, world):
    from quickcrm.attention.activities import log_contact

    with world.session() as s:
        for number in ("000001", "000002"):
            log_contact(session=s, actor=world.actor, now=world.clock.now(), number=number,
                        kind="notitie", subject=f"Notitie {number}")
    assert cli("attention", "group", "create", "Top", "--relations", "000001,000002").exit_code == 0
    out = cli("attention", "timeline", "--group", "Top", "--as", RM1)
    assert "Notitie 000001" in out.stdout and "Notitie 000002" not in out.stdout
    both = cli("attention", "timeline", "--group", "Top")
    assert "Notitie 000001" in both.stdout and "Notitie 000002" in both.stdout
    got = [(r["relation_id"], r["details"]) for r in reads(world)]
    assert got[0][0] is not None and got[0][1]["via"] == "attention timeline"  # RM1: one relation
    assert got[1] == (None, {"parts": ["notes"], "via": "attention timeline",
                             "relation_ids": [1, 2]})
    listed = json.loads(cli("audit", "--relation", "000002", "--kind", "privacy.read",
                            "--json").stdout)["events"]
    assert [e["details"].get("relation_ids") for e in listed] == [[1, 2]]
