"""Working a project: the prospect list, the steps a user may take now, and taking one.

A step is allowed by the matrix alone (``permissions.require(actor, "take step",
TakeStep(...))``): the acting user's role in the project, the contact's last step and
the procedure's transitions. Taking it is one transaction: the step, the contact's last
step, the relation's stage (a suspect becomes a prospect), the ``procedure.step`` event
and the mail it causes (an e-mail step's template; an appointment's invitations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.crm.search_keys import KEY_LENGTH, normalise
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.events import PROCEDURE_STEP, record
from quickcrm.permissions import Actor
from quickcrm.procedures import agenda
from quickcrm.procedures.matrix import TakeStep, allowed_next
from quickcrm.procedures.models import (
    CLOSED,
    PREPARING,
    RUNNING,
    Appointment,
    ProjectContact,
    StepTaken,
    StepType,
)
from quickcrm.procedures.projects import find_contact, get_project, role_in
from quickcrm.procedures.setup import render, rules
from quickcrm.procedures.suspects import no_cyclic_gc
from quickcrm.settings import Settings
from quickcrm.store import driver
from quickcrm.store.models import Person, Relation, User


def list_prospects(*, session: Session, actor: Actor, project: str, actionable: bool = False,
                   closed: bool = False, preparing: bool = False) -> dict[str, Any]:
    """``project prospects``: the running contacts (``closed``: closed ones too;
    ``preparing``: preparing ones too, for ``manage projects`` only) with their last
    step, by whom and when, and the steps the acting user may take now (``actionable``:
    only contacts with at least one)."""
    sql_ = _statements()
    conn = session.connection()
    found = conn.execute(sql_["project"], {
        "actor": actor.id, "name": " ".join(project.split()).lower()}).first()
    if found is None or (found[5] is None and not actor.rights):
        get_project(session, actor, project)  # raises: unknown (to this user)
        raise AssertionError("unreachable")
    pid, pname, procedure_id, closed_at, role_id, role = found[:6]
    if preparing:
        permissions.require(actor, "manage projects")
    statuses = [RUNNING, *([CLOSED] if closed else []), *([PREPARING] if preparing else [])]
    names = {row[0]: row[1] for row in conn.execute(sql_["steps"],
                                                    {"procedure": procedure_id})}
    may: dict[str | None, list[str]] = {}
    if role_id is not None and closed_at is None:
        place = {step_id: i for i, step_id in enumerate(names)}  # procedure order
        ticks = sorted(((a, n) for a, n in conn.execute(
            sql_["transitions"], {"procedure": procedure_id, "role": role_id})
            if n in names and (a is None or a in names)), key=lambda t: place[t[1]])
        for last in (None, *names):
            may[names[last] if last is not None else None] = [
                names[n] for a, n in ticks if a == last]
    dialect = conn.dialect
    m = "?" if dialect.paramstyle == "qmark" else "%s"
    # One driver-level query (every value bound): the list is read for 20,000 running
    # contacts at a time, and SQLAlchemy's per-row processing would cost more than the
    # query; the one typed column, the time of the last step, is converted below.
    sql = ("SELECT pc.id, pc.status, p.id, p.first_name, p.last_name, p.email, r.number, "
           "r.company, pc.last_step_type_id, u.email, pc.last_step_at, cr.name "
           "FROM project_contact pc JOIN person p ON p.id = pc.person_id "
           "JOIN relation r ON r.id = pc.relation_id "
           "LEFT JOIN app_user u ON u.id = pc.last_step_by "
           "LEFT JOIN close_reason cr ON cr.id = pc.close_reason_id "
           f"WHERE pc.project_id = {m} AND pc.status IN ({', '.join([m] * len(statuses))}) "
           "ORDER BY pc.id")
    column = ProjectContact.__table__.c.last_step_at  # type: ignore[attr-defined]
    to_time = column.type.dialect_impl(dialect).result_processor(dialect, None)
    rows: list[dict[str, Any]] = []
    with no_cyclic_gc():  # 20,000 rows and dicts: no reason to rescan the heap for them
        result = conn.exec_driver_sql(sql, (pid, *statuses)).fetchall()
        _rows(result, rows, names, may, to_time, actionable, [])
    return {"project": pname, "role": role, "contacts": rows}


def _rows(result: Any, rows: list[dict[str, Any]], names: dict[int, str],
          may: dict[str | None, list[str]], to_time: Any, actionable: bool,
          empty: list[str]) -> None:
    for (cid, status, pid, first, last, email, number, company, step_id, by_email, at,
         reason) in result:
        step = names.get(step_id) if step_id is not None else None
        if at is not None and to_time is not None:
            at = to_time(at)
        steps = may.get(step, empty) if status == RUNNING else empty
        if actionable and not steps:
            continue
        rows.append({"contact_id": cid, "person_id": pid, "status": status,
                     "name": f"{first} {last}".strip(), "email": email,
                     "relation": number, "company": company, "last_step": step,
                     "by": by_email, "at": at, "reason": reason, "may": steps})


def next_steps(*, session: Session, actor: Actor, project: str, contact: str) -> dict[str, Any]:
    """``procedure next``: the steps the acting user may take with the contact now."""
    p = get_project(session, actor, project)
    assert p.id is not None
    c = find_contact(session, p, contact)
    r = rules(session, p.procedure_id)
    role = role_in(session, p.id, actor.id)
    last = r.names.get(c.row.last_step_type_id) if c.row.last_step_type_id else None
    steps = (allowed_next(r.transitions, role, last)
             if c.row.status == RUNNING and p.closed_at is None else [])
    return {"project": p.name, "contact_id": c.row.id, "person_id": c.person.id,
            "status": c.row.status, "role": role, "last_step": last, "may": steps,
            "kinds": {s: r.kinds[s] for s in steps}}


def _tables() -> Any:
    from quickcrm.procedures.models import (
        ProcedureStep,
        ProcedureTransition,
        Project,
        ProjectMember,
        ProjectRole,
    )

    return (Project.__table__, ProjectMember.__table__,  # type: ignore[attr-defined]
            ProjectRole.__table__, ProcedureStep.__table__,  # type: ignore[attr-defined]
            ProcedureTransition.__table__, StepType.__table__,  # type: ignore[attr-defined]
            ProjectContact.__table__, Person.__table__,  # type: ignore[attr-defined]
            Relation.__table__, User.__table__, StepTaken.__table__)  # type: ignore[attr-defined]


@cache
def _statements() -> dict[str, Any]:
    """The reads of ``list_prospects`` and ``_read_slow``, built once with bound
    parameters (building and keying a statement costs more than SQLite running it)."""
    from sqlalchemy import and_, bindparam, func

    P, PM, PR, PS, PT, ST, PC, PE, RE, US, TK = _tables()
    return {
        "project": select(P.c.id, P.c.name, P.c.procedure_id, P.c.closed_at, PR.c.id,
                          PR.c.name, US.c.email, US.c.first_name, US.c.last_name,
                          US.c.phone, US.c.function, US.c.signature)
        .select_from(P.join(US, US.c.id == bindparam("actor"))
                     .outerjoin(PM, and_(PM.c.project_id == P.c.id,
                                         PM.c.user_id == bindparam("actor")))
                     .outerjoin(PR, PR.c.id == PM.c.role_id))
        .where(func.lower(P.c.name) == bindparam("name")),
        "steps": select(ST.c.id, ST.c.name, ST.c.kind, ST.c.channel, ST.c.subject,
                        ST.c.body, ST.c.minutes)
        .select_from(PS.join(ST, ST.c.id == PS.c.step_type_id))
        .where(PS.c.procedure_id == bindparam("procedure")).order_by(PS.c.position),
        "transitions": select(PT.c.after_step_type_id, PT.c.next_step_type_id)
        .where(PT.c.procedure_id == bindparam("procedure"),
               PT.c.role_id == bindparam("role")),
    }


class _Writes(NamedTuple):
    """take_step's three writes as driver-level SQL in the dialect's paramstyle."""

    step: str  # (contact, step type, user, at, note) -> the new step's id
    last: str  # (step type, user, at, contact): the contact's last step
    prospect: str  # ("prospect", at, relation, "suspect"): a suspect becomes a prospect
    # PostgreSQL: the three as one statement (prospect's, last's, step's values) -> the
    # step's id and how many relations became a prospect; None elsewhere
    together: str | None


@cache
def _writes(dialect: Any) -> _Writes:
    m = driver.mark(dialect)
    step, _ = driver.insert_sql(dialect, StepTaken.__table__,  # type: ignore[attr-defined]
                                ("contact_id", "step_type_id", "user_id", "at", "note"), "id")
    last = (f"UPDATE project_contact SET last_step_type_id = {m}, last_step_by = {m}, "
            f"last_step_at = {m} WHERE id = {m}")
    prospect = f"UPDATE relation SET stage = {m}, updated_at = {m} WHERE id = {m} AND stage = {m}"
    together = None
    if dialect.name == "postgresql":  # one round trip to the server instead of three
        together = (f"WITH p AS ({prospect} RETURNING id), l AS ({last}) "
                    f"{step}, (SELECT count(*) FROM p)")
    return _Writes(step, last, prospect, together)


def _stamp(dialect: Any, now: datetime) -> Any:
    """``now`` as the driver takes it for the step's time columns (SQLite: text)."""
    to_db = driver.to_db(dialect, StepTaken.__table__.c.at)  # type: ignore[attr-defined]
    return to_db(now) if to_db is not None else now


