"""Access (issue 29 item 3): ``privacy export PERSON --out FILE.zip``.

The zip holds ``person.json`` (the card: fields, properties, indicators, notes, signals,
risk history, identification, links, dossiers; the procedures' projects, steps and
appointments; campaign participations with answers; landing visits with answers and
consent; the events about them), every e-mail to or from them as ``emails/*.eml`` (the
outbox's texts of the messages that refer to them, as ``privacy forget`` finds them,
and the mail filed on their card) and their stored files under ``files/``. Amounts
(events' ``amount``, amounts in details) only for a reader with ``see revenue``.

Written to a temporary file beside ``FILE.zip`` (mode 0600) and renamed: an error leaves
nothing behind. Rows of a table the registry ties to the person by ``person_id`` that no
section below names are listed under ``other`` (``registry.DELETED_BY_PERSON``), so a
new table of a later area is in the export too.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, SQLModel, col

from quickcrm import permissions
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.crm.models import (
    Dossier,
    DossierApplicant,
    DossierProduct,
    Identification,
    Indicator,
    Note,
    PersonEmail,
    PersonIndicator,
    PersonLink,
    PersonPair,
    PropertyDef,
    PropertyValue,
    RiskClassification,
    Signal,
    StoredFile,
)
from quickcrm.errors import InvalidInput, NotFound
from quickcrm.events import PRIVACY_EXPORTED, record
from quickcrm.landing.models import LandingPage, LandingVisitor
from quickcrm.mail.models import OutboxBody, OutboxMessage
from quickcrm.permissions import Actor
from quickcrm.privacy import registry
from quickcrm.privacy.erasure import ACTION, find_theirs
from quickcrm.privacy.people import find_person, relation_of, visitor_as_person
from quickcrm.procedures.models import Appointment, Project, ProjectContact, StepTaken
from quickcrm.quickscans.models import Answer, QuickScan
from quickcrm.store.models import Event, Person, Relation, User

REVENUE = "see revenue"
AMOUNT_KEYS = frozenset({"amount", "revenue", "amounts", "per_contact"})
NAMED = frozenset({"person_key", "property_value", "person_indicator", "note", "signal",
                   "person_pair", "person_link", "risk_classification", "identification",
                   "stored_file", "person_email", "dossier_applicant", "project_contact",
                   "appointment"})


@dataclass
class Exported:
    person_id: int | None  # None: landing page visits of an address no person has
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    amounts: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _row(obj: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = obj.model_dump() if isinstance(obj, SQLModel) else dict(obj._mapping)
    return {k: _plain(v) for k, v in data.items() if k not in drop}


def _details(text: str, revenue: bool) -> Any:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return text
    if revenue:
        return data

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if k not in AMOUNT_KEYS}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(data)


def _all(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).scalars())


def _card(session: Session, pid: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["properties"] = [
        {"name": d.name, "type": d.type, "value": v.value}
        for v, d in session.execute(select(PropertyValue, PropertyDef).join(
            PropertyDef, col(PropertyDef.id) == col(PropertyValue.property_id))
            .where(col(PropertyValue.person_id) == pid).order_by(col(PropertyDef.name))).all()]
    out["indicators"] = [str(n) for n in session.execute(select(col(Indicator.name)).join(
        PersonIndicator, col(PersonIndicator.indicator_id) == col(Indicator.id))
        .where(col(PersonIndicator.person_id) == pid).order_by(col(Indicator.name))).scalars()]
    out["notes"] = [_row(n, ("person_id",)) for n in _all(session, select(Note).where(
        col(Note.person_id) == pid).order_by(col(Note.id)))]
    out["signals"] = [_row(n, ("person_id",)) for n in _all(session, select(Signal).where(
        col(Signal.person_id) == pid).order_by(col(Signal.id)))]
    out["risk_history"] = [_row(r, ("person_id",)) for r in _all(session, select(
        RiskClassification).where(col(RiskClassification.person_id) == pid)
        .order_by(col(RiskClassification.at), col(RiskClassification.id)))]
    out["identification"] = [_row(r, ("person_id",)) for r in _all(session, select(
        Identification).where(col(Identification.person_id) == pid)
        .order_by(col(Identification.id)))]
    pairs = []
    for pair, other in session.execute(select(PersonPair, Person).join(
            Person, col(Person.id) == col(PersonPair.other_id))
            .where(col(PersonPair.person_id) == pid)).all():
        pairs.append({"type": pair.type, "person_id": other.id,
                      "name": " ".join(p for p in (other.first_name, other.last_name) if p)})
    links = [{"relation": number, "company": company, "role": link.role}
             for link, number, company in session.execute(
                 select(PersonLink, col(Relation.number), col(Relation.company)).join(
                     Relation, col(Relation.id) == col(PersonLink.relation_id))
                 .where(col(PersonLink.person_id) == pid)).all()]
    out["links"] = {"persons": pairs, "relations": links}
    dossiers = []
    for dossier, position in session.execute(select(Dossier, col(DossierApplicant.position)).join(
            DossierApplicant, col(DossierApplicant.dossier_id) == col(Dossier.id))
            .where(col(DossierApplicant.person_id) == pid).order_by(col(Dossier.id))).all():
        products = [_row(p, ("dossier_id",)) for p in _all(session, select(DossierProduct)
                    .where(col(DossierProduct.dossier_id) == dossier.id))]
        dossiers.append({**_row(dossier), "position": position, "products": products})
    out["dossiers"] = dossiers
    return out


def _procedures(session: Session, pid: int) -> list[dict[str, Any]]:
    out = []
    for contact, project in session.execute(select(ProjectContact, Project).join(
            Project, col(Project.id) == col(ProjectContact.project_id))
            .where(col(ProjectContact.person_id) == pid).order_by(col(ProjectContact.id))).all():
        steps = [_row(s, ("contact_id",)) for s in _all(session, select(StepTaken).where(
            col(StepTaken.contact_id) == contact.id).order_by(col(StepTaken.at)))]
        out.append({"project": project.name, "status": contact.status,
                    "since": _plain(contact.created_at), "last_step_at":
                    _plain(contact.last_step_at), "steps": steps})
    return out


def _answers(session: Session, column: Any, owner: int, quickscan: QuickScan | None
             ) -> list[dict[str, Any]]:
    from quickcrm.quickscans.definitions import definition_of

    definition = definition_of(quickscan) if quickscan is not None else None
    out = []
    for a in _all(session, select(Answer).where(column == owner).order_by(col(Answer.id))):
        q = definition.question(a.question_id) if definition is not None else None
        out.append({"question_id": a.question_id, "question": q.text if q else "",
                    "value": a.value, "answered_at": _plain(a.answered_at)})
    return out


def _campaigns(session: Session, clients: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not clients:
        return out
    for client, campaign, qs in session.execute(select(CampaignClient, Campaign, QuickScan)
            .join(Campaign, col(Campaign.id) == col(CampaignClient.campaign_id))
            .join(QuickScan, col(QuickScan.id) == col(Campaign.quickscan_id))
            .where(col(CampaignClient.id).in_(clients)).order_by(col(CampaignClient.id))).all():
        inv = session.execute(select(Invitation).where(
            col(Invitation.campaign_client_id) == client.id)).scalar_one_or_none()
        out.append({
            "campaign": campaign.name, "quickscan": qs.title, "status": campaign.status,
            "snapshot": _row(client, ("id", "campaign_id", "rm_id", "relation_id")),
            "invitation": _row(inv, ("token", "preview_token", "optout_token", "campaign_id",
                                     "campaign_client_id", "relation_id", "id"))
            if inv else None,
            "answers": _answers(session, col(Answer.invitation_id), inv.id, qs)
            if inv and inv.id else []})
    return out


def _visits(session: Session, visitors: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not visitors:
        return out
    for v, page, qs in session.execute(select(LandingVisitor, LandingPage, QuickScan)
            .join(LandingPage, col(LandingPage.id) == col(LandingVisitor.page_id))
            .join(QuickScan, col(QuickScan.id) == col(LandingPage.quickscan_id))
            .where(col(LandingVisitor.id).in_(visitors)).order_by(col(LandingVisitor.id))).all():
        assert v.id is not None
        out.append({"page": page.slug, "title": page.title,
                    **_row(v, ("token", "secret", "confirm_token", "page_id", "id")),
                    "answers": _answers(session, col(Answer.landing_visitor_id), v.id, qs)})
    return out


def _events(session: Session, ids: list[int], revenue: bool) -> list[dict[str, Any]]:
    out = []
    users = {u.id: u.email for u in _all(session, select(User))}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for e in _all(session, select(Event).where(col(Event.id).in_(chunk))):
            item = {"at": _plain(e.at), "kind": e.kind, "user": users.get(e.user_id),
                    "relation_id": e.relation_id, "details": _details(e.details, revenue)}
            if e.channel:
                item["channel"] = e.channel
            if revenue and e.amount is not None:
                item["amount"] = e.amount
            out.append(item)
    return sorted(out, key=lambda i: (i["at"], i["kind"]))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "message"


def _filed(row: PersonEmail) -> bytes:
    """A message filed on the card (or sent from it, once its text was purged) as .eml
    from what the card keeps."""
    msg = EmailMessage(policy=policy.default)
    msg["From"] = row.sender
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC))
    msg["Message-ID"] = row.message_id
    msg.set_content(row.body or "")
    return msg.as_bytes()


def export(*, session: Session, actor: Actor, now: datetime, person: str, out: Path,
           files_root: Path) -> Exported:
    """Write everything held about ``person`` to the zip ``out`` (``handle privacy
    requests``: admin); one ``privacy.exported`` event with counts."""
    permissions.require(actor, ACTION)
    if out.suffix.lower() != ".zip":
        raise InvalidInput(f"--out {out}: give a file name ending in .zip")
    if not out.parent.is_dir():
        raise InvalidInput(f"--out {out}: no such directory {out.parent}")
    try:
        found = find_person(session, person)
    except NotFound:
        found = visitor_as_person(session, person)  # landing visits, never confirmed
    assert found.id is not None
    pid = found.id
    revenue = permissions.allowed(actor, REVENUE)
    theirs = find_theirs(session, found)
    relation = relation_of(session, found)
    doc: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "person": _row(found, ("address_key",)) if pid else None,
        "relation": {"number": relation.number, "company": relation.company}
        if relation else None,
        **_card(session, pid),
        "procedures": _procedures(session, pid),
        "appointments": [_row(a, ("person_id",)) for a in _all(session, select(Appointment)
                         .where(col(Appointment.id).in_(theirs.appointments))
                         .order_by(col(Appointment.start)))] if theirs.appointments else [],
        "campaigns": _campaigns(session, theirs.clients),
        "landing_visits": _visits(session, theirs.visitors),
        "events": _events(session, theirs.events, revenue),
        "amounts_included": revenue,
    }
    other: dict[str, list[dict[str, Any]]] = {}
    for declared in registry.DELETED_BY_PERSON:  # a table no section above reads
        if declared.name in NAMED:
            continue
        table = SQLModel.metadata.tables[declared.name]
        rows = session.execute(select(table).where(
            or_(*(table.c[c] == pid for c in declared.columns)))).all()
        if rows:
            other[declared.name] = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
    if other:
        doc["other"] = other

    mails: list[tuple[str, bytes]] = []
    sent = {}
    for chunk in (theirs.messages[i:i + 500] for i in range(0, len(theirs.messages), 500)):
        for message, body in session.execute(select(OutboxMessage, col(OutboxBody.body)).join(
                OutboxBody, col(OutboxBody.message_id) == col(OutboxMessage.message_id))
                .where(col(OutboxMessage.message_id).in_(chunk))).all():
            sent[message.message_id] = (message, bytes(body))
    for _mid, (message, body) in sorted(sent.items(), key=lambda i: i[1][0].created_at):
        name = f"emails/{len(mails) + 1:04d}-{_safe(message.kind)}.eml"
        mails.append((name, body))
    emails_doc = []
    for row in _all(session, select(PersonEmail).where(col(PersonEmail.person_id) == pid)
                    .order_by(col(PersonEmail.at))):
        item = {"direction": row.direction, "subject": row.subject, "from": row.sender,
                "to": row.recipient, "at": _plain(row.at), "message_id": row.message_id}
        if row.message_id not in sent:  # received, or sent with its text purged since
            name = f"emails/{len(mails) + 1:04d}-card-{row.direction}.eml"
            mails.append((name, _filed(row)))
            item["file"] = name
        emails_doc.append(item)
    doc["emails"] = emails_doc
    doc["email_files"] = [name for name, _b in mails]

    files = []
    stored = _all(session, select(StoredFile).where(col(StoredFile.person_id) == pid)
                  .order_by(col(StoredFile.id)))
    for f in stored:
        files.append({"name": f.name, "size": f.size, "sha256": f.sha256, "at": _plain(f.at),
                      "file": f"files/{f.id}-{_safe(f.name)}"})
    doc["files"] = files

    counts = {"emails": len(mails), "files": len(files), "events": len(doc["events"]),
              "campaigns": len(doc["campaigns"]), "landing_visits": len(doc["landing_visits"]),
              "notes": len(doc["notes"])}
    _write(out, doc, mails, [(f["file"], f["sha256"]) for f in files], files_root)
    record(session, kind=PRIVACY_EXPORTED, at=now, person_id=pid or None,
           relation_id=found.relation_id, user_id=actor.id or None, counts=counts,
           amounts_included=revenue)
    session.commit()
    return Exported(person_id=pid or None, path=str(out), counts=counts, amounts=revenue)


def _write(out: Path, doc: dict[str, Any], mails: list[tuple[str, bytes]],
           files: list[tuple[str, str]], root: Path) -> None:
    from quickcrm.crm.filestore import blob_path

    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".quickcrm-export-", suffix=".zip")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("person.json", json.dumps(doc, ensure_ascii=False, indent=2,
                                                 default=str))
            for name, data in mails:
                z.writestr(name, data)
            for name, sha in files:
                blob = blob_path(root, sha)
                if not blob.is_file():
                    raise InvalidInput(f"a stored file ({name}) is missing from {root}")
                z.write(blob, name)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
