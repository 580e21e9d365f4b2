"""The freeze (issue 23 items 1 and 2): finalize checks every selected client against
the client file as it is then and refuses with the list; a final campaign can still lose
clients before it is sent; `send` and `remind` never refuse a campaign for one client and
pass over whoever opted out since, on SQLite and PostgreSQL, through a real SMTP server."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select
from test_campaigns import RM1, RM2, add_clients, new_campaign, run_select
from test_send import runtime

from quickcrm.errors import InvalidInput, InvalidState, RecipientsRefused


def finalize(rt: Any, name: str = "Voorjaar") -> Any:
    from quickcrm.campaigns.campaign import finalize_campaign

    with rt.session() as s:
        return finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign=name)


def exclude(rt: Any, *numbers: str, undo: bool = False, reason: str = "") -> Any:
    from quickcrm.campaigns.exclusions import change_exclusions

    with rt.session() as s:
        return change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(),
                                 campaign="Voorjaar", numbers=list(numbers), undo=undo,
                                 reason=reason)


def contact(rt: Any, number: str, **values: Any) -> None:
    """Change a client's campaign contact as an import (or the opt-out link) would."""
    from quickcrm.store.models import Person, Relation

    with rt.session() as s:
        person = s.exec(select(Person).join(Relation).where(Relation.number == number)).one()
        for key, value in values.items():
            setattr(person, key, value)
        s.add(person)
        s.commit()


def recipients(sink: Any) -> list[str]:
    msgs = [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in sink.messages]
    return sorted(m["To"].addresses[0].addr_spec for m in msgs
                  if not str(m["Subject"]).startswith("[Kopie]"))


def status(rt: Any) -> str:
    from quickcrm.campaigns.campaign import get_campaign

    with rt.session(read_only=True) as s:
        return get_campaign(s, "Voorjaar").status


def test_finalize_refuses_with_every_client_that_changed_since_select(rt):
    from quickcrm.campaigns.face_service import set_faces
    from quickcrm.store.models import Relation, User

    add_clients(rt, *({"number": f"00000{i}", "rm": RM1 if i != 5 else RM2}
                      for i in range(1, 8)))
    new_campaign(rt)
    assert run_select(rt).selected == 7
    contact(rt, "000001", first_name="Tim", last_name="El Amrani", email="")  # address blanked
    contact(rt, "000002", opted_out=True)
    with rt.session() as s:
        set_faces(session=s, actor=rt.actor, now=rt.clock.now(), relation_number="000003",
                  quickscan="bedrijfsopvolging", faces={"rm": "Negatief"})  # RM face turned red
        s.execute(update(Relation).where(Relation.number == "000004").values(stage="ex-customer"))
        s.execute(update(User).where(User.email == RM2).values(active=False))
        s.execute(update(Relation).where(Relation.number == "000006").values(rm_id=None))
        s.commit()
    with pytest.raises(RecipientsRefused) as refused:
        finalize(rt)
    assert refused.value.refused == [
        {"relation": "000001", "reason": "no_email", "detail": "no usable e-mail address"},
        {"relation": "000002", "reason": "opted_out", "detail": "opted out"},
        {"relation": "000003", "reason": "faces",
         "detail": "RM face Negatief under the default policy"},
        {"relation": "000004", "reason": "not_a_client",
         "detail": "no longer a client (ex-customer)"},
        {"relation": "000005", "reason": "rm_inactive",
         "detail": f"relationship manager {RM2} is deactivated"},
        {"relation": "000006", "reason": "no_rm", "detail": "no relationship manager any more"},
    ]
    line = str(refused.value)
    assert "\n" not in line and line.startswith(
        "campaign 'Voorjaar' is not finalized: 6 selected clients are no longer to be "
        "invited: 000001 (no usable e-mail address), 000002 (opted out), ")
    assert ('quickcrm exclude Voorjaar 000001 000002 000003 000004 000005 000006 --reason '
            '"changed after select"') in line
    assert status(rt) == "draft"  # nothing frozen
    # the client file corrected for one, the others excluded: now it freezes
    contact(rt, "000001", email="tim.elamrani@example.nl")
    exclude(rt, "000002", "000003", "000004", "000005", "000006")
    out = finalize(rt)
    assert (out.status, out.selected) == ("final", 2)


