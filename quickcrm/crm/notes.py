"""Notes on a person's card (seed 001, "Notities"): title, text, priority (red on the
card), shown in the dossier, always first (pinned)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import events
from quickcrm.crm.models import Note
from quickcrm.crm.persons import clean, get_person, require_edit
from quickcrm.errors import InvalidInput, NotFound
from quickcrm.permissions import Actor
from quickcrm.store.models import User

SORTS = ("date", "author", "priority")


def _checked(title: str | None, text: str | None) -> dict[str, str]:
    out = {}
    if title is not None:
        out["title"] = clean(title)
        if not out["title"] or len(out["title"]) > 200:
            raise InvalidInput("a note's --title has 1 to 200 characters")
    if text is not None:
        out["text"] = clean(text)
    return out


def add_note(*, session: Session, actor: Actor, now: datetime, person_id: int, title: str,
             text: str = "", priority: bool = False, show_in_dossier: bool = False,
             pin: bool = False) -> Note:
    require_edit(actor)
    person = get_person(session, person_id)
    given = _checked(title, text)
    note = Note(person_id=person_id, title=given["title"], text=given.get("text", ""),
                priority=priority, show_in_dossier=show_in_dossier, pinned=pin,
                author_id=actor.id, created_at=now, updated_at=now)
    session.add(note)
    session.flush()
    events.record(session, kind=events.PERSON_NOTE_ADDED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, note_id=note.id,
                  title=note.title, priority=priority)
    session.commit()
    return note


def edit_note(*, session: Session, actor: Actor, now: datetime, note_id: int,
              title: str | None = None, text: str | None = None, priority: bool | None = None,
              show_in_dossier: bool | None = None, pin: bool | None = None) -> dict[str, list[Any]]:
    require_edit(actor)
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(f"unknown note {note_id}")
    given: dict[str, Any] = {**_checked(title, text), "priority": priority,
                             "show_in_dossier": show_in_dossier, "pinned": pin}
    changes = {}
    for name, value in given.items():
        if value is not None and getattr(note, name) != value:
            changes[name] = [getattr(note, name), value]
            setattr(note, name, value)
    if changes:
        note.updated_at = now
        person = get_person(session, note.person_id)
        events.record(session, kind=events.PERSON_NOTE_EDITED, at=now, person_id=note.person_id,
                      relation_id=person.relation_id, user_id=actor.id, note_id=note.id,
                      changes=changes)
    session.commit()
    return changes


def list_notes(*, session: Session, person_id: int, sort: str = "date",
               dossier_only: bool = False) -> list[dict[str, Any]]:
    """Pinned notes first, then by ``sort``: date (newest first), author, priority."""
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r} (expected {', '.join(SORTS)})")
    get_person(session, person_id)
    query = (select(Note, col(User.first_name), col(User.last_name), col(User.email))
             .outerjoin(User, col(User.id) == col(Note.author_id))
             .where(col(Note.person_id) == person_id))
    if dossier_only:
        query = query.where(col(Note.show_in_dossier))
    rows = []
    for note, first, last, email in session.execute(query):
        author = " ".join(p for p in (first, last) if p) or (email or "")
        rows.append({"id": note.id, "title": note.title, "text": note.text,
                     "priority": note.priority, "show_in_dossier": note.show_in_dossier,
                     "pinned": note.pinned, "author": author, "created_at": note.created_at,
                     "updated_at": note.updated_at})
    rows.sort(key=lambda n: -n["id"])  # newest first within equal keys
    rows.sort(key=lambda n: n["created_at"], reverse=True)
    if sort == "author":
        rows.sort(key=lambda n: n["author"].lower())
    elif sort == "priority":
        rows.sort(key=lambda n: not n["priority"])
    rows.sort(key=lambda n: not n["pinned"])
    return rows
