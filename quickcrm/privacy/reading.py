"""Need-to-know reading (issue 29, item 7): who may read a person's sensitive parts.

A person's risk class, identification, notes, files and e-mails are for admins,
coordinators, the relation's own relationship manager (``relation.rm_id``) and the
relationship managers of its team (the relation's team, else its RM's team); the setting
``privacy.read_all_rms`` widens that to every relationship manager. A lead (a person
without a relation) is for its creator (the user of its ``person.created`` event),
admins and coordinators. A principal-side user (no firm-wide right: the opdrachtgever's
own people, as the procedures area defines them) reads the contacts of the projects
they are a member of, nothing else.

The rule is ``may_read_sensitive``, a pure function over plain values. The rest of this
module reads those values and applies the rule to every output that shows the parts:
the person card, notes, risk history, files, dossiers and the attention timeline (the
audit trail and the privacy export call ``verdicts_for_persons`` themselves). Whoever may
not read sees the rest of the output, with one line saying what is hidden and why.
Every output that did show sensitive parts records one ``privacy.read`` event (who, which
parts, never their content): one per command, not one per field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from quickcrm import events
from quickcrm.errors import NotPermitted
from quickcrm.permissions import ADMIN, COORDINATOR, RM, Actor
from quickcrm.store.models import Event, Person, Relation, User

PARTS = ("risk", "identification", "notes", "files", "emails")
PART_NAMES = {"risk": "risk class", "identification": "identification", "notes": "notes",
              "files": "files", "emails": "e-mails"}
SETTING = "privacy.read_all_rms"
_CHUNK = 500
E = Event.metadata.tables["event"]  # read only: written by quickcrm.events
R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
P = Person.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Verdict:
    """``allowed``, and why: the ground it was allowed on, or the refusal's reason."""

    allowed: bool
    why: str


def may_read_sensitive(actor: Actor, *, owner_rm_id: int | None, owner_team_id: int | None,
                       actor_team_id: int | None, creator_id: int | None, is_lead: bool,
                       project_member: bool = False, read_all_rms: bool = False) -> Verdict:
    """May ``actor`` read the risk class, identification, notes, files and e-mails of a
    person? ``owner_*``: the relation's RM and team (for a relation without a team, its
    RM's); ``creator_id``: who added a lead; ``project_member``: the actor is a member of
    a project this person is a contact of."""
    if ADMIN in actor.rights:
        return Verdict(True, "admin")
    if COORDINATOR in actor.rights:
        return Verdict(True, "coordinator")
    if is_lead:
        if creator_id is not None and creator_id == actor.id:
            return Verdict(True, "the lead's creator")
        return Verdict(False, "a lead's are for the user who added it, admins and coordinators")
    if RM in actor.rights:
        if owner_rm_id is not None and owner_rm_id == actor.id:
            return Verdict(True, "the relation's own relationship manager")
        if owner_team_id is not None and owner_team_id == actor_team_id:
            return Verdict(True, "a relationship manager of the relation's team")
        if read_all_rms:
            return Verdict(True, f"a relationship manager ({SETTING} = true)")
    if not actor.rights and project_member:
        return Verdict(True, "a member of a project the person is a contact of")
    return Verdict(False, "they are for admins, coordinators, the relation's own "
                          "relationship manager and its team's")


def hidden_line(parts: Iterable[str], why: str) -> str:
    """The one line a reader who may not read sees instead of the parts."""
    names = [PART_NAMES[p] for p in PARTS if p in set(parts)]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"hidden: {listed} (need to know: {why})"


# --- the values the rule needs -------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """Whose parts: a person (``person_id``) or a relation, with its owners."""

    relation_id: int | None
    owner_rm_id: int | None
    owner_team_id: int | None
    creator_id: int | None = None


@dataclass(frozen=True)
class Reader:
    """The acting user with what the rule needs of them (read once per command)."""

    actor: Actor
    team_id: int | None
    read_all_rms: bool
    project_persons: frozenset[int]
    project_relations: frozenset[int]

    def verdict(self, subject: Subject, person_id: int | None = None) -> Verdict:
        member = ((person_id is not None and person_id in self.project_persons)
                  or (subject.relation_id is not None
                      and subject.relation_id in self.project_relations))
        return may_read_sensitive(
            self.actor, owner_rm_id=subject.owner_rm_id, owner_team_id=subject.owner_team_id,
            actor_team_id=self.team_id, creator_id=subject.creator_id,
            is_lead=subject.relation_id is None and person_id is not None,
            project_member=member, read_all_rms=self.read_all_rms)


