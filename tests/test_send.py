"""`send`: invitations and relationship manager copies through the outbox to a real SMTP
server, on SQLite and PostgreSQL; never twice, nothing lost."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from test_campaigns import RM1, RM2, add_clients, new_campaign, run_select

from quickcrm.errors import InvalidState, NotPermitted


def runtime(db_url: str, clock: Any, smtp_url: str, **env: str) -> Any:
    from quickcrm.bootstrap import bootstrap

    return bootstrap(database_url=db_url, clock=clock,
                     env={"QUICKCRM_SMTP_URL": smtp_url,
                          "QUICKCRM_BASE_URL": "https://scan.kantoor.example", **env})


def final_campaign(rt: Any, n: int = 3, name: str = "Voorjaar", **spec: Any) -> None:
    from quickcrm.campaigns.campaign import finalize_campaign

    add_clients(rt, *({"number": f"{i:06d}", "rm": RM1 if i % 2 else RM2, **spec}
                      for i in range(1, n + 1)))
    new_campaign(rt, name)
    run_select(rt, name)
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign=name)


def parsed(sink: Any) -> list[Any]:
    return [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in sink.messages]


def invitation_rows(rt: Any) -> list[Any]:
    from sqlmodel import select

    from quickcrm.campaigns.invitation import Invitation

    with rt.session(read_only=True) as s:
        return list(s.exec(select(Invitation).order_by(Invitation.id)))


@pytest.fixture
def mail_rt(db_url, clock, smtp_server):  # type: ignore[no-untyped-def]
    rt = runtime(db_url, clock, smtp_server.url)
    yield rt
    rt.close()


def test_send_delivers_one_invitation_and_one_copy_per_client(mail_rt, smtp_server):
    from quickcrm.campaigns.sending import send

    final_campaign(mail_rt)
    counts = send(rt=mail_rt, campaign="Voorjaar")
    assert counts.to_json() == {"invitations": 3, "copies": 3, "first_contact": 3, "queued": 6,
                                "delivered": 6, "deferred": 0, "failed": 0, "rejected": 0,
                                "opted_out": 0, "skipped": []}
    msgs = parsed(smtp_server)
    invites = [m for m in msgs if not m["Subject"].startswith("[Kopie]")]
    copies = [m for m in msgs if m["Subject"].startswith("[Kopie]")]
    assert len(invites) == 3 and len(copies) == 3
    rows = {r.relation_id: r for r in invitation_rows(mail_rt)}
    assert all(r.delivered_at is not None and r.invited_at is not None for r in rows.values())
    first = next(m for m in invites if m["To"].addresses[0].addr_spec == "klant000001@example.nl")
    assert first["From"].addresses[0].addr_spec == RM1
    assert first["From"].addresses[0].display_name == "Rm Utrecht"
    assert "noreply@quickcrm.example" in str(first["Sender"])
    html = first.get_body(("html",)).get_content()
    text = first.get_body(("plain",)).get_content()
    tokens = {r.token for r in rows.values()}
    link = next(t for t in tokens if f"https://scan.kantoor.example/q/{t}" in html)
    assert f"/q/{link}" in text and len(link) >= 22
    copy = next(m for m in copies if "klant 000001" in m.get_body(("plain",)).get_content().lower()
                or "000001" in m.get_body(("plain",)).get_content())
    copy_text = copy.get_body(("plain",)).get_content()
    assert "/p/" in copy_text and "/q/" not in copy_text
    assert copy["To"].addresses[0].addr_spec == RM1


def test_send_again_never_sends_twice_and_marks_the_campaign_sent(mail_rt, smtp_server):
    from quickcrm.campaigns.campaign import show_campaign
    from quickcrm.campaigns.sending import send

    final_campaign(mail_rt)
    send(rt=mail_rt, campaign="Voorjaar")
    again = send(rt=mail_rt, campaign="Voorjaar")
    assert again.invitations == 0 and again.queued == 0
    assert len(smtp_server.messages) == 6
    assert len({m["Message-ID"] for m in parsed(smtp_server)}) == 6
    with mail_rt.session(read_only=True) as s:
        assert show_campaign(session=s, campaign="Voorjaar")["status"] == "sent"


def test_server_down_keeps_everything_queued_and_a_later_run_delivers(db_url, clock, smtp_server,
                                                                       dead_smtp_url):
    from quickcrm.campaigns.sending import send

    down = runtime(db_url, clock, dead_smtp_url)
    final_campaign(down)
    counts = send(rt=down, campaign="Voorjaar")
    assert counts.delivered == 0 and counts.queued == 6
    assert all(r.delivered_at is None for r in invitation_rows(down))
    down.close()
    up = runtime(db_url, clock, smtp_server.url)
    again = send(rt=up, campaign="Voorjaar")
    assert again.invitations == 0 and again.delivered == 6
    assert len(smtp_server.messages) == 6
    up.close()


def test_a_5xx_marks_the_invitation_bounced_and_tells_the_coordinator(mail_rt, smtp_server):
    from quickcrm.campaigns.sending import send

    smtp_server.reject = {"klant000002@example.nl"}
    final_campaign(mail_rt)
    counts = send(rt=mail_rt, campaign="Voorjaar")
    assert counts.rejected == 1 and counts.delivered == 6  # 5 invitations and copies, 1 digest
    bounced = [r for r in invitation_rows(mail_rt) if r.bounced_at is not None]
    assert len(bounced) == 1 and "550" in bounced[0].bounce_reason
    digests = [m for m in parsed(smtp_server) if m["Subject"].startswith("Bounces")]
    assert len(digests) == 1
    assert digests[0]["To"].addresses[0].addr_spec == "admin@quickcrm.example"
    body = digests[0].get_body(("plain",)).get_content()
    assert "000002" in body and "Rm Zwolle" in body


def mail_facts(rt: Any) -> dict[str, Any]:
    """What an invitation's events must name: per invitation id its relation number,
    person, RM's e-mail and Message-ID; the campaign id; the users' e-mails by id."""
    from sqlmodel import select

    from quickcrm.campaigns.models import Campaign, CampaignClient
    from quickcrm.mail.outbox import find_messages
    from quickcrm.store.models import User

    with rt.session(read_only=True) as s:
        emails = {u.id: u.email for u in s.exec(select(User))}
        clients = {c.id: c for c in s.exec(select(CampaignClient))}
        mids = {m.ref: m.message_id for m in find_messages(s, kind="invitation")}
        (campaign_id,) = s.exec(select(Campaign.id)).all()
    return {"campaign_id": campaign_id, "emails": emails, "invitations": {
        i.id: {"relation_id": i.relation_id, "number": clients[i.campaign_client_id].relation_number,
               "person_id": clients[i.campaign_client_id].person_id,
               "rm": emails[clients[i.campaign_client_id].rm_id],
               "message_id": mids[f"invitation:{i.id}"], "delivered_at": i.delivered_at}
        for i in invitation_rows(rt)}}


def check_mail_event(event: dict[str, Any], facts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``event`` names its invitation's relation, person, RM (as user_id), campaign,
    invitation and Message-ID, plus ``extra`` details; returns the invitation's facts."""
    invitation = facts["invitations"][event["details"]["invitation_id"]]
    assert event["relation_id"] == invitation["relation_id"]
    assert event["person_id"] == invitation["person_id"] is not None
    assert facts["emails"][event["user_id"]] == invitation["rm"]
    assert event["details"] == {"campaign_id": facts["campaign_id"],
                                "invitation_id": event["details"]["invitation_id"],
                                "message_id": invitation["message_id"], **extra}
    return invitation