def take_step(*, conn: Connection, actor: Actor, now: datetime, settings: Settings,
              project: str, contact: str, step: str, note: str = "",
              start: datetime | None = None, minutes: int | None = None,
              place: str = "") -> dict[str, Any]:
    """``procedure step``: take STEP with the contact, as the matrix allows; one
    transaction with its event and its mail, on ``conn`` (``Runtime.writing``: a Core
    connection in a write transaction), committed here.

    A step is the unit of a marketeer's day and of the benchmark (issue 27,
    ``bench_procedures.py`` (c): 1,000 in a row, within 3x of a plain driver script
    writing the same rows), so its usual path is one read and its writes as
    driver-level SQL on the connection's transaction (``store.driver``), without an ORM
    session: the step, the contact's last step, the relation's stage here, the event by
    ``events.record`` and the message by ``mail.outbox`` (composed without the email
    package's generator, ``mail.compose``). Anything unusual is read and refused
    through ``_read_slow``; an appointment is written through a session on the same
    transaction (``_orm``)."""
    read = _read_fast(conn, actor.id, project, contact, step)
    if read is None:  # anything unusual (and every refusal): the reads one by one
        with _orm(conn) as session:
            read = _read_slow(session, actor, project, contact, step)
    pid, pname, role, user, st, c, last, transitions = read
    st_id, name, kind, channel, subject, body, default_minutes = st
    permissions.require(actor, "take step", TakeStep(
        project=pname, role=role, last_step=last, next_step=name, transitions=transitions))
    if len(note) > 10_000:
        raise InvalidInput("--note is longer than 10,000 characters")
    if kind == "email":
        if not c.email:
            raise InvalidState(f"contact {contact!r} has no e-mail address: e-mail step "
                               f"{name!r} cannot be sent")
        if c.opted_out:
            raise InvalidState(f"contact {contact!r} ({c.email}) opted out of e-mail "
                               f"(afgemeld): e-mail step {name!r} is direct marketing and is "
                               "not sent")
    if kind == "appointment":
        start = agenda.check_start(start, now)
        minutes = agenda.check_minutes(minutes if minutes is not None else default_minutes)
    elif start is not None or minutes is not None or place:
        raise InvalidInput(f"--start, --minutes and --place go with an appointment step, "
                           f"not with {kind} step {name!r}")
    writes, at = _writes(conn.dialect), _stamp(conn.dialect, now)
    step_values, last_values = (c.id, st_id, actor.id, at, note), (st_id, actor.id, at, c.id)
    prospect_values = ("prospect", at, c.relation_id, "suspect")
    if writes.together is not None:
        taken_id, changed = driver.execute(
            conn, writes.together, (*prospect_values, *last_values, *step_values)).fetchall()[0]
        became_prospect = changed == 1
    else:
        taken_id = driver.execute(conn, writes.step, step_values).fetchall()[0][0]
        driver.execute(conn, writes.last, last_values)
        # a suspect's relation becomes a prospect (the UPDATE re-checks the stage:
        # another step may have moved it since the read); other stages: no statement
        became_prospect = c.stage == "suspect" and driver.execute(
            conn, writes.prospect, prospect_values).rowcount == 1
    changes: dict[str, list[Any]] = {"last_step": [last, name]}  # the audit trail (issue 29)
    if became_prospect:
        changes["stage"] = ["suspect", "prospect"]
    record(conn, kind=PROCEDURE_STEP, at=now, relation_id=c.relation_id,
           person_id=c.person_id, user_id=actor.id, project_id=pid, contact_id=c.id,
           step=name, step_kind=kind, channel=channel, changes=changes)
    context = _context(c, user, pname)
    mails, appointment_id = 0, None
    if kind == "email":
        _queue_email(conn, settings=settings, now=now, taken_id=taken_id, c=c,
                     subject=subject, body=body, context=context)
        mails = 1
    elif kind == "appointment":
        assert start is not None and minutes is not None
        with _orm(conn) as session:
            appointment_id, mails = _appointment(
                session, actor=actor, settings=settings, now=now, taken_id=taken_id, c=c,
                subject=subject, context=context, start=start, minutes=minutes, place=place)
    conn.commit()
    return {"project": pname, "step_id": taken_id, "contact_id": c.id,
            "person_id": c.person_id, "relation": c.number, "step": name, "kind": kind,
            "after": last, "became_prospect": became_prospect, "mails": mails,
            "appointment_id": appointment_id}