def reader(session: Session, actor: Actor, settings: Any) -> Reader:
    """``actor`` as the rule sees them: their team, the setting, and (for a user without
    a firm-wide right) the contacts of the projects they are a member of."""
    team_id = session.execute(select(U.c.team_id).where(U.c.id == actor.id)).scalar()
    persons: frozenset[int] = frozenset()
    relations: frozenset[int] = frozenset()
    if not actor.rights:
        from quickcrm.procedures.models import ProjectContact, ProjectMember

        rows = session.execute(
            select(col(ProjectContact.person_id), col(ProjectContact.relation_id))
            .join(ProjectMember, col(ProjectMember.project_id) == col(ProjectContact.project_id))
            .where(col(ProjectMember.user_id) == actor.id)).all()
        persons = frozenset(p for p, _ in rows if p is not None)
        relations = frozenset(r for _, r in rows if r is not None)
    return Reader(actor=actor, team_id=team_id, read_all_rms=bool(_setting(settings)),
                  project_persons=persons, project_relations=relations)


def _setting(settings: Any) -> bool:
    try:
        return bool(settings[SETTING])
    except KeyError:
        return False


def _owners(session: Session, relation_ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
    """relation id -> (its RM, its team or else its RM's team)."""
    out: dict[int, tuple[int | None, int | None]] = {}
    ids = sorted(set(relation_ids))
    for start in range(0, len(ids), _CHUNK):
        for rid, rm_id, team in session.execute(
                select(R.c.id, R.c.rm_id, func.coalesce(R.c.team_id, U.c.team_id))
                .outerjoin(U, U.c.id == R.c.rm_id)
                .where(R.c.id.in_(ids[start:start + _CHUNK]))):
            out[rid] = (rm_id, team)
    return out


def subjects_of_relations(session: Session, relation_ids: Sequence[int]) -> dict[int, Subject]:
    return {rid: Subject(rid, rm, team) for rid, (rm, team) in _owners(session, relation_ids).items()}


def subjects_of_persons(session: Session, person_ids: Sequence[int]) -> dict[int, Subject]:
    """person id -> Subject; a lead's creator from its ``person.created`` event."""
    ids = sorted(set(person_ids))
    rel: dict[int, int | None] = {}
    for start in range(0, len(ids), _CHUNK):
        rel.update(session.execute(select(P.c.id, P.c.relation_id)
                                   .where(P.c.id.in_(ids[start:start + _CHUNK]))).all())
    owners = _owners(session, [r for r in rel.values() if r is not None])
    leads = [pid for pid, rid in rel.items() if rid is None]
    creators: dict[int, int | None] = {}
    for start in range(0, len(leads), _CHUNK):
        for pid, uid in session.execute(
                select(E.c.person_id, E.c.user_id)
                .where(E.c.person_id.in_(leads[start:start + _CHUNK]),
                       E.c.kind == events.PERSON_CREATED).order_by(E.c.id.desc())):
            creators[pid] = uid  # the earliest wins: read last
    out = {}
    for pid, rid in rel.items():
        rm, team = owners.get(rid, (None, None)) if rid is not None else (None, None)
        out[pid] = Subject(rid, rm, team, creators.get(pid))
    return out


def verdicts_for_persons(session: Session, actor: Actor, settings: Any,
                         person_ids: Sequence[int]) -> dict[int, Verdict]:
    """The rule for each person: what the audit trail and the privacy export call."""
    who = reader(session, actor, settings)
    return {pid: who.verdict(s, pid)
            for pid, s in subjects_of_persons(session, person_ids).items()}


def verdict_for_person(session: Session, actor: Actor, settings: Any,
                       person_id: int) -> Verdict:
    return verdicts_for_persons(session, actor, settings, [person_id]).get(
        person_id, Verdict(False, "unknown person"))


def record_read(session: Session, *, actor: Actor, now: datetime, parts: Iterable[str],
                via: str, person_id: int | None = None, relation_id: int | None = None,
                relation_ids: Sequence[int] | None = None) -> bool:
    """Record that ``actor`` was shown ``parts`` (one ``privacy.read``); nothing when no
    part was shown. In the caller's transaction: the caller commits."""
    shown = [p for p in PARTS if p in set(parts)]
    if not shown:
        return False
    if relation_id is None and person_id is not None:
        relation_id = session.execute(select(P.c.relation_id).where(P.c.id == person_id)).scalar()
    extra: dict[str, Any] = {}
    if relation_ids is not None and relation_id is None:
        extra["relation_ids"] = sorted(set(relation_ids))
    events.record(session, kind=events.PRIVACY_READ, at=now, person_id=person_id,
                  relation_id=relation_id, user_id=actor.id, parts=shown, via=via, **extra)
    return True


# --- the outputs ---------------------------------------------------------------------------

def read_card(*, session: Session, actor: Actor, now: datetime, settings: Any,
              person_id: int) -> dict[str, Any]:
    """``person show``: the card, its risk class, notes and e-mails only for who may
    read them (``hidden`` says what is hidden and why otherwise)."""
    from quickcrm.crm.persons import person_card

    card = person_card(session=session, person_id=person_id)
    verdict = verdict_for_person(session, actor, settings, person_id)
    if not verdict.allowed:
        card.update(risk=None, notes=[], emails=[],
                    hidden={"parts": list(PARTS), "why": verdict.why,
                            "line": hidden_line(PARTS, verdict.why)})
    else:
        shown = [p for p, key in (("risk", "risk"), ("notes", "notes"), ("emails", "emails"))
                 if card.get(key)]
        record_read(session, actor=actor, now=now, parts=shown, via="person show",
                    person_id=person_id)
    session.commit()
    return card


def _listing(session: Session, actor: Actor, now: datetime, settings: Any, person_id: int,
             part: str, via: str, rows: list[Any]) -> tuple[list[Any], str | None]:
    verdict = verdict_for_person(session, actor, settings, person_id)
    if not verdict.allowed:
        return [], hidden_line([part], verdict.why)
    if rows:
        record_read(session, actor=actor, now=now, parts=[part], via=via, person_id=person_id)
        session.commit()
    return rows, None


def read_notes(*, session: Session, actor: Actor, now: datetime, settings: Any,
               person_id: int, sort: str = "date", dossier_only: bool = False
               ) -> tuple[list[dict[str, Any]], str | None]:
    """``person note list``: the notes, or none and the line why."""
    from quickcrm.crm.notes import list_notes

    rows = list_notes(session=session, person_id=person_id, sort=sort, dossier_only=dossier_only)
    return _listing(session, actor, now, settings, person_id, "notes", "person note list", rows)


def read_risk_history(*, session: Session, actor: Actor, now: datetime, settings: Any,
                      person_id: int) -> tuple[list[dict[str, Any]], str | None]:
    """``person risk --history``: every classification, or none and the line why."""
    from quickcrm.crm.persons import risk_history

    rows = [{"class": r.risk_class, "motivation": r.motivation, "source": r.source, "at": r.at}
            for r in risk_history(session, person_id)]
    return _listing(session, actor, now, settings, person_id, "risk", "person risk --history",
                    rows)


SIGNAL_PARTS = {"risk": "risk", "identification": "identification"}  # Signal.ref prefix -> part


def read_signals(*, session: Session, actor: Actor, now: datetime, settings: Any,
                 person_id: int, open_only: bool = False
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """``person signal list``: every signal; the title of a risk review or an expiring
    identification (it names the class or the document's date) only for who may read
    those parts."""
    from quickcrm.crm.signals import list_signals

    rows = list_signals(session=session, person_id=person_id, open_only=open_only)
    touched = {SIGNAL_PARTS[r["ref"].split(":")[0]] for r in rows
               if str(r.get("ref") or "").split(":")[0] in SIGNAL_PARTS}
    if not touched:
        return rows, None
    verdict = verdict_for_person(session, actor, settings, person_id)
    if not verdict.allowed:
        for r in rows:
            if str(r.get("ref") or "").split(":")[0] in SIGNAL_PARTS:
                r["title"] = "(hidden)"
        return rows, hidden_line(touched, verdict.why)
    record_read(session, actor=actor, now=now, parts=touched, via="person signal list",
                person_id=person_id)
    session.commit()
    return rows, None


def read_files(*, session: Session, actor: Actor, now: datetime, settings: Any,
               person_id: int) -> tuple[list[dict[str, Any]], str | None]:
    """``person file list``: the files, or none and the line why."""
    from quickcrm.crm.filestore import list_files

    rows = list_files(session=session, person_id=person_id)
    return _listing(session, actor, now, settings, person_id, "files", "person file list", rows)


def get_file(*, session: Session, actor: Actor, now: datetime, settings: Any, root: Path,
             file_id: int, out: Path, force: bool = False) -> Any:
    """``person file get``: refused (``not permitted``) to whoever may not read the file's
    person (for a dossier's file: each of its applicants); recorded otherwise."""
    from quickcrm.crm import filestore
    from quickcrm.crm.models import DossierApplicant, StoredFile

    row = session.get(StoredFile, file_id)
    persons: list[int] = []
    if row is not None:
        if row.person_id is not None:
            persons = [row.person_id]
        elif row.dossier_id is not None:
            persons = list(session.execute(select(col(DossierApplicant.person_id)).where(
                col(DossierApplicant.dossier_id) == row.dossier_id)).scalars())
        for verdict in verdicts_for_persons(session, actor, settings, persons).values():
            if not verdict.allowed:
                raise NotPermitted(f"reading file {file_id}",
                                   "need to know (" + verdict.why + ")")
    got = filestore.get_file(session=session, actor=actor, root=root, file_id=file_id, out=out,
                             force=force)
    if len(persons) == 1:
        record_read(session, actor=actor, now=now, parts=["files"], via="person file get",
                    person_id=persons[0])
    elif persons:
        rels = [s.relation_id for s in subjects_of_persons(session, persons).values()
                if s.relation_id is not None]
        record_read(session, actor=actor, now=now, parts=["files"], via="person file get",
                    relation_ids=rels)
    session.commit()
    return got


def read_dossier(*, session: Session, actor: Actor, now: datetime, settings: Any,
                 number: str) -> dict[str, Any]:
    """``dossier show``: the applicants' show-in-dossier notes only of applicants the
    reader may read (``hidden`` lists the others and why)."""
    from quickcrm.crm.dossiers import show_dossier

    data = show_dossier(session=session, number=number)
    ids = [a["id"] for a in data["applicants"]]
    verdicts = verdicts_for_persons(session, actor, settings, ids)
    denied = {pid: v for pid, v in verdicts.items() if not v.allowed}
    if denied:
        data["notes"] = [n for n in data["notes"] if n["person_id"] not in denied]
        why = next(iter(denied.values())).why
        data["hidden"] = {"parts": ["notes"], "person_ids": sorted(denied), "why": why,
                          "line": hidden_line(["notes"], why) + " of applicant "
                          + ", ".join(str(p) for p in sorted(denied))}
    shown = sorted({n["person_id"] for n in data["notes"]})
    if len(shown) == 1:
        record_read(session, actor=actor, now=now, parts=["notes"], via="dossier show",
                    person_id=shown[0])
    elif shown:
        subjects = subjects_of_persons(session, shown)
        record_read(session, actor=actor, now=now, parts=["notes"], via="dossier show",
                    relation_ids=[s.relation_id for s in subjects.values()
                                  if s.relation_id is not None])
    session.commit()
    return data


def read_timeline(*, session: Session, actor: Actor, now: datetime, settings: Any,
                  **options: Any) -> dict[str, Any]:
    """``attention timeline``: notes' and e-mails' subjects, first lines and details
    only of relations the reader may read; the others' rows stay (when, who, what kind)."""
    from quickcrm.attention import kinds
    from quickcrm.attention.timeline import timeline

    result = timeline(session=session, actor=actor, tz=settings.timezone, **options)
    sensitive = [i for i in result["events"] if _sensitive_item(i, kinds)]
    numbers = sorted({i["relation"] for i in sensitive})
    ids: dict[str, int] = {}
    for start in range(0, len(numbers), _CHUNK):
        ids.update(session.execute(select(R.c.number, R.c.id)
                                   .where(R.c.number.in_(numbers[start:start + _CHUNK]))).all())
    who = reader(session, actor, settings)
    subjects = subjects_of_relations(session, list(ids.values()))
    allowed: dict[str, Verdict] = {n: who.verdict(subjects[ids[n]]) for n in numbers
                                   if ids.get(n) in subjects}
    hidden, parts, read = 0, set(), set()
    why = ""
    for item in sensitive:
        verdict = allowed.get(item["relation"], Verdict(False, "unknown relation"))
        part = "notes" if item.get("type") == kinds.NOTITIE else "emails"
        if verdict.allowed:
            parts.add(part)
            read.add(ids[item["relation"]])
            continue
        hidden += 1
        why = verdict.why
        item["subject"] = ""
        item.pop("first_lines", None)
        item.pop("details", None)
        item["hidden"] = True
    if hidden:
        result["hidden"] = {"events": hidden, "why": why,
                            "line": f"{hidden_line(['notes', 'emails'], why)}: the subjects "
                                    f"and texts of {hidden} events"}
    if read:
        if len(read) == 1:
            record_read(session, actor=actor, now=now, parts=parts, via="attention timeline",
                        relation_id=next(iter(read)))
        else:
            record_read(session, actor=actor, now=now, parts=parts, via="attention timeline",
                        relation_ids=sorted(read))
        session.commit()
    return result


def _sensitive_item(item: dict[str, Any], kinds: Any) -> bool:
    """A timeline row showing a note's or an e-mail's subject or text."""
    if item.get("type") not in (kinds.NOTITIE, kinds.CORRESPONDENTIE):
        return False
    return bool(item.get("subject") or item.get("first_lines") or item.get("details"))
