"""A person's privacy (issue 29): their opt-out (``privacy opt-out``) and what QuickCRM
holds about them, per kind, with when each kind is purged (``privacy show``). Counts
over the tables of the client file, campaigns, landing pages, the outbox, the sales
procedures (contacts, steps, appointments) and every other table with a ``person_id``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.campaigns.campaign import CLOSED
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
from quickcrm.errors import NotFound
from quickcrm.events import PRIVACY_OPT_OUT_UNDONE, PRIVACY_OPTED_OUT, record
from quickcrm.landing.models import LandingVisitor
from quickcrm.mail.models import SENT, OutboxBody, OutboxMessage
from quickcrm.permissions import Actor
from quickcrm.privacy.people import find_person, relation_of
from quickcrm.privacy.retention import periods
from quickcrm.quickscans.models import Answer
from quickcrm.settings import Settings
from quickcrm.store.models import Event, Person


@dataclass(frozen=True)
class OptOut:
    person_id: int
    name: str
    email: str
    relation: str | None
    opted_out: bool
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _name(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name) if p)


def opt_out(*, session: Session, actor: Actor, now: datetime, person: str,
            undo: bool = False) -> OptOut:
    """Set (``undo``: clear) ``person.opted_out``: selections leave them out and ``send``
    and ``remind`` pass them over, even in a campaign finalized before. The coordinators,
    admins and the relation's own relationship manager may; one event when it changed."""
    found = find_person(session, person)
    relation = relation_of(session, found)
    permissions.require(actor, "record opt-outs", permissions.OwnClient(
        relation.rm_id if relation else None,
        what="recording the opt-out of another relationship manager's client"))
    assert found.id is not None
    wanted = not undo
    changed = bool(found.opted_out) != wanted
    if changed:
        found.opted_out = wanted
        found.updated_at = now
        session.add(found)
        record(session, kind=PRIVACY_OPTED_OUT if wanted else PRIVACY_OPT_OUT_UNDONE, at=now,
               relation_id=found.relation_id, person_id=found.id, user_id=actor.id or None,
               via="privacy opt-out")
    session.commit()
    return OptOut(person_id=found.id, name=_name(found), email=found.email,
                  relation=relation.number if relation else None, opted_out=wanted,
                  changed=changed)


@dataclass
class Held:
    """One kind of data held about the person: how many, and until when."""

    kind: str
    count: int
    purged: str  # in words: "kept until erased", "30 days after the campaign closes", ...
    purge_at: datetime | None = None  # the next moment a purge takes some of it


@dataclass
class Shown:
    person_id: int | None  # None: only landing page visits, no person (yet)
    name: str
    email: str
    phone: str
    relation: str | None
    company: str
    opted_out: bool
    held: list[Held] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "held"}
        out["held"] = [h.__dict__ for h in self.held]
        return out


def _n(session: Session, query: Any) -> int:
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def _first(session: Session, query: Any) -> datetime | None:
    value = session.execute(query).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


def _after(moment: datetime | None, days: int) -> datetime | None:
    if moment is None or not days:
        return None
    from datetime import UTC

    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment + timedelta(days=days)


COUNTED_ABOVE = frozenset({"person", "campaign_client", "landing_visitor", "event",
                           "project_contact", "appointment"})


def _person_tables() -> list[Any]:
    """Every other table with a ``person_id`` (the person CRM's notes, signals, files,
    search keys, dossiers, ...; the procedures' contacts), so what a later area adds
    about a person is listed without a change here."""
    from sqlmodel import SQLModel

    import quickcrm.crm.models
    import quickcrm.procedures.models  # noqa: F401 - their tables join the metadata

    return [t for t in SQLModel.metadata.sorted_tables
            if "person_id" in t.c and t.name not in COUNTED_ABOVE]


def _procedure_counts(session: Session, pid: int, held: list[Held], erased: str) -> None:
    """The sales procedures' rows about them (issue 29 item 6): the projects they are a
    contact in, the steps taken with them there and their appointments."""
    from quickcrm.procedures.models import Appointment, ProjectContact, StepTaken

    contacts = select(col(ProjectContact.id)).where(col(ProjectContact.person_id) == pid)
    held.append(Held("project contacts", _n(session, contacts),
                     erased + " (their prospect status per project)"))
    held.append(Held("procedure steps", _n(session, select(col(StepTaken.id)).where(
        col(StepTaken.contact_id).in_(contacts))), erased + " (with the step's note)"))
    held.append(Held("appointments", _n(session, select(col(Appointment.id)).where(or_(
        col(Appointment.person_id) == pid, col(Appointment.contact_id).in_(contacts)))),
        erased + " (title, place, time)"))


def _visitor(session: Session, ref: str) -> LandingVisitor | None:
    """The newest landing visitor with the e-mail address ``ref`` (who may never have
    confirmed it, so has no person), or None."""
    if "@" not in ref:
        return None
    found = session.execute(select(LandingVisitor).where(
        func.lower(col(LandingVisitor.email)) == ref.strip().lower())
        .order_by(col(LandingVisitor.id).desc())).scalars().first()
    return found if isinstance(found, LandingVisitor) else None