@contextmanager
def _orm(conn: Connection) -> Iterator[Session]:
    """A session on ``conn``'s transaction (it neither commits nor ends it), for the
    reads and writes of a step that are not its usual path; signing as ``conn`` does."""
    session = Session(bind=conn, expire_on_commit=False, info={"dkim": conn.info.get("dkim")})
    try:
        yield session
        session.flush()
    finally:
        session.close()


def _appointment(session: Session, *, actor: Actor, settings: Settings, now: datetime,
                 taken_id: int, c: _ContactRow, subject: str, context: dict[str, Any],
                 start: datetime, minutes: int, place: str) -> tuple[int | None, int]:
    """An appointment step's appointment and the invitations it mails: (its id, how
    many messages)."""
    user_name = context["user"]["name"]
    title = (" ".join(render(subject, context).split()) if subject
             else f"Afspraak {c.company or context['contact']['name']} met {user_name}")
    person, relation = session.get(Person, c.person_id), session.get(Relation, c.relation_id)
    the_user = session.get(User, actor.id)
    assert person is not None and the_user is not None
    appt = Appointment(uid=agenda.new_uid(settings), sequence=0, user_id=actor.id,
                       person_id=c.person_id, contact_id=c.id, step_id=taken_id,
                       title=title[:300], start=start, minutes=minutes,
                       place=place.strip()[:300], created_at=now, updated_at=now)
    session.add(appt)
    session.flush()
    mails = agenda.queue_invitations(session, appt=appt, person=person, relation=relation,
                                     user=the_user, method=agenda.REQUEST, settings=settings,
                                     now=now)
    return appt.id, mails


