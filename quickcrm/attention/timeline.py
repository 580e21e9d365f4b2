"""`attention timeline`: every event of a relation (or of a group's, or of a
relationship manager's relations) in time order, contact moments and what is shown but
not counted (invoices, reactions to mailings, data changes) alike, for a colleague back
from leave. E-mails show their subject and first lines (the outbox's stored message, or
the .eml a person's card recorded); helpdesk calls their status; amounts only for a
reader with ``see revenue``."""

from __future__ import annotations

from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.attention import kinds
from quickcrm.attention.monitor import MONITOR, REVENUE, helpdesk_status, period_bounds
from quickcrm.attention.scope import Relations, relation_ids
from quickcrm.clock import as_utc
from quickcrm.crm.models import PersonEmail
from quickcrm.crm.staff import rm_ids
from quickcrm.errors import InvalidInput
from quickcrm.events import details_of
from quickcrm.mail.models import OutboxBody, OutboxMessage
from quickcrm.permissions import Actor
from quickcrm.store.models import Event, Relation, User

E = Event.metadata.tables["event"]  # read only: written by quickcrm.events
R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
OB = OutboxBody.__table__  # type: ignore[attr-defined]
OM = OutboxMessage.__table__  # type: ignore[attr-defined]
PE = PersonEmail.__table__  # type: ignore[attr-defined]
FIRST_LINES = 3


def first_lines(raw: bytes, n: int = FIRST_LINES) -> tuple[str, str]:
    """The subject and the first ``n`` non-empty lines of a message's text."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    subject = str(msg.get("subject", ""))
    part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    text = ""
    if part is not None:
        try:
            text = part.get_content()
        except (LookupError, ValueError):
            text = ""
        if part.get_content_type() == "text/html":
            import re

            text = re.sub(r"<[^>]+>", " ", text)
    return subject, text_lines(text, n)


def text_lines(text: str, n: int = FIRST_LINES) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:n])


def _mail(session: Session, details: dict[str, Any], person_id: int | None
          ) -> tuple[str, str] | None:
    """An e-mail's subject and first lines: the message QuickCRM queued (outbox), the
    one filed on a person's card (``person_email``: a received .eml), or a .eml path."""
    message_id = details.get("message_id")
    if isinstance(message_id, str):
        raw = session.connection().execute(
            select(OB.c.body).where(OB.c.message_id == message_id)).scalar()
        if raw is not None:
            return first_lines(bytes(raw))
        if person_id is not None:
            card = session.connection().execute(
                select(PE.c.subject, PE.c.body).where(PE.c.person_id == person_id,
                                                      PE.c.message_id == message_id)).first()
            if card is not None:
                return card.subject, text_lines(card.body or "")
        subject = session.connection().execute(
            select(OM.c.subject).where(OM.c.message_id == message_id)).scalar()
        if subject is not None:
            return subject, ""
    eml = details.get("eml") or details.get("eml_path")
    if isinstance(eml, str) and eml.endswith(".eml") and Path(eml).is_file():
        return first_lines(Path(eml).read_bytes())
    return None


def timeline(*, session: Session, actor: Actor, tz: str, number: str | None = None,
             group: str | None = None, rm: str | None = None, start: date | None = None,
             end: date | None = None, detail: bool = False) -> dict[str, Any]:
    """The events, oldest first, as {relation, name, at, kind, type, counted, user,
    channel, subject, ...}; ``detail`` adds the e-mails' first lines and every
    detail."""
    permissions.require(actor, MONITOR)
    if sum(x is not None for x in (number, group, rm)) != 1:
        raise InvalidInput("give one of RELNR, --group G or --rm EMAIL")
    if rm is not None:
        (uid,) = rm_ids(session.connection(), [rm])
        ids = list(session.connection().execute(
            select(R.c.id).where(R.c.rm_id == uid)).scalars())
    elif group is not None:
        ids = relation_ids(session, Relations(group=group)) or []
    else:
        ids = relation_ids(session, Relations(numbers=(number or "",))) or []
    revenue_ok = permissions.allowed(actor, REVENUE)
    query = (select(E.c.id, E.c.at, E.c.kind, E.c.relation_id, E.c.person_id, E.c.details,
                    E.c.channel, E.c.amount, R.c.number, R.c.company, U.c.email)
             .join(R, R.c.id == E.c.relation_id).outerjoin(U, U.c.id == E.c.user_id)
             .where(E.c.kind.in_(list(kinds.SHOWN)))
             .order_by(E.c.at, E.c.id))
    if start is not None and end is not None:
        low, high = period_bounds(start, end, tz)
        query = query.where(E.c.at >= low, E.c.at < high)
    rows: list[Any] = []
    wanted = set(ids)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        rows.extend(session.connection().execute(query.where(E.c.relation_id.in_(chunk))))
    rows.sort(key=lambda r: (as_utc(r.at), r.id))
    calls = [r.id for r in rows if r.kind == kinds.CALLS]
    status = helpdesk_status(session, call_ids=calls) if calls else {}
    out = []
    for r in rows:
        if r.relation_id not in wanted:
            continue
        details = details_of(r.details)
        rule = kinds.TABLE[r.kind]
        item: dict[str, Any] = {
            "id": r.id, "relation": r.number, "name": r.company, "at": r.at, "kind": r.kind,
            "type": kinds.type_of(r.kind, details), "counted": rule.counted,
            "user": r.email, "channel": kinds.channel_of(r.kind, r.channel, details)
            if rule.counted else r.channel, "subject": details.get("subject", ""),
        }
        if r.kind == kinds.CALLS:
            item["status"] = "opgelost" if status.get(r.id) else "open"
        if r.amount is not None and revenue_ok:
            item["amount"] = r.amount
        if item["type"] == kinds.CORRESPONDENTIE or details.get("message_id"):
            mail = _mail(session, details, r.person_id)
            if mail is not None:
                item["subject"] = item["subject"] or mail[0]
                if detail:
                    item["first_lines"] = mail[1]
        if detail:
            item["details"] = {k: v for k, v in details.items()
                               if revenue_ok or k not in ("amount", "revenue")}
        out.append(item)
    return {"from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None, "events": out,
            "counted": sum(1 for i in out if i["counted"])}

