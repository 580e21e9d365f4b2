"""One invited client's report: the e-mails that carry the PDF to the client and the
PDF and PowerPoint to the relationship manager, and writing both to a folder on demand.

Used by the web app when a client presses "Rapportage" and by
``quickcrm report CAMPAIGN --client RELNR --documents DIR``; the documents themselves
are ``quickcrm.quickscans.report``'s, which knows nothing of campaigns.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.branding import for_settings
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.clock import local_date
from quickcrm.errors import NotFound, UnknownCampaign
from quickcrm.permissions import Actor
from quickcrm.quickscans.answers import Respondent, load_answers
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.report import (
    PDF,
    PPTX,
    Documents,
    brand_of,
    contact_of,
    render_documents,
)
from quickcrm.quickscans.report_data import ClientInfo
from quickcrm.quickscans.schema import Definition
from quickcrm.settings import Settings
from quickcrm.store.models import User


def client_info(client: CampaignClient) -> ClientInfo:
    """What a report shows of the client: the campaign's snapshot of them."""
    return ClientInfo(first_name=client.first_name, last_name=client.last_name,
                      company=client.company, relation_number=client.relation_number)


RM_NOTICE = ("Kopie voor de relatiemanager: {client} heeft de QuickScan afgerond en deze "
             "rapportage ontvangen. De PowerPoint voor uw gesprek zit als bijlage bij.")


def queue_report_mails(session: Session, *, invitation: Invitation, client: CampaignClient,
                       campaign: Campaign, definition: Definition, documents: Documents,
                       settings: Settings, now: datetime) -> int:
    """Queue the QuickScan's report e-mail to the client (PDF) and the same e-mail to the
    relationship manager (PDF and PPTX) in the caller's transaction; returns how many.
    Rendered by the campaign mailer, so it looks like the invitation it answers."""
    from dataclasses import replace

    from quickcrm.campaigns.mails import CampaignMailer, Manager, Person, manager_of
    from quickcrm.mail.compose import address
    from quickcrm.mail.outbox import queue_many

    mailer = CampaignMailer(
        definition=definition, campaign_name=campaign.name,
        firm_name=str(settings["firm.name"]), base_url=settings.base_url,
        sender=address(str(settings["mail.sender_name"]), str(settings["mail.sender"])),
        brand=for_settings(settings))
    person = Person(first_name=client.first_name, last_name=client.last_name,
                    email=client.email, company=client.company,
                    relation_number=client.relation_number)
    user = session.get(User, client.rm_id) if client.rm_id else None
    if user is not None and "@" in user.email:
        rm = manager_of(user)
    else:  # as the invitation did: the firm writes when a client has no manager
        rm = Manager(first_name=str(settings["firm.name"]), last_name="",
                     email=str(settings["mail.sender"]))
    ref, link = f"invitation:{invitation.id}", mailer.client_link(invitation.token)
    pdf = (documents.pdf_name, documents.pdf, PDF)
    drafts = []
    if "@" in client.email:  # a broken address must not stop the client from finishing
        drafts.append(replace(mailer.draft("report", ref=ref, to=person, client=person, rm=rm,
                                           link=link), attachments=[pdf]))
    if user is not None and "@" in user.email:
        notice = RM_NOTICE.format(client=person.name or client.relation_number)
        copy = mailer.draft("report_rm", ref=ref, to=rm, client=person, rm=rm,
                            link=mailer.preview_link(invitation.preview_token),
                            mail_kind="report", notice=notice)
        drafts.append(replace(copy, attachments=[pdf, (documents.pptx_name, documents.pptx,
                                                       PPTX)]))
    queue_many(session, drafts, now=now)
    if client.person_id is not None and user is not None and user.id is not None:
        from quickcrm.crm.signals import QUICKSCAN_FOLLOW_UP, auto_signal

        auto_signal(session, now=now, tz=settings.timezone, person_id=client.person_id,
                    user_id=user.id, title=QUICKSCAN_FOLLOW_UP, ref=ref)  # issue 26
    return len(drafts)


def write_client_documents(*, session: Session, actor: Actor, campaign: str,
                           relation_number: str, directory: Path, settings: Settings,
                           now: datetime) -> dict[str, Any]:
    """Write one client's PDF and PPTX of a campaign to ``directory`` (made if needed).

    Open to coordinators and administrators, and to the client's own relationship
    manager. A client who has not finished gets a report of the answers so far.
    """
    row = session.execute(
        select(Campaign, CampaignClient, QuickScan, Invitation)
        .join(CampaignClient, CampaignClient.campaign_id == Campaign.id)  # type: ignore[arg-type]
        .join(QuickScan, QuickScan.id == Campaign.quickscan_id)  # type: ignore[arg-type]
        .outerjoin(Invitation, Invitation.campaign_client_id == CampaignClient.id)  # type: ignore[arg-type]
        .where(col(Campaign.name) == campaign.strip(),
               col(CampaignClient.relation_number) == relation_number.strip())
    ).first()
    if row is None:
        if session.execute(select(col(Campaign.id)).where(col(Campaign.name) == campaign.strip())).first():
            raise NotFound(f"client {relation_number!r} is not in campaign {campaign!r}")
        raise UnknownCampaign(campaign)
    camp, client, quickscan, invitation = row
    permissions.require(actor, "read client reports", permissions.OwnClient(
        client.rm_id, what="reading another relationship manager's client report", right=None))
    from quickcrm.quickscans.definitions import definition_of

    definition = definition_of(quickscan)
    answers = (load_answers(session, Respondent(invitation_id=invitation.id))
               if invitation is not None else {})
    finished = invitation.finished_at if invitation is not None else None
    rm = session.get(User, client.rm_id) if client.rm_id else None
    brand = brand_of(settings)
    if brand.pptx_template:  # the web flow falls back to the shipped master; say so here
        from quickcrm.quickscans.report_pptx import check_template

        check_template(brand.pptx_template)
    docs = render_documents(definition=definition, answers=answers, client=client_info(client),
                            firm_name=str(settings["firm.name"]),
                            report_date=local_date(finished or now, settings.timezone),
                            brand=brand, contact=contact_of(rm))
    directory.mkdir(parents=True, exist_ok=True)
    pdf_path, pptx_path = directory / docs.pdf_name, directory / docs.pptx_name
    pdf_path.write_bytes(docs.pdf)
    pptx_path.write_bytes(docs.pptx)
    return {"campaign": camp.name, "client": client.relation_number,
            "finished": finished is not None, "answered": len(answers),
            "questions": len(definition.questions()), "pdf": str(pdf_path),
            "pptx": str(pptx_path)}
