"""E-mail on a person's card (seed 001, "E-mails (in)" / "E-mails (uit)"): one-to-one
mail sent from the card through the outbox (kind ``person_email``, ref ``person:ID``,
From the acting user), incoming mail filed from a .eml file (once per Message-ID), and
the card's list, which also shows the campaign mail the outbox sent to the person's
address (beyond the seed).

In the mail area rather than crm because it queues through ``mail.outbox``; it builds
on crm (persons, their card table ``person_email``) downwards only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import events
from quickcrm.clock import as_utc
from quickcrm.crm.models import PersonEmail
from quickcrm.crm.persons import clean, get_person, require_edit
from quickcrm.errors import InvalidInput, InvalidState
from quickcrm.mail.compose import address
from quickcrm.mail.models import OutboxMessage
from quickcrm.mail.outbox import queue_message
from quickcrm.permissions import Actor
from quickcrm.settings import Settings
from quickcrm.store.models import User

MAX_EML = 25_000_000


def send_person_email(*, session: Session, actor: Actor, now: datetime, settings: Settings,
                      person_id: int, subject: str, text: str) -> tuple[PersonEmail, list[str]]:
    """Queue one e-mail to the person (From the acting user, the platform's envelope);
    returns the card's row and warnings (an opted-out person is warned about, not
    refused: this is one-to-one mail, not a campaign). The caller delivers."""
    require_edit(actor)
    person = get_person(session, person_id)
    if not person.email:
        raise InvalidState(f"person {person_id} has no e-mail address")
    subject, text = clean(subject), clean(text)
    if not subject:
        raise InvalidInput("give a --subject")
    if not text:
        raise InvalidInput("the message is empty")
    warnings = []
    if person.opted_out:
        warnings.append(f"note: {person.email} opted out of campaign mail; this one-to-one "
                        "message is sent anyway")
    user = session.get(User, actor.id)
    assert user is not None
    name = " ".join(p for p in (person.first_name, person.last_name) if p)
    message = queue_message(session, kind="person_email", ref=f"person:{person_id}",
                            to=address(name, person.email), from_=address(user.name, user.email),
                            sender=str(settings["mail.sender"]), subject=subject, text=text,
                            now=now)
    row = PersonEmail(person_id=person_id, direction="out", message_id=message.message_id,
                      subject=subject, sender=user.email, recipient=person.email, body=text,
                      user_id=actor.id, at=now)
    session.add(row)
    session.flush()
    events.record(session, kind=events.PERSON_EMAIL_SENT, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id,
                  message_id=message.message_id, subject=subject)
    session.commit()
    return row, warnings


def _body(message: Any) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return clean(part.get_content())
    except (LookupError, ValueError):
        return ""


def file_person_email(*, session: Session, actor: Actor, now: datetime, person_id: int,
                      path: Path) -> tuple[PersonEmail, bool]:
    """File a received message (.eml) on the card; (row, False) when its Message-ID is
    already there."""
    require_edit(actor)
    person = get_person(session, person_id)
    try:
        if path.stat().st_size > MAX_EML:
            raise InvalidInput(f"{path}: larger than {MAX_EML // 1_000_000} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror})") from None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not (message["From"] or message["Subject"] or message["Message-ID"]):
        raise InvalidInput(f"{path}: not an e-mail message (no From, Subject or Message-ID)")
    message_id = clean(str(message["Message-ID"] or "")) or f"<file-{hash(raw) & 0xffffffff}>"
    known = session.execute(select(PersonEmail).where(
        col(PersonEmail.person_id) == person_id, col(PersonEmail.message_id) == message_id)
    ).scalar_one_or_none()
    if known is not None:
        return known, False
    try:
        at = parsedate_to_datetime(str(message["Date"])).astimezone(UTC) if message["Date"] else now
    except (TypeError, ValueError):
        at = now
    row = PersonEmail(person_id=person_id, direction="in", message_id=message_id[:300],
                      subject=clean(str(message["Subject"] or ""))[:500],
                      sender=parseaddr(str(message["From"] or ""))[1][:320],
                      recipient=parseaddr(str(message["To"] or ""))[1][:320],
                      body=_body(message), user_id=actor.id, at=at)
    session.add(row)
    session.flush()
    events.record(session, kind=events.PERSON_EMAIL_RECEIVED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, message_id=message_id,
                  subject=row.subject)
    session.commit()
    return row, True


def list_person_emails(*, session: Session, person_id: int) -> list[dict[str, Any]]:
    """The card's e-mails, newest first, with the outbox's status of those sent, plus
    campaign mail sent to the person's address."""
    person = get_person(session, person_id)
    out = []
    status = {}
    for email in session.execute(select(PersonEmail).where(
            col(PersonEmail.person_id) == person_id)).scalars():
        out.append({"direction": email.direction, "at": email.at, "subject": email.subject,
                    "from": email.sender, "to": email.recipient,
                    "message_id": email.message_id, "source": "card"})
    ids = [e["message_id"] for e in out if e["direction"] == "out"]
    if ids:
        status = dict(session.execute(select(col(OutboxMessage.message_id), col(OutboxMessage.status))
                                      .where(col(OutboxMessage.message_id).in_(ids))).all())
    for e in out:
        e["status"] = status.get(e["message_id"], "")
    if person.email:
        for m in session.execute(select(OutboxMessage).where(
                col(OutboxMessage.recipient) == person.email,
                col(OutboxMessage.kind) != "person_email")).scalars():
            out.append({"direction": "out", "at": m.sent_at or m.created_at,
                        "subject": m.subject, "from": "", "to": m.recipient,
                        "message_id": m.message_id, "source": m.kind, "status": m.status})
    out.sort(key=lambda e: as_utc(e["at"]), reverse=True)
    return out
