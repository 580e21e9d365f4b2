"""The client's side of a campaign as use cases: open the page, say Ja or Nee, save
answers, finish with "Rapportage". The pages in ``pages.py`` only call these.

Every function takes a session and ``now`` and commits its own change. Recording is
driven by POSTs only: a GET (``find_scan``) never writes, because mail scanners fetch
every link in a message. Writers lock the invitation row (FOR UPDATE on PostgreSQL;
SQLite's BEGIN IMMEDIATE already serialises writers), so an answer can never be saved
after the QuickScan was finished in another tab.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, update
from sqlmodel import Session, col

from quickcrm.campaigns import invitation as inv
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.clock import as_utc, local_date
from quickcrm.events import (
    QUICKSCAN_FINISHED,
    QUICKSCAN_LOGGED_IN,
    QUICKSCAN_NOT_INTERESTED,
    QUICKSCAN_NOT_INTERESTED_UNDONE,
    record,
)
from quickcrm.quickscans.answers import Respondent, load_answers, write_answers
from quickcrm.quickscans.contacts import Contact, contact_of
from quickcrm.quickscans.definitions import definition_of
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.schema import Definition
from quickcrm.quickscans.steps import find_by_token
from quickcrm.runtime import Runtime

if TYPE_CHECKING:
    from quickcrm.quickscans.report_data import Contact as ReportContact

Status = Literal["new", "declined", "started", "finished"]


@dataclass
class Scan:
    """One invitation with everything its pages show."""

    invitation: Invitation
    client: CampaignClient
    campaign: Campaign
    quickscan: QuickScan
    definition: Definition
    answers: dict[str, str] = field(default_factory=dict)
    contact: Contact | None = None  # read for the intro, declined and finished pages

    @property
    def status(self) -> Status:
        i = self.invitation
        if i.finished_at is not None:
            return "finished"
        if i.not_interested_at is not None:
            return "declined"
        # Ja is the only POST besides Nee that can come first, so a login means Ja.
        return "started" if i.logged_in_at is not None else "new"

    @property
    def respondent(self) -> Respondent:
        return Respondent(invitation_id=self.invitation.id)

    def takes_answers(self) -> bool:
        return self.status in ("started", "new")

    def must_write(self) -> bool:
        return self.invitation.logged_in_at is None  # the first save records the login

    def store(self, session: Session, changes: dict[str, str | None], *,
              now: datetime) -> bool:
        return store_answers(session, self, changes, now=now)

    def answered(self) -> int:
        return sum(1 for q in self.definition.questions() if self.answers.get(q.id, "") != "")


def find_scan(session: Session, token: str, *, preview: bool = False,
              lock: bool = False, with_contact: bool = False) -> Scan | None:
    """The invitation behind a client token (or a preview token); None for anything
    unknown or malformed, so every miss looks the same."""
    column = col(Invitation.preview_token) if preview else col(Invitation.token)
    stmt = (select(Invitation, CampaignClient, Campaign, QuickScan)
            .join(CampaignClient, CampaignClient.id == Invitation.campaign_client_id)  # type: ignore[arg-type]
            .join(Campaign, Campaign.id == Invitation.campaign_id)  # type: ignore[arg-type]
            .join(QuickScan, QuickScan.id == Campaign.quickscan_id))  # type: ignore[arg-type]
    row = find_by_token(session, stmt, column, token, lock=lock, of=Invitation)
    if row is None:
        return None
    invitation, client, campaign, quickscan = row
    scan = Scan(invitation, client, campaign, quickscan, definition_of(quickscan))
    scan.answers = load_answers(session, scan.respondent)
    if with_contact and scan.status != "started":
        scan.contact = contact_of(session, client.rm_id)
    return scan


def _about(scan: Scan) -> dict[str, Any]:
    """Who and what a client's event is about: their relation and person, on behalf of
    their relationship manager, in this campaign and invitation."""
    return {"relation_id": scan.client.relation_id, "person_id": scan.client.person_id,
            "user_id": scan.client.rm_id, "campaign_id": scan.campaign.id,
            "invitation_id": scan.invitation.id}


def _login(session: Session, scan: Scan, now: datetime) -> None:
    assert scan.invitation.id is not None
    if scan.invitation.logged_in_at is None and inv.mark_logged_in(session, scan.invitation.id, now):
        scan.invitation.logged_in_at = now
        record(session, kind=QUICKSCAN_LOGGED_IN, at=now, **_about(scan))


def choose(session: Session, scan: Scan, *, interested: bool, now: datetime) -> None:
    """Ja starts the questions; Nee records "not interested" (column W). The first
    choice counts; a later one changes nothing. ``scan`` was found with ``lock=True``."""
    if scan.status == "new":
        assert scan.invitation.id is not None
        if not interested and inv.mark_not_interested(session, scan.invitation.id, now):
            scan.invitation.not_interested_at = now
            record(session, kind=QUICKSCAN_NOT_INTERESTED, at=now, **_about(scan))
        _login(session, scan, now)
        session.commit()


UNDO_WINDOW = timedelta(hours=1)  # "ongedaan maken" on the page right after Nee


def undo_code(scan: Scan) -> str:
    """The code the page right after Nee carries (and only that page: the link in the
    e-mail does not), so the declined page offers "ongedaan maken" until the client
    leaves it. Bound to this Nee: a new Nee needs a new code."""
    i = scan.invitation
    stamp = as_utc(i.not_interested_at).isoformat() if i.not_interested_at else ""
    return hmac.new(i.preview_token.encode(), f"undo:{i.token}:{stamp}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def can_undo(scan: Scan, code: str | None, now: datetime) -> bool:
    i = scan.invitation
    return (scan.status == "declined" and i.not_interested_at is not None and bool(code)
            and now - as_utc(i.not_interested_at) <= UNDO_WINDOW
            and hmac.compare_digest(str(code).encode(), undo_code(scan).encode()))


def undo_decline(session: Session, scan: Scan, *, code: str | None, now: datetime) -> bool:
    """Clear a Nee given moments ago (``can_undo``); the client then continues with the
    questions. ``scan`` was found with ``lock=True``. True when it was undone."""
    if not can_undo(scan, code, now):
        return False
    assert scan.invitation.id is not None
    session.execute(update(Invitation).where(col(Invitation.id) == scan.invitation.id)
                    .values(not_interested_at=None))
    scan.invitation.not_interested_at = None
    record(session, kind=QUICKSCAN_NOT_INTERESTED_UNDONE, at=now, **_about(scan))
    session.commit()
    return True


def store_answers(session: Session, scan: Scan, changes: dict[str, str | None], *,
                  now: datetime) -> bool:
    """Write checked answers (None deletes) and the first login, then commit; False,
    writing nothing, when the QuickScan was finished or declined meanwhile.

    Only the invitation's state is re-read, locked, inside the write transaction (see
    ``quickscans.steps.save_answers``)."""
    i = scan.invitation
    assert i.id is not None
    state = session.execute(
        select(col(Invitation.finished_at), col(Invitation.not_interested_at),
               col(Invitation.logged_in_at))
        .where(col(Invitation.id) == i.id).with_for_update()).one()
    if state.finished_at is not None or state.not_interested_at is not None:
        return False
    write_answers(session, scan.respondent, scan.answers, changes, now=now)
    i.logged_in_at = state.logged_in_at
    _login(session, scan, now)
    session.commit()
    return True


@dataclass(frozen=True)
class Prepared:
    """The report documents rendered before the write transaction, and from what."""

    answers: dict[str, str]
    report_date: date
    documents: Any  # quickscans.report.Documents


def prepare_report(scan: Scan, *, runtime: Runtime,
                   session: Session | None = None) -> Prepared:
    """Render the PDF and PPTX (some 50 ms) outside the write transaction, so that a
    client pressing Rapportage does not hold up every other client's answers.

    The documents carry the firm's branding (logo, colours, contact details: ``brand_of``)
    and the client's relationship manager as the next step's contact (``contact_of``),
    as ``quickcrm report --documents`` draws them. The manager is read in ``session``
    when given, else in a short read-only session of its own."""
    from quickcrm.campaigns.client_report import client_info
    from quickcrm.quickscans.report import brand_of, render_documents

    settings = runtime.settings
    day = local_date(runtime.clock.now(), settings.timezone)
    answers = dict(scan.answers)
    if session is None:
        with runtime.session(read_only=True) as own:
            contact = report_contact(own, scan.client.rm_id)
    else:
        contact = report_contact(session, scan.client.rm_id)
    docs = render_documents(definition=scan.definition, answers=answers,
                            client=client_info(scan.client),
                            firm_name=str(settings["firm.name"]), report_date=day,
                            brand=brand_of(settings), contact=contact)
    return Prepared(answers, day, docs)


def report_contact(session: Session, rm_id: int | None) -> ReportContact | None:
    """The relationship manager ``rm_id`` as the report's contact (None: the firm)."""
    from quickcrm.quickscans.report import contact_of as documents_contact
    from quickcrm.store.models import User

    return documents_contact(session.get(User, rm_id) if rm_id is not None else None)