def show(*, session: Session, actor: Actor, person: str, settings: Settings) -> Shown:
    """What is held about ``person`` (counts per kind), their opt-out and when each kind
    goes under the retention settings (``handle privacy requests``: admin)."""
    permissions.require(actor, "handle privacy requests")
    days = periods(settings)
    visitor: LandingVisitor | None = None
    try:
        found: Person | None = find_person(session, person)
    except NotFound:
        visitor = _visitor(session, person)  # a landing visitor who never became a person
        if visitor is None:
            raise
        found = None
    erased = "kept until erased"
    if found is not None:
        assert found.id is not None
        relation = relation_of(session, found)
        pid, email = found.id, found.email.strip().lower()
        shown = Shown(person_id=pid, name=_name(found), email=found.email, phone=found.phone,
                      relation=relation.number if relation else None,
                      company=relation.company if relation else "", opted_out=found.opted_out)
        shown.held.append(Held("person", 1, erased + " (name, e-mail, phone, opt-out)"))
    else:
        assert visitor is not None
        relation = None
        pid, email = 0, visitor.email.strip().lower()  # 0: no person has that id
        shown = Shown(person_id=None, name=f"{visitor.first_name} {visitor.last_name}".strip(),
                      email=visitor.email, phone="", relation=None, company=visitor.company,
                      opted_out=False)
    held = shown.held

    clients = select(col(CampaignClient.id)).where(col(CampaignClient.person_id) == pid)
    held.append(Held("campaign participations", _n(session, clients),
                     erased + " (the campaign's snapshot of name and e-mail)"))
    invitations = select(col(Invitation.id)).where(col(Invitation.campaign_client_id).in_(clients))
    held.append(Held("invitations", _n(session, invitations), erased + " (times only)"))
    answers = select(col(Answer.id)).where(col(Answer.invitation_id).in_(invitations))
    a_days = days["privacy.answers_days"]
    closed = (select(func.min(Campaign.closed_at))
              .join(Invitation, col(Invitation.campaign_id) == col(Campaign.id))
              .join(Answer, col(Answer.invitation_id) == col(Invitation.id))
              .where(col(Invitation.id).in_(invitations), col(Campaign.status) == CLOSED))
    held.append(Held("campaign answers", _n(session, answers),
                     f"{a_days} days after their campaign closes" if a_days else
                     "kept (privacy.answers_days = 0)",
                     _after(_first(session, closed), a_days)))

    mine = or_(col(LandingVisitor.person_id) == pid,
               func.lower(col(LandingVisitor.email)) == email) if email else \
        col(LandingVisitor.person_id) == pid
    visits = select(col(LandingVisitor.id)).where(mine)
    v_days = days["privacy.unconfirmed_visitor_days"]
    unconfirmed = select(func.min(LandingVisitor.started_at)).where(
        mine, col(LandingVisitor.confirmed_at).is_(None))
    held.append(Held("landing page visits", _n(session, visits),
                     (f"unconfirmed ones {v_days} days after the visit; confirmed ones "
                      f"{erased}") if v_days else erased,
                     _after(_first(session, unconfirmed), v_days)))
    held.append(Held("landing page answers", _n(session, select(col(Answer.id)).where(
        col(Answer.landing_visitor_id).in_(visits))), "as their visit"))

    messages = select(col(OutboxMessage.message_id)).where(
        func.lower(col(OutboxMessage.recipient)) == email) if email else \
        select(col(OutboxMessage.message_id)).where(col(OutboxMessage.id).is_(None))
    o_days = days["privacy.outbox_days"]
    held.append(Held("e-mails to them (outbox rows)", _n(session, messages),
                     erased + " (recipient, subject, status, times)"))
    bodies = select(col(OutboxBody.message_id)).where(col(OutboxBody.message_id).in_(messages))
    oldest = select(func.min(OutboxMessage.sent_at)).where(
        col(OutboxMessage.message_id).in_(bodies), col(OutboxMessage.status) == SENT)
    held.append(Held("e-mail texts", _n(session, bodies),
                     f"{o_days} days after sending" if o_days else
                     "kept (privacy.outbox_days = 0)", _after(_first(session, oldest), o_days)))

    held.append(Held("events about them", _n(session, select(col(Event.id)).where(
        col(Event.person_id) == pid)), "kept (the audit trail)"))
    _procedure_counts(session, pid, held, erased)
    for table in _person_tables():
        count = _n(session, select(table.c.person_id).where(table.c.person_id == pid))
        if count:
            held.append(Held(f"{table.name} rows", count, erased))
    if relation is not None:
        held.append(Held("exclusions of their relation", _n(session, select(
            col(Exclusion.campaign_id)).where(col(Exclusion.relation_number) == relation.number)),
            erased + " (with the reason given)"))
    return shown