def test_a_red_rm_face_is_judged_by_the_campaigns_policy_at_finalize(rt):
    from quickcrm.campaigns.face_service import set_faces

    add_clients(rt, {"number": "000001"}, {"number": "000002"})
    new_campaign(rt)
    run_select(rt, policy="strict")
    with rt.session() as s:  # blue passes strict for the RM face, but the profile turns blue
        set_faces(session=s, actor=rt.actor, now=rt.clock.now(), relation_number="000002",
                  quickscan="bedrijfsopvolging", faces={"profile": "Neutraal", "rm": "Neutraal"})
    with pytest.raises(RecipientsRefused) as refused:
        finalize(rt)
    assert refused.value.refused == [{"relation": "000002", "reason": "faces",
                                      "detail": "profile face Neutraal under the strict policy"}]


def test_finalize_json_lists_the_refused_clients_and_exits_1(cli, sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    add_clients(rt, {"number": "000001"}, {"number": "000002"})
    new_campaign(rt)
    run_select(rt)
    contact(rt, "000002", opted_out=True)
    rt.close()
    result = cli("campaign", "finalize", "Voorjaar", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["refused"] == [{"relation": "000002", "reason": "opted_out",
                                "detail": "opted out"}]
    assert data["error"] == result.stderr.strip()
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def mail_rt(db_url, clock, smtp_server):  # type: ignore[no-untyped-def]
    rt = runtime(db_url, clock, smtp_server.url)
    yield rt
    rt.close()


def final(rt: Any, n: int = 4) -> None:
    add_clients(rt, *({"number": f"00000{i}", "rm": RM1 if i % 2 else RM2}
                      for i in range(1, n + 1)))
    new_campaign(rt)
    run_select(rt)
    finalize(rt)


def test_send_passes_over_one_client_and_sends_the_rest(mail_rt, smtp_server):
    """The issue's stuck campaign: a frozen row without an address (as finalize let
    through before it checked) and a client who opted out after finalize."""
    from quickcrm.campaigns.models import CampaignClient
    from quickcrm.campaigns.sending import send

    final(mail_rt)
    with mail_rt.session() as s:
        s.execute(update(CampaignClient).where(CampaignClient.relation_number == "000001")
                  .values(first_name="Tim", last_name="El Amrani", email=""))
        s.execute(update(CampaignClient).where(CampaignClient.relation_number == "000004")
                  .values(email="klant<000004@example.nl"))  # the outbox cannot use it
        s.commit()
    contact(mail_rt, "000002", opted_out=True)
    counts = send(rt=mail_rt, campaign="Voorjaar")
    data = counts.to_json()
    assert (data["invitations"], data["opted_out"]) == (1, 1)
    assert [(s["relation"], s["reason"]) for s in data["skipped"]] == [
        ("000001", "no_email"), ("000002", "opted_out"), ("000004", "invalid_address")]
    assert data["skipped"][2]["detail"].startswith("not an e-mail address: ")
    assert recipients(smtp_server) == ["klant000003@example.nl"]
    assert status(mail_rt) == "sent"
    again = send(rt=mail_rt, campaign="Voorjaar")  # resuming reports them again, sends nothing
    assert again.invitations == 0 and len(again.skipped) == 3
    assert recipients(smtp_server) == ["klant000003@example.nl"]
    from test_send import invitation_rows

    assert len(invitation_rows(mail_rt)) == 1  # no invitation row for the skipped clients


def test_send_skips_everyone_who_opted_out_in_a_dry_run_too(mail_rt, smtp_server):
    from quickcrm.campaigns.sending import send

    final(mail_rt, 2)
    contact(mail_rt, "000001", opted_out=True)
    dry = send(rt=mail_rt, campaign="Voorjaar", dry_run=True)
    assert (dry.invitations, dry.opted_out) == (1, 1)
    assert smtp_server.messages == []


def test_exclude_on_a_final_unsent_campaign_and_the_report_shows_it(mail_rt, smtp_server,
                                                                    tmp_path):
    from python_calamine import CalamineWorkbook

    from quickcrm.campaigns.excel_export import export_campaign_excel
    from quickcrm.campaigns.management import management_report
    from quickcrm.campaigns.sending import send

    final(mail_rt, 3)
    change = exclude(mail_rt, "000002", reason="loopt al een traject")
    assert change.excluded == ["000002"] and change.summary.selected == 2
    assert change.summary.excluded == 1
    assert exclude(mail_rt, "000002", undo=True).included == ["000002"]
    exclude(mail_rt, "000002", reason="loopt al een traject")
    add_clients(mail_rt, {"number": "000009"})  # a client added after the freeze
    with pytest.raises(InvalidInput, match="^not in the final selection of 'Voorjaar': 000009$"):
        exclude(mail_rt, "000009")
    counts = send(rt=mail_rt, campaign="Voorjaar")
    assert counts.invitations == 2
    assert [(s.relation, s.reason, s.detail) for s in counts.skipped] == [
        ("000002", "excluded", "excluded after finalizing: loopt al een traject")]
    assert "klant000002@example.nl" not in recipients(smtp_server)
    with pytest.raises(InvalidState, match="is sent; exclusions change only before"):
        exclude(mail_rt, "000001")
    with mail_rt.session(read_only=True) as s:
        report = management_report(session=s, actor=mail_rt.actor, campaign="Voorjaar",
                                   now=mail_rt.clock.now())
        path = tmp_path / "voorjaar.xlsx"
        written = export_campaign_excel(session=s, actor=mail_rt.actor, campaign="Voorjaar",
                                        path=path, tz="Europe/Amsterdam")
    assert (report.overall["selected"], report.overall["excluded"],
            report.overall["sent"]) == (2, 1, 2)
    assert (written["clients"], written["excluded"]) == (2, 1)
    book = CalamineWorkbook.from_path(str(path))
    main = book.get_sheet_by_name("Rapportage").to_python()
    assert [r[2] for r in main[1:]] == ["000001", "000003"]
    left_out = book.get_sheet_by_name("Uitgesloten").to_python()
    assert left_out[0][0] == "Relatienummer klant" and left_out[1][0] == "000002"
    assert left_out[1][-1] == "loopt al een traject"
    from quickcrm.store.models import Event

    with mail_rt.session(read_only=True) as s:
        changes = [json.loads(e.details) for e in s.exec(
            select(Event).where(Event.kind == "campaign.exclusions_changed"))]
    assert [c["after_finalize"] for c in changes] == [True, True, True]


def test_remind_passes_over_a_client_who_opted_out_after_the_invitation(mail_rt, smtp_server):
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    final(mail_rt, 3)
    send(rt=mail_rt, campaign="Voorjaar")
    smtp_server.messages.clear()
    contact(mail_rt, "000002", opted_out=True)
    mail_rt.clock.advance(days=3, hours=1)
    dry = remind(rt=mail_rt, dry_run=True)
    assert (dry.first_reminders, dry.opted_out) == (2, 1)
    counts = remind(rt=mail_rt)
    assert counts.to_json() == {"first_reminders": 2, "second_reminders": 0,
                                "no_response": 0, "opted_out": 1}
    assert recipients(smtp_server) == ["klant000001@example.nl", "klant000003@example.nl"]
    mail_rt.clock.advance(days=7)  # nor the second reminder, nor the RM's notice
    later = remind(rt=mail_rt)
    assert (later.second_reminders, later.no_response, later.opted_out) == (2, 2, 1)
    assert "klant000002@example.nl" not in recipients(smtp_server)