def finish(session: Session, scan: Scan, *, runtime: Runtime,
           prepared: Prepared | None = None) -> bool:
    """"Rapportage": record the report date and "report sent" (columns S and V), queue
    the PDF to the client and PDF + PPTX to the relationship manager, and recompute the
    update face of an update QuickScan - all in one transaction. True only for the one
    call that finished (a double click or a second tab queues nothing); the caller then
    starts delivery. ``scan`` was found with ``lock=True`` in this session; ``prepared``
    documents are used when they show exactly the answers found under the lock."""
    from quickcrm.campaigns.client_report import queue_report_mails

    now, settings = runtime.clock.now(), runtime.settings
    if scan.status != "started":
        return False  # nothing written; the session's end rolls back without expiring
    i = scan.invitation
    assert i.id is not None
    if not inv.mark_finished(session, i.id, now):
        return False
    inv.mark_report_sent(session, i.id, now)
    if (prepared is None or prepared.answers != scan.answers
            or prepared.report_date != local_date(now, settings.timezone)):
        prepared = prepare_report(scan, runtime=runtime, session=session)
    queued = queue_report_mails(session, invitation=i, client=scan.client,
                                campaign=scan.campaign, definition=scan.definition,
                                documents=prepared.documents, settings=settings, now=now)
    faces: dict[str, str] = {}
    if scan.quickscan.kind == "update":
        from quickcrm.campaigns.faces import apply_update_answers

        faces = apply_update_answers(session=session, update_key=scan.quickscan.key,
                                     relation_id=scan.client.relation_id,
                                     answers=scan.answers, now=now)
    record(session, kind=QUICKSCAN_FINISHED, at=now, **_about(scan),
           answered=scan.answered(), mails=queued, update_faces=faces)
    session.commit()
    return True