def _context(c: _ContactRow, user: tuple[Any, ...], project: str) -> dict[str, Any]:
    """The fields a step's templates may use (``setup.TEMPLATE_FIELDS``)."""
    u_email, u_first, u_last, u_phone, u_function, u_signature = user
    return {
        "contact": {"first_name": c.first_name, "last_name": c.last_name,
                    "name": f"{c.first_name} {c.last_name}".strip(), "email": c.email,
                    "phone": c.phone},
        "company": {"name": c.company, "number": c.number, "address": c.address,
                    "postcode": c.postcode, "city": c.city},
        "user": {"name": " ".join(x for x in (u_first, u_last) if x) or u_email,
                 "first_name": u_first, "last_name": u_last, "email": u_email,
                 "phone": u_phone, "function": u_function, "signature": u_signature},
        "project": {"name": project},
    }


def _queue_email(conn: Connection, *, settings: Settings, now: datetime, taken_id: int,
                 c: _ContactRow, subject: str, body: str, context: dict[str, Any]) -> None:
    """An e-mail step's message: its templates rendered (sandboxed, plain text), From
    the acting user, Sender the platform, queued in the step's transaction."""
    from quickcrm.mail.compose import address
    from quickcrm.mail.outbox import Draft, queue_many
    from quickcrm.quickscans.mail import html_message

    the_subject = " ".join(render(subject, context).split())
    text = render(body, context)
    user = context["user"]
    queue_many(conn, [Draft(
        kind="procedure_email", ref=f"step:{taken_id}",
        to=address(context["contact"]["name"], c.email),
        from_=address(user["name"], user["email"]),
        sender=address(str(settings["mail.sender_name"]), str(settings["mail.sender"])),
        subject=the_subject, text=text,
        # the same text in the firm's HTML layout, escaped (a "<b>" in a company name
        # is shown, never interpreted)
        html=html_message(the_subject, str(settings["firm.name"]), text))], now=now)


