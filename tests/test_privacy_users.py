"""Issue 29, items 2 and 8: departed users (`user deactivate|activate`, `--reassign-to`)
and users bound to operating-system accounts (`--os-user`), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from test_campaigns import RM1, RM2, add_clients
from test_events import events_of

from quickcrm import events
from quickcrm.bootstrap import bootstrap, running_account
from quickcrm.errors import InvalidInput, InvalidState, NotPermitted

ADMIN = "admin@quickcrm.example"


def rm_of(rt: Any) -> dict[str, str | None]:
    from sqlmodel import select

    from quickcrm.store.models import Relation, User

    with rt.session(read_only=True) as s:
        emails = {u.id: u.email for u in s.exec(select(User))}
        return {r.number: emails.get(r.rm_id) for r in s.exec(select(Relation))}


def test_deactivate_moves_relations_in_one_transaction_and_records_each(rt):
    from quickcrm.crm.users import deactivate_user, get_user

    add_clients(rt, *({"number": f"{i:06d}", "rm": RM1 if i <= 3 else RM2} for i in range(1, 6)))
    with rt.session() as s:
        done = deactivate_user(session=s, actor=rt.actor, now=rt.clock.now(), email=RM1,
                               reassign_to=RM2)
    assert (done.changed, done.relations, done.reassigned_to) == (True, 3, RM2)
    assert set(rm_of(rt).values()) == {RM2}
    moved = events_of(rt, events.RELATION_REASSIGNED)
    with rt.session(read_only=True) as s:
        rm1, rm2 = get_user(session=s, email=RM1), get_user(session=s, email=RM2)
    assert len(moved) == 3
    assert all(e["details"]["changes"] == {"rm_id": [rm1.id, rm2.id]} for e in moved)
    assert all(e["user_id"] == rt.actor.id for e in moved)
    [off] = events_of(rt, events.USER_DEACTIVATED)
    assert off["details"] == {"email": RM1, "reassigned_to": RM2, "relations": 3, "signals": 0}
    assert rm1.active is False and rm1.first_name  # kept, with their name
    # again: nothing left to move, nothing recorded
    with rt.session() as s:
        again = deactivate_user(session=s, actor=rt.actor, now=rt.clock.now(), email=RM1,
                                reassign_to=RM2)
    assert (again.changed, again.relations) == (False, 0)
    assert len(events_of(rt, events.USER_DEACTIVATED)) == 1


def test_deactivate_moves_open_signals_and_leaves_done_ones(rt):
    from datetime import date

    from sqlmodel import select

    from quickcrm.crm.models import Signal
    from quickcrm.crm.signals import add_signal, done_signal
    from quickcrm.crm.users import deactivate_user, get_user

    add_clients(rt, {"number": "000001", "rm": RM1}, {"number": "000002", "rm": RM2})
    now = rt.clock.now()
    with rt.session() as s:
        rm1 = get_user(session=s, email=RM1)
        pid = s.execute(text("SELECT min(id) FROM person")).scalar_one()
        ids = [add_signal(session=s, actor=rt.actor, now=now, tz="Europe/Amsterdam",
                          person_id=pid, title=f"Bellen {i}", due=date(2026, 12, 1 + i),
                          for_user_id=rm1.id).id for i in range(3)]
        done_signal(session=s, actor=rt.actor, now=now, signal_id=ids[0])
    with rt.session() as s:
        done = deactivate_user(session=s, actor=rt.actor, now=now, email=RM1, reassign_to=RM2)
    assert done.signals == 2
    with rt.session(read_only=True) as s:
        rm2 = get_user(session=s, email=RM2)
        owners = {sig.title: sig.user_id for sig in s.exec(select(Signal))}
    assert owners == {"Bellen 0": rm1.id, "Bellen 1": rm2.id, "Bellen 2": rm2.id}
    [off] = events_of(rt, events.USER_DEACTIVATED)
    assert off["details"]["signals"] == 2


def test_deactivate_refusals_change_nothing(rt):
    from quickcrm.crm.users import activate_user, add_user, deactivate_user

    add_clients(rt, {"number": "000001", "rm": RM1}, {"number": "000002", "rm": RM2})
    now = rt.clock.now()
    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=now, email="coord@k.example",
                 rights=["coordinator"])
    cases = [
        ({"email": ADMIN}, InvalidState, "admin@quickcrm.example is the last active admin"),
        ({"email": RM1, "reassign_to": "coord@k.example"}, InvalidInput,
         "--reassign-to: coord@k.example is not a relationship manager"),
        ({"email": RM1, "reassign_to": RM1}, InvalidInput, "--reassign-to: give another user"),
        ({"email": RM1, "reassign_to": "nobody@k.example"}, Exception, "unknown user"),
    ]
    for kwargs, error, message in cases:
        with rt.session() as s, pytest.raises(error, match=message.replace(".", r"\.")):
            deactivate_user(session=s, actor=rt.actor, now=now, **kwargs)
    assert rm_of(rt) == {"000001": RM1, "000002": RM2}
    assert events_of(rt, events.USER_DEACTIVATED) == []
    # a deactivated user cannot take the relations either
    with rt.session() as s:
        deactivate_user(session=s, actor=rt.actor, now=now, email=RM2)
    with rt.session() as s, pytest.raises(InvalidState, match=f"user {RM2} is deactivated"):
        deactivate_user(session=s, actor=rt.actor, now=now, email=RM1, reassign_to=RM2)
    with rt.session() as s:
        assert activate_user(session=s, actor=rt.actor, now=now, email=RM2).active
    [on] = events_of(rt, events.USER_ACTIVATED)
    assert on["details"] == {"email": RM2}
    # a relationship manager may not deactivate anyone
    rm = bootstrap(database_url=rt.settings.database_url, env={}, clock=rt.clock,
                   acting_as=RM1)
    with rm.session() as s, pytest.raises(NotPermitted, match="manage users needs admin"):
        deactivate_user(session=s, actor=rm.actor, now=now, email=RM2)
    rm.close()


def test_the_last_active_admin_counts_only_active_admins(rt):
    from quickcrm.crm.users import add_user, deactivate_user

    now = rt.clock.now()
    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=now, email="boss@k.example", rights=["admin"])
        deactivate_user(session=s, actor=rt.actor, now=now, email="boss@k.example")
    with rt.session() as s, pytest.raises(InvalidState, match="last active admin"):
        deactivate_user(session=s, actor=rt.actor, now=now, email=ADMIN)


def test_cli_deactivated_user_is_refused_but_still_named(cli):
    assert cli("user", "add", RM1, "--name", "Rita Meer", "-r", "rm").exit_code == 0
    assert cli("user", "add", RM2, "--name", "Jan Vries", "-r", "rm").exit_code == 0
    lead = cli("person", "add", "--first-name", "Lies", "--last-name", "Lood", "--as", RM1)
    assert lead.exit_code == 0, lead.output
    result = cli("user", "deactivate", RM1, "--reassign-to", RM2)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{RM1} deactivated; 0 relations, 0 open signals and 0 uninvited campaign clients "
        f"moved to {RM2}")
    refused = cli("user", "list", "--as", RM1)
    assert (refused.exit_code, refused.stderr.strip()) == (
        1, f"not permitted: user '{RM1}' is deactivated")
    listed = cli("user", "list")
    assert "Rita Meer (deactivated)" in listed.stdout
    shown = json.loads(cli("user", "show", RM1, "--json").stdout)
    assert (shown["name"], shown["active"]) == ("Rita Meer", False)
    # the audit trail still names who did what, deactivated or not
    trail = cli("audit", "--user", RM1, "--kind", "person.created")
    assert trail.exit_code == 0, trail.output
    (line,) = [row for row in trail.stdout.splitlines() if "person.created" in row]
    assert f"  {RM1}  person.created  person " in line
    assert cli("user", "activate", RM1).stdout.strip() == f"{RM1} is active"
    assert cli("user", "list", "--as", RM1).exit_code == 0


# --- who you are: operating-system accounts ----------------------------------------------

def test_running_account_comes_from_the_effective_uid_not_user(monkeypatch):
    import os
    import pwd

    monkeypatch.setenv("USER", "somebody-else")
    monkeypatch.setenv("LOGNAME", "somebody-else")
    assert running_account() == pwd.getpwuid(os.geteuid()).pw_name


def test_nothing_changes_until_a_mapping_exists(cli):
    assert cli("user", "add", RM1, "-r", "rm").exit_code == 0
    assert cli("user", "add", "x@k.example", "--as", RM1).stderr.strip() == \
        "not permitted: manage users needs admin"
    assert cli("user", "add", "x@k.example").exit_code == 0  # the default admin


def test_mapping_another_account_first_would_lock_you_out(cli):
    me = running_account()
    result = cli("user", "add", RM1, "-r", "rm", "--os-user", "jan")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"this would leave your own operating-system account {me!r} mapped to no user, and "
        f"unable to act; map it first: quickcrm user edit YOUR-EMAIL --os-user {me}")
    assert "jan" not in cli("user", "list", "--json").stdout  # nothing added
    assert json.loads(cli("user", "list", "--json").stdout)[0]["email"] == ADMIN


def db_execute(tmp_path, sql: str) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'test.db'}")
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_mapped_account_acts_and_admin_impersonation_is_recorded(cli, tmp_path):
    me = running_account()
    assert cli("user", "list").exit_code == 0  # the admin exists
    assert cli("user", "edit", ADMIN, "--os-user", me).exit_code == 0
    assert cli("user", "add", RM1, "--name", "Rita Meer", "-r", "rm", "--os-user", "rita").exit_code == 0
    assert cli("user", "add", RM2, "-r", "rm", "--os-user", me).stderr.strip() == \
        f"the operating-system account {me!r} is already mapped to {ADMIN}"
    # the admin acts as RM1: allowed, and recorded in the action's own transaction
    done = cli("user", "edit", RM1, "--phone", "030 123 45 67", "--as", RM1)
    assert done.exit_code == 0, done.output
    rt = bootstrap(database_url=f"sqlite:///{tmp_path / 'test.db'}", env={})
    [imp] = events_of(rt, events.USER_IMPERSONATED)
    [upd] = [e for e in events_of(rt, events.USER_UPDATED) if e["details"]["changes"].get("phone")]
    assert imp["details"] == {"email": RM1, "os_user": me}
    with rt.session(read_only=True) as s:
        ids = dict(s.execute(text("SELECT email, id FROM app_user")).all())
    assert (imp["user_id"], upd["user_id"]) == (ids[ADMIN], ids[RM1])  # who really, as whom
    # a refused action as RM1 records nothing
    refused = cli("user", "add", "x@k.example", "--as", RM1)
    assert refused.stderr.strip() == "not permitted: manage users needs admin"
    assert len(events_of(rt, events.USER_IMPERSONATED)) == 1
    # --as yourself is no impersonation
    assert cli("user", "list", "--as", ADMIN).exit_code == 0
    assert cli("user", "edit", ADMIN, "--phone", "030 000 00 00", "--as", ADMIN).exit_code == 0
    assert len(events_of(rt, events.USER_IMPERSONATED)) == 1
    rt.close()
    # the account mapped to a relationship manager acts as them, and no one else
    db_execute(tmp_path, f"UPDATE app_user SET os_user = NULL WHERE os_user = '{me}'")
    db_execute(tmp_path, f"UPDATE app_user SET os_user = '{me}' WHERE email = '{RM1}'")
    assert cli("user", "add", "y@k.example").stderr.strip() == \
        "not permitted: manage users needs admin"
    assert cli("user", "list", "--as", ADMIN).stderr.strip() == (
        f"not permitted: acting as {ADMIN} (the account {me} is {RM1}) needs admin")
    assert cli("user", "list", env={"QUICKCRM_USER": ADMIN}).exit_code == 1  # counts as --as
    # an unmapped account is refused with how to map it
    db_execute(tmp_path, f"UPDATE app_user SET os_user = 'elsewhere' WHERE os_user = '{me}'")
    unmapped = cli("user", "list")
    assert (unmapped.exit_code, unmapped.stderr.strip()) == (1, (
        f"not permitted: the operating-system account {me!r} is mapped to no QuickCRM user; "
        f"an administrator maps it: quickcrm user edit EMAIL --os-user {me}"))
    assert cli("user", "list", "--as", ADMIN).exit_code == 1


def test_service_runtime_follows_its_account(rt):
    """The daemon's runtime acts as the service user mapped to its account."""
    from quickcrm.crm.users import UserEdit, add_user, edit_user

    now = rt.clock.now()
    me = running_account()
    with rt.session() as s:
        edit_user(session=s, actor=rt.actor, now=now, email=ADMIN,
                  edit=UserEdit(os_user=me), account=me)
        add_user(session=s, actor=rt.actor, now=now, email="service@k.example",
                 rights=["coordinator"], os_user="quickcrm", account=me)
    daemon = bootstrap(database_url=rt.settings.database_url, env={}, clock=rt.clock,
                       os_account="quickcrm")
    assert daemon.check_actor().email == "service@k.example"
    assert daemon.actor.email == "service@k.example"
    daemon.close()
    stranger = bootstrap(database_url=rt.settings.database_url, env={}, clock=rt.clock,
                         os_account="piet")
    with pytest.raises(NotPermitted, match="'piet' is mapped to no QuickCRM user"):
        stranger.check_actor()
    stranger.close()


def test_a_frozen_campaign_sends_the_departed_managers_clients_on_behalf_of_the_new_one(
        db_url, smtp_server):
    from email import message_from_bytes

    from test_remind import MONDAY_9
    from test_send import final_campaign, runtime
    from typer.testing import CliRunner

    from quickcrm.campaigns.sending import send
    from quickcrm.cli.main import app
    from quickcrm.clock import FixedClock

    rt = runtime(db_url, FixedClock(MONDAY_9), smtp_server.url)
    final_campaign(rt, n=4)  # 000001 and 000003 are RM1's
    result = CliRunner().invoke(app, ["user", "deactivate", RM1, "--reassign-to", RM2, "--json",
                                      "--db", db_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["unsent_campaign_clients"] == 2
    counts = send(rt=rt, campaign="Voorjaar")
    assert (counts.invitations, counts.skipped) == (4, [])
    senders = {message_from_bytes(raw)["From"] for _f, _r, raw in smtp_server.messages}
    assert all("rm.zwolle" in str(f) or "Zwolle" in str(f) for f in senders), senders
    rt.close()