def test_send_records_each_invitation_sent_and_delivered_for_its_rm(mail_rt, smtp_server):
    from test_events import events_of

    from quickcrm import events
    from quickcrm.campaigns.sending import send
    from quickcrm.clock import as_utc

    final_campaign(mail_rt)
    send(rt=mail_rt, campaign="Voorjaar")
    facts = mail_facts(mail_rt)
    received = smtp_server.message_ids()
    sent = events_of(mail_rt, events.INVITATION_SENT)
    delivered = events_of(mail_rt, events.INVITATION_DELIVERED)
    assert len(sent) == len(delivered) == 3
    admin = mail_rt.actor.id  # ran `send` on behalf of the RMs
    numbers = {}
    for event in sent:
        check_mail_event(event, facts, actor_id=admin)
    for event in delivered:
        invitation = check_mail_event(event, facts)
        assert invitation["message_id"] in received
        assert as_utc(event["at"]) == as_utc(invitation["delivered_at"])
        numbers[invitation["number"]] = invitation["rm"]
    assert numbers == {"000001": RM1, "000002": RM2, "000003": RM1}
    assert events_of(mail_rt, events.INVITATION_REJECTED) == []


def test_a_5xx_records_the_invitation_rejected_not_delivered(mail_rt, smtp_server):
    from test_events import events_of

    from quickcrm import events
    from quickcrm.campaigns.sending import send

    smtp_server.reject = {"klant000002@example.nl"}
    final_campaign(mail_rt)
    send(rt=mail_rt, campaign="Voorjaar")
    facts = mail_facts(mail_rt)
    (rejected,) = events_of(mail_rt, events.INVITATION_REJECTED)
    reason = rejected["details"].get("reason", "")
    assert "550" in reason
    invitation = check_mail_event(rejected, facts, mail_kind="invitation", reason=reason)
    assert (invitation["number"], invitation["rm"]) == ("000002", RM2)
    delivered = events_of(mail_rt, events.INVITATION_DELIVERED)
    assert sorted(facts["invitations"][e["details"]["invitation_id"]]["number"]
                  for e in delivered) == ["000001", "000003"]
    assert events_of(mail_rt, events.INVITATION_BOUNCED) == []