class _Read(NamedTuple):
    """What a step reads before it writes (``_read_fast`` or ``_read_slow``)."""

    project_id: int
    project: str
    role: str | None
    user: tuple[Any, ...]  # email, first_name, last_name, phone, function, signature
    step: tuple[Any, ...]  # id, name, kind, channel, subject, body, minutes
    contact: _ContactRow
    last: str | None
    transitions: frozenset[tuple[str, str | None, str]]


def _read_slow(session: Session, actor: Actor, project: str, contact: str,
               step: str) -> _Read:
    """The reads of a step one by one, raising the first problem as the user should see
    it: unknown project, closed project, unknown step, unknown or ambiguous contact, a
    contact not running. Every transition of the actor's role is read, so a refusal can
    say which steps the role may take."""
    sql = _statements()
    conn = session.connection()
    found = conn.execute(sql["project"], {
        "actor": actor.id, "name": " ".join(project.split()).lower()}).first()
    if found is None or (found[5] is None and not actor.rights):
        get_project(session, actor, project)  # raises: unknown (to this user)
        raise AssertionError("unreachable")
    pid, pname, procedure_id, closed_at, role_id, role = found[:6]
    user = tuple(found[6:])
    if closed_at is not None:
        raise InvalidState(f"project {pname!r} is closed: no step can be taken in it")
    steps = conn.execute(sql["steps"], {"procedure": procedure_id}).all()
    names = {row[0]: row[1] for row in steps}
    wanted = " ".join(step.split()).lower()
    st = next((row for row in steps if row[1].lower() == wanted), None)
    if st is None:
        from quickcrm.errors import unknown_value
        from quickcrm.procedures.models import Procedure

        proc = session.get(Procedure, procedure_id)
        raise unknown_value(f"step of procedure {proc.name if proc else ''!r}", step,
                            [row[1] for row in steps], plural="steps")
    c = _contact_row(session, pid, pname, contact)
    if c.status != RUNNING:
        raise InvalidState(f"contact {contact!r} is {c.status}, not running: no step can "
                           "be taken")
    last = names.get(c.last_step_type_id) if c.last_step_type_id is not None else None
    transitions: frozenset[tuple[str, str | None, str]] = frozenset()
    if role_id is not None:
        transitions = frozenset(
            (role, names[a] if a is not None else None, names[n])
            for a, n in conn.execute(sql["transitions"],
                                     {"procedure": procedure_id, "role": role_id})
            if n in names and (a is None or a in names))
    return _Read(pid, pname, role, user, tuple(st), c, last, transitions)


