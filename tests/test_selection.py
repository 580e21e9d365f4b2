"""Steps 1 and 2 of the client selection: the rules as pure functions, then the same
rules in SQL on SQLite and PostgreSQL, and the `select` command's wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_campaigns import QS, RM1, RM2, add_clients, new_campaign, run_select

from quickcrm.campaigns import eligibility as rules
from quickcrm.errors import InvalidInput

# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("faces, default, strict_personal, strict_update", [
    (("1", "1", "1"), True, True, True),
    (("1", "1", "2"), True, True, True),
    (("2", "2", "2"), True, False, False),
    (("1", "2", "1"), True, False, True),  # update face not looked at for an update scan
    (("1", "3", "1"), False, False, True),
    (("3", "1", "1"), False, False, False),
    (("1", "1", "3"), False, False, False),
    ((None, None, None), True, False, False),  # nobody set: neutral
    (("1", "1", None), True, True, True),
    (("1", None, "1"), True, False, True),
])
def test_face_rules_per_policy(faces, default, strict_personal, strict_update):
    p, u, r = faces
    assert rules.faces_ok("default", "personal", profile=p, update=u, rm=r) is default
    assert rules.faces_ok("strict", "personal", profile=p, update=u, rm=r) is strict_personal
    assert rules.faces_ok("strict", "update", profile=p, update=u, rm=r) is strict_update


def test_missing_faces_count_only_the_faces_a_policy_looks_at():
    assert rules.missing_face("default", "personal", profile="1", update=None, rm="1")
    assert not rules.missing_face("strict", "update", profile="1", update=None, rm="1")


@pytest.mark.parametrize("email, ok", [
    ("jan@example.nl", True), ("a@b.c", True), ("", False), (None, False),
    ("geen adres", False), ("jan@example", False), ("jan@@example.nl", False),
    ("jan @example.nl", False), ("@example.nl", False), ("jan@.nl", False),
])
def test_email_rule(email, ok):
    assert rules.email_ok(email) is ok


def test_contact_problems_and_the_whole_step1_rule():
    assert rules.contact_problem(None) == "no_email"
    assert rules.contact_problem(rules.Contact("x", opted_out=True)) == "opted_out"
    assert rules.contact_problem(rules.Contact("jan@example.nl", opted_out=False)) is None
    ok = rules.Contact("jan@example.nl", opted_out=False)
    assert rules.step1("default", "personal", received=False, profile="1", update="2", rm=None,
                       contact=ok)
    assert not rules.step1("default", "personal", received=True, profile="1", update="1",
                           rm="1", contact=ok)


# --- in the database --------------------------------------------------------------------------

NO_SEGMENTS = {"industry": None, "size": None, "ownership": None, "client_group": None}


def step1_clients(rt: Any) -> list[dict[str, Any]]:
    """Clients A-H: one for each rule of step 1 (in, faces, contact, address, opt-out,
    an imported receipt, not a client)."""
    return [
        {"number": "A"},
        {"number": "B", "faces": ("1", "3", "1")},
        {"number": "C", "faces": ("1", "1", None)},
        {"number": "D", "contact": False},
        {"number": "E", "email": "geen adres"},
        {"number": "F", "opted_out": True},
        {"number": "G", "received_at": rt.clock.now()},
        {"number": "H", "stage": "prospect"},
    ]


def sent_earlier(rt: Any, name: str, **refine: Any) -> None:
    """A campaign of the same QuickScan, selected with ``refine``, that went out."""
    from quickcrm.campaigns.campaign import finalize_campaign, get_campaign, mark_sent

    new_campaign(rt, name)
    run_select(rt, name, **refine)
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign=name)
        mark_sent(s, get_campaign(s, name), rt.clock.now())
        s.commit()


def test_step1_rules(rt):
    add_clients(
        rt,
        *step1_clients(rt),
        {"number": "I", "rm": RM2},
        {"number": "J", "faces": None, **NO_SEGMENTS},
        {"number": "K", "rm": RM2, "team": "Zwolle"},
    )
    # I was in a campaign of this QuickScan that went out; K only in one that did not
    new_campaign(rt, "Concept")
    run_select(rt, "Concept", rms=[RM2])
    sent_earlier(rt, "Eerder", rms=[RM2], teams=["utrecht"])
    new_campaign(rt)
    out = run_select(rt)
    assert (out.step1, out.step2, out.excluded, out.selected) == (4, 4, 0, 4)
    assert (out.missing_faces, out.no_email, out.opted_out) == (2, 2, 1)
    from quickcrm.campaigns.campaign import show_campaign

    with rt.session() as s:
        shown = show_campaign(session=s, campaign="Voorjaar", clients=True)
    assert sorted(c["relation_number"] for c in shown["clients"]) == ["A", "C", "J", "K"]
    assert shown["selected"] == 4
    by_team = {t["team"]: t["selected"] for t in shown["by_team"]}
    assert by_team == {"Utrecht": 3, "Zwolle": 1}


def test_step1_totals_over_the_faces_alone_equal_those_over_the_relations(rt):
    """With a face row for every relation, step 1's totals are counted from the faces
    and contacts alone, less the non-clients and earlier recipients; the same numbers
    as counting over the relations."""
    from quickcrm.campaigns.campaign import get_campaign
    from quickcrm.campaigns.selection import step1_counts
    from quickcrm.quickscans.models import QuickScan

    add_clients(
        rt,
        *step1_clients(rt),
        {"number": "H2", "stage": "archief", "opted_out": True, "faces": ("1", "1", None)},
        {"number": "I", "rm": RM2, "faces": ("1", None, "1")},
    )
    sent_earlier(rt, "Eerder", rms=[RM2])
    new_campaign(rt)
    out = run_select(rt)
    assert (out.step1, out.missing_faces, out.no_email, out.opted_out) == (2, 1, 2, 1)
    with rt.session() as s:
        row = get_campaign(s, "Voorjaar")
        kind = s.get(QuickScan, row.quickscan_id).kind
        counted = [step1_counts(s, row, kind, every_face=every) for every in (False, True)]
    assert counted[0] == counted[1] == {"step1": 2, "opted_out": 1, "missing_faces": 1,
                                        "no_email": 2}


def test_the_non_clients_are_read_from_their_partial_index(sqlite_url):
    from sqlalchemy import create_engine

    from quickcrm.campaigns.selection import outside_step1
    from quickcrm.store.db import make_engine

    make_engine(sqlite_url).dispose()  # migrated
    query = outside_step1(1, 2).compile(dialect=create_engine("sqlite://").dialect)
    with create_engine(sqlite_url).connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}",
                                    tuple(query.params[k] for k in query.positiontup)).all()
    assert any("ix_relation_not_client" in row[-1] for row in plan), plan


def test_refinements_or_within_and_across_with_codes_and_labels(rt):
    add_clients(
        rt,
        {"number": "1", "industry": "7", "size": "2"},
        {"number": "2", "industry": "2", "size": "2"},
        {"number": "3", "industry": "2", "size": "4"},
        {"number": "4", "industry": "1", "size": "2"},
        {"number": "5", "industry": "7", "size": "2", "ownership": "E", "team": "Zwolle", "rm": RM2},
    )
    new_campaign(rt)
    out = run_select(rt, industry=["Handel", " 2. zakelijke DIENSTVERLENING "], size=["klein"])
    assert (out.step1, out.step2) == (5, 3)
    out = run_select(rt, industry=["7"], ownership=["VOF / Eenmanszaak", "A"])
    assert out.step2 == 1
    out = run_select(rt, teams=["ZWOLLE", "Utrecht"], rms=[RM1])
    assert out.step2 == 4
    out = run_select(rt, client_group=["Tijd en aandacht"], size=["1"])
    assert out.step2 == 0
    with pytest.raises(InvalidInput, match="unknown branche 'Bakkerij'"):
        run_select(rt, industry=["Bakkerij"])
    with pytest.raises(InvalidInput, match="unknown team 'Leiden' \\(known teams: Utrecht, Zwolle\\)"):
        run_select(rt, teams=["Leiden"])
    with pytest.raises(InvalidInput, match="unknown relationship manager 'x@y.nl'"):
        run_select(rt, rms=["x@y.nl"])


def test_strict_policy_personal_and_update(rt):
    add_clients(
        rt,
        {"number": "P1", "faces": ("1", "1", "2")},
        {"number": "P2", "faces": ("1", "2", "1")},
        {"number": "P3", "faces": ("2", "1", "1")},
        {"number": "P4", "faces": ("1", "1", None)},
    )
    new_campaign(rt)
    out = run_select(rt, policy="strict")
    assert (out.step1, out.missing_faces) == (2, 1)
    assert run_select(rt).step1 == 4
    add_clients(
        rt,
        {"number": "U1", "faces": ("1", "3", "2")},
        {"number": "U2", "faces": ("2", "1", "1")},
        quickscan="bedrijfsopvolging-update",
    )
    new_campaign(rt, "Update", quickscan="bedrijfsopvolging-update")
    out = run_select(rt, "Update", policy="strict")
    # the P clients have no faces for the update scan: profile computed from segments
    assert "U1" in _numbers(rt, "Update") and "U2" not in _numbers(rt, "Update")
    assert out.step1 == len(_numbers(rt, "Update"))


def test_the_policy_is_the_campaigns_and_a_select_without_policy_keeps_it(rt):
    """Issue 23 item 4: ``select --policy strict`` then ``select --team Zwolle`` stays
    strict (it used to fall back to default)."""
    from quickcrm.campaigns.campaign import create_campaign, show_campaign
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.selection import select_clients

    add_clients(rt, {"number": "1", "faces": ("1", "1", "1"), "team": "Zwolle"},
                {"number": "2", "faces": ("2", "2", "2"), "team": "Zwolle"},
                {"number": "3", "faces": ("2", "1", "1"), "team": "Utrecht"})
    new_campaign(rt)

    def select(policy=None, **refine):  # type: ignore[no-untyped-def]
        with rt.session() as s:
            return select_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                                  campaign="Voorjaar", criteria=Refinements(**refine),
                                  policy=policy)

    assert (select().policy, select().selected) == ("default", 3)
    assert (select("strict").policy, select().selected) == ("strict", 1)
    out = select(teams=["Zwolle"])
    assert (out.policy, out.selected) == ("strict", 1)
    assert select("default", teams=["Zwolle"]).selected == 2
    assert select().policy == "default"
    with rt.session() as s:  # a campaign created with the firm's default policy
        create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Najaar",
                        quickscan=QS, coordinator="admin@quickcrm.example", policy="Strict")
        assert show_campaign(session=s, campaign="Najaar")["policy"] == "strict"
    with rt.session() as s:
        out = select_clients(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Najaar",
                             criteria=Refinements())
    assert (out.policy, out.selected) == ("strict", 1)


def test_select_reports_its_policy_and_new_campaigns_take_the_firms_default(cli):
    create = ("campaign", "create", "Voorjaar", "--quickscan", QS, "--coordinator",
              "admin@quickcrm.example")
    made = cli(*create, "--json", env={"QUICKCRM_SELECTION_POLICY": "strict"})
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["policy"] == "strict"
    assert json.loads(cli("select", "Voorjaar", "--json").stdout)["policy"] == "strict"
    human = cli("select", "Voorjaar").stdout
    assert human.startswith("policy: strict (Happy Faces footnote")
    assert json.loads(cli("select", "Voorjaar", "--policy", "default", "--json").stdout)[
        "policy"] == "default"
    assert json.loads(cli("select", "Voorjaar", "--json").stdout)["policy"] == "default"
    assert cli("select", "Voorjaar").stdout.startswith("policy: default (seed step 1")
    bad = cli("campaign", "list", env={"QUICKCRM_SELECTION_POLICY": "lenient"})
    assert bad.exit_code == 1
    assert bad.stderr.strip() == ("QUICKCRM_SELECTION_POLICY: selection.policy must be one of "
                                  "default, strict, got 'lenient'")


def _numbers(rt, campaign: str) -> set[str]:
    from quickcrm.campaigns.campaign import show_campaign

    with rt.session() as s:
        return {c["relation_number"] for c in
                show_campaign(session=s, campaign=campaign, clients=True)["clients"]}


def test_exclusions_are_kept_across_reselects(rt):
    from quickcrm.campaigns.exclusions import change_exclusions

    add_clients(rt, {"number": "1"}, {"number": "2"}, {"number": "3", "industry": "1"})
    new_campaign(rt)
    run_select(rt)
    with rt.session() as s:
        change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                          numbers=["3"], reason="loopt al een traject")
    out = run_select(rt, industry=["7"])
    assert (out.step2, out.excluded, out.selected, out.exclusions_outside_selection) == (2, 0, 2, 1)
    out = run_select(rt)
    assert (out.step2, out.excluded, out.selected) == (3, 1, 2)


def test_the_faces_per_team_and_rm_count_the_selected_only(rt):
    from quickcrm.campaigns.exclusions import change_exclusions

    add_clients(
        rt,
        {"number": "1", "faces": ("1", "2", None)},
        {"number": "2", "faces": ("2", None, "1")},
        {"number": "3", "faces": ("1", "1", "2"), "rm": RM2},
        {"number": "4", "faces": ("1", "2", "1"), "rm": RM2, "team": "Zwolle"},
    )
    new_campaign(rt)
    run_select(rt)
    with rt.session() as s:
        out = change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(),
                                campaign="Voorjaar", numbers=["3"], reason="traject").summary
    assert (out.step2, out.excluded, out.selected) == (4, 1, 3)
    assert out.faces == {"profile": {"1": 2, "2": 1, "3": 0, "unset": 0},
                         "update": {"1": 0, "2": 2, "3": 0, "unset": 1},
                         "rm": {"1": 2, "2": 0, "3": 0, "unset": 1}}
    assert [(t["team"], t["step2"], t["selected"]) for t in out.by_team] == [
        ("Utrecht", 3, 2), ("Zwolle", 1, 1)]
    assert {r["rm"]: (r["step2"], r["selected"]) for r in out.by_rm} == {RM1: (2, 2),
                                                                         RM2: (2, 1)}


def test_rm_over_the_maximum_is_flagged(rt):
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.selection import select_clients

    add_clients(rt, *({"number": str(n)} for n in range(3)), {"number": "9", "rm": RM2})
    new_campaign(rt)
    with rt.session() as s:
        out = select_clients(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                             criteria=Refinements(), max_per_rm=2)
    flagged = {r["rm"]: r["over_max"] for r in out.by_rm}
    assert flagged == {RM1: True, RM2: False}
    assert out.faces["profile"] == {"1": 4, "2": 0, "3": 0, "unset": 0}


def test_cli_select_json_and_human_output(cli):
    assert cli("campaign", "create", "Voorjaar", "--quickscan", QS, "--coordinator",
               "admin@quickcrm.example").exit_code == 0
    r = cli("select", "Voorjaar", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {k: data[k] for k in ("campaign", "step1", "step2", "excluded", "selected",
                                 "missing_faces", "no_email", "opted_out")} == {
        "campaign": "Voorjaar", "step1": 0, "step2": 0, "excluded": 0, "selected": 0,
        "missing_faces": 0, "no_email": 0, "opted_out": 0}
    r = cli("select", "Voorjaar", "--industry", "Bakkerij")
    assert r.exit_code == 1 and r.stderr.startswith("unknown branche 'Bakkerij' (expected one of: 1 Bouw")
    r = cli("select", "Voorjaar", "--policy", "lenient")
    assert r.exit_code == 1 and r.stderr.strip() == "unknown policy 'lenient' (expected default or strict)"
    r = cli("select", "Voorjaar", env={"QUICKCRM_MAX_PER_RM": "0"})
    assert r.exit_code == 0 and "Per relationship manager" in r.stdout and "Selection" in r.stdout
    r = cli("select", "Nope")
    assert r.exit_code == 1 and r.stderr.strip() == "unknown campaign 'Nope'"


def test_cli_select_warns_for_a_busy_rm(cli, sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    try:
        add_clients(rt, *({"number": str(n)} for n in range(3)))
        new_campaign(rt)
    finally:
        rt.close()
    r = cli("select", "Voorjaar", env={"QUICKCRM_MAX_PER_RM": "2"})
    assert r.exit_code == 0, r.output
    assert "warning: Rm Utrecht has 3 clients in the selection (more than 2)" in r.stderr
    assert "more than 2" in r.stdout


def test_a_face_nobody_set_is_explained_where_it_is_counted_and_shown(cli, sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    try:
        add_clients(rt, {"number": "1", "faces": ("1", None, None)}, {"number": "2"})
        new_campaign(rt)
    finally:
        rt.close()
    shown = cli("select", "Voorjaar").stdout
    assert "not set*" not in shown
    assert "not set: nobody set this face; the selection counts it as Neutraal" in shown
    listed = cli("campaign", "show", "Voorjaar", "--clients").stdout
    assert "- (neutraal)" in listed and "Profile face" in listed and "*" not in listed