def test_dry_run_renders_and_writes_nothing(mail_rt, smtp_server):
    from quickcrm.campaigns.sending import send

    final_campaign(mail_rt)
    counts = send(rt=mail_rt, campaign="Voorjaar", dry_run=True)
    assert counts.invitations == 3 and counts.copies == 3 and counts.first_contact == 3
    assert counts.sample and "/q/" in counts.sample["text"]
    assert invitation_rows(mail_rt) == [] and smtp_server.messages == []


def test_queue_only_leaves_delivery_to_the_daemon(mail_rt, smtp_server):
    from quickcrm.campaigns.sending import send

    final_campaign(mail_rt)
    counts = send(rt=mail_rt, campaign="Voorjaar", queue_only=True)
    assert counts.queued == 6 and counts.delivered == 0 and smtp_server.messages == []
    assert mail_rt.deliver().delivered == 6


def test_draft_closed_and_not_permitted_are_refused(mail_rt):
    from quickcrm.campaigns.campaign import close_campaign
    from quickcrm.campaigns.sending import send

    add_clients(mail_rt, {"number": "000001"})
    new_campaign(mail_rt)
    with pytest.raises(InvalidState, match="is a draft"):
        send(rt=mail_rt, campaign="Voorjaar")
    run_select(mail_rt)
    with mail_rt.session() as s:
        from quickcrm.campaigns.campaign import finalize_campaign

        finalize_campaign(session=s, actor=mail_rt.actor, now=mail_rt.clock.now(),
                          campaign="Voorjaar")
        close_campaign(session=s, actor=mail_rt.actor, now=mail_rt.clock.now(),
                       campaign="Voorjaar")
    with pytest.raises(InvalidState, match="is closed"):
        send(rt=mail_rt, campaign="Voorjaar")
    from quickcrm.bootstrap import bootstrap

    rm = bootstrap(database_url=mail_rt.settings.database_url, env={}, acting_as=RM1)
    with pytest.raises(NotPermitted, match="send campaigns needs admin or coordinator"):
        send(rt=rm, campaign="Voorjaar")
    rm.close()


def test_cli_send_json_and_thursday_warning(cli, sqlite_url, clock, smtp_server):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, clock=clock, env={})
    final_campaign(rt)
    rt.close()
    env = {"QUICKCRM_SMTP_URL": smtp_server.url, "QUICKCRM_SKIP_WEEKDAYS": ""}
    result = cli("send", "Voorjaar", "--now", "2026-11-26T10:00", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["delivered"] == 6
    assert "donderdag" in result.stderr
    result = cli("send", "Nope", env=env)
    assert result.exit_code == 1 and result.stderr.strip() == "unknown campaign 'Nope'"