# The usual step in one driver-level query: the project by name with the actor's
# membership and role and the step type by name among the procedure's steps (``head``),
# the contact with its person and relation (``c``), its last step among the procedure's
# steps and the one matrix tick (role, last step or start, next step). CONTACT as
# ``_contact_row`` reads it: an e-mail address, else a relation number, else (digits,
# when no contact in the project has that number) a person id; nothing filters
# contacts but CONTACT, so two contacts for one CONTACT come back as two rows. No row,
# two rows, a contact not running or no tick sends the step through ``_read_slow``,
# which reads what it needs to say why. On PostgreSQL the two parts are MATERIALIZED,
# so that it plans two small joins (a twelve-table join took it longer to plan than
# the step takes) and finds the contact by its own index, statistics or not; SQLite
# plans the one join well and materialising cost it a third of the read (NOT
# MATERIALIZED: 14 µs instead of 20).
_FAST_SQL = """
WITH head AS {materialized} (
  SELECT p.id AS pid, p.name AS pname, p.procedure_id AS proc, pr.id AS role_id,
         pr.name AS role, u.email AS u_email, u.first_name AS u_first,
         u.last_name AS u_last, u.phone AS u_phone, u.function AS u_function,
         u.signature AS u_signature, st.id AS st_id, st.name AS st_name, st.kind AS st_kind,
         st.channel AS st_channel, st.subject AS st_subject, st.body AS st_body,
         st.minutes AS st_minutes
  FROM project p
  JOIN project_member pm ON pm.project_id = p.id
  JOIN app_user u ON u.id = pm.user_id
  JOIN project_role pr ON pr.id = pm.role_id
  JOIN procedure_step ps ON ps.procedure_id = p.procedure_id
  JOIN step_type st ON st.id = ps.step_type_id
  WHERE pm.user_id = {m} AND lower(p.name) = {m} AND p.closed_at IS NULL
    AND lower(st.name) = {m}
), c AS {materialized} (
  SELECT pc.project_id AS project_id, pc.id AS id, pc.status AS status,
         pc.last_step_type_id AS last_step_type_id, pe.id AS person_id,
         pe.first_name AS first_name, pe.last_name AS last_name, pe.email AS email,
         pe.phone AS phone, pe.opted_out AS opted_out, r.id AS relation_id,
         r.number AS number, r.company AS company, r.address AS address,
         r.postcode AS postcode, r.city AS city, r.stage AS stage
  FROM project_contact pc
  JOIN person pe ON pe.id = pc.person_id
  JOIN relation r ON r.id = pc.relation_id
  WHERE {contact}
)
SELECT head.pid, head.pname, head.role, head.u_email, head.u_first, head.u_last,
       head.u_phone, head.u_function, head.u_signature, head.st_id, head.st_name,
       head.st_kind, head.st_channel, head.st_subject, head.st_body, head.st_minutes,
       c.id, c.status, c.last_step_type_id, c.person_id, c.first_name, c.last_name,
       c.email, c.phone, c.opted_out, c.relation_id, c.number, c.company, c.address,
       c.postcode, c.city, c.stage, stl.name, pt.id
FROM head
JOIN c ON c.project_id = head.pid
LEFT JOIN procedure_step psl ON psl.procedure_id = head.proc
     AND psl.step_type_id = c.last_step_type_id
LEFT JOIN step_type stl ON stl.id = psl.step_type_id
LEFT JOIN procedure_transition pt ON pt.procedure_id = head.proc
     AND pt.role_id = head.role_id AND pt.next_step_type_id = head.st_id
     AND (pt.after_step_type_id = psl.step_type_id
          OR (pt.after_step_type_id IS NULL AND psl.step_type_id IS NULL))
LIMIT 2
"""
# the contact conditions, their values bound after head's (actor, project, step); an
# e-mail address is found through the person's search key (``crm.search_keys``: the
# address normalised), then compared as given (a scan of lower(email) took 4 ms on a
# project of 20,000 contacts)
_BY_EMAIL = ("pe.id IN (SELECT k.person_id FROM person_key k WHERE k.key = {m}) "
             "AND pc.project_id IN (SELECT p2.id FROM project p2 WHERE lower(p2.name) = {m}) "
             "AND lower(pe.email) = {m}")  # (e-mail key, project, e-mail)
_BY_NUMBER = "r.number = {m}"  # (number,)
_BY_PERSON = ("pe.id = {m} AND NOT EXISTS (SELECT 1 FROM project_contact c2 JOIN relation r2 "
              "ON r2.id = c2.relation_id WHERE c2.project_id = pc.project_id "
              "AND r2.number = {m})")  # (person id, number)


@cache
def _fast_sql(dialect: Any, by: str) -> str:
    m = driver.mark(dialect)
    return _FAST_SQL.format(m=m, contact=by.format(m=m), materialized=(
        "NOT MATERIALIZED" if dialect.name == "sqlite" else "MATERIALIZED"))


def _read_fast(conn: Any, actor_id: int | None, project: str, contact: str,
               step: str) -> _Read | None:
    """The reads of a step that is allowed, in one query; None for anything else (the
    caller then reads one by one and raises what is wrong)."""
    if actor_id is None:
        return None
    ref = contact.strip()
    wanted = " ".join(step.split()).lower()
    dialect = conn.dialect
    name = " ".join(project.split()).lower()
    head: tuple[Any, ...] = (actor_id, name, wanted)
    if "@" in ref:
        key = normalise(ref)[:KEY_LENGTH]
        rows = driver.execute(conn, _fast_sql(dialect, _BY_EMAIL),
                              (*head, key, name, ref.lower())).fetchall()
    else:
        rows = driver.execute(conn, _fast_sql(dialect, _BY_NUMBER), (*head, ref)).fetchall()
        if not rows and ref.isascii() and ref.isdigit() and len(ref) <= 18:  # a person id
            rows = driver.execute(conn, _fast_sql(dialect, _BY_PERSON),
                                  (*head, int(ref), ref)).fetchall()
    if len(rows) != 1:
        return None
    row = tuple(rows[0])
    pid, pname, role = row[0:3]
    st, c, last, tick = row[9:16], _ContactRow._make(row[16:32]), row[32], row[33]
    if c.status != RUNNING or tick is None or st[1].lower() != wanted:  # (SQL's lower()
        return None  # is not Python's)
    return _Read(pid, pname, role, row[3:9], st, c, last, frozenset({(role, last, st[1])}))


class _ContactRow(NamedTuple):
    id: int
    status: str
    last_step_type_id: int | None
    person_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    opted_out: bool
    relation_id: int
    number: str
    company: str
    address: str
    postcode: str
    city: str
    stage: str  # the relation's: a suspect becomes a prospect with its first step


def _contact_row(session: Session, project_id: int, project_name: str,
                 ref: str) -> _ContactRow:
    """As ``projects.find_contact``, in one or two Core queries."""
    from sqlalchemy import func

    *_, PC, PE, RE, _US, _TK = _tables()
    base = (select(PC.c.id, PC.c.status, PC.c.last_step_type_id, PE.c.id, PE.c.first_name,
                   PE.c.last_name, PE.c.email, PE.c.phone, PE.c.opted_out, RE.c.id,
                   RE.c.number, RE.c.company, RE.c.address, RE.c.postcode, RE.c.city,
                   RE.c.stage)
            .select_from(PC.join(PE, PE.c.id == PC.c.person_id)
                         .join(RE, RE.c.id == PC.c.relation_id))
            .where(PC.c.project_id == project_id))
    conn = session.connection()
    ref = ref.strip()
    if "@" in ref:
        found = conn.execute(base.where(func.lower(PE.c.email) == ref.lower())).all()
    else:
        found = conn.execute(base.where(RE.c.number == ref)).all()
        if not found and ref.isdigit():
            found = conn.execute(base.where(PE.c.id == int(ref))).all()
    if not found:
        raise NotFound(f"unknown contact {ref!r} in project {project_name!r} (give a person "
                       "id, an e-mail address or a relation number)")
    if len(found) > 1:
        ids = ", ".join(str(r[3]) for r in found)
        raise InvalidInput(f"{ref!r} has {len(found)} contacts in project {project_name!r}: "
                           f"give the person id ({ids}) or the e-mail address")
    return _ContactRow._make(found[0])
