"""Setting up procedures: project roles, step types (with their e-mail templates),
procedures (step types in order), close reasons and the authorization matrix.

Every change needs ``manage procedures``; reading is open to every user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.errors import InvalidInput, InvalidState, unknown_value
from quickcrm.events import PROCEDURE_DEFINED, PROCEDURE_MATRIX_CHANGED, record
from quickcrm.permissions import Actor
from quickcrm.procedures.matrix import (
    START,
    MatrixFile,
    Transition,
    read_matrix_file,
    write_matrix_file,
)
from quickcrm.procedures.models import (
    KINDS,
    CloseReason,
    Procedure,
    ProcedureStep,
    ProcedureTransition,
    ProjectRole,
    StepType,
)

CHANNELS = ("telefoon", "e-mail", "bezoek", "brief", "overig")


def _name(value: str, what: str, limit: int) -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidInput(f"a {what} needs a name")
    if len(name) > limit:
        raise InvalidInput(f"{what} name longer than {limit} characters: {name!r}")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput(f"{what} name contains control characters")
    return name


def _find(session: Session, model: Any, name: str, what: str, plural: str = "") -> Any:
    found = session.execute(select(model).where(
        func.lower(model.name) == " ".join(name.split()).lower())).scalars().first()
    if found is None:
        known = list(session.execute(select(model.name).order_by(model.name)).scalars())
        raise unknown_value(what, name, known, plural=plural)
    return found


def get_role(session: Session, name: str) -> ProjectRole:
    return _find(session, ProjectRole, name, "role")  # type: ignore[no-any-return]


def get_steptype(session: Session, name: str) -> StepType:
    return _find(session, StepType, name, "step", "step types")  # type: ignore[no-any-return]


def get_procedure(session: Session, name: str) -> Procedure:
    return _find(session, Procedure, name, "procedure")  # type: ignore[no-any-return]


def get_reason(session: Session, name: str) -> CloseReason:
    return _find(session, CloseReason, name, "close reason")  # type: ignore[no-any-return]


def _exists(session: Session, model: Any, name: str) -> bool:
    return session.execute(select(model.id).where(
        func.lower(model.name) == name.lower())).first() is not None


def add_role(*, session: Session, actor: Actor, name: str) -> dict[str, Any]:
    """``procedure role add``: a project role (marketeer, opdrachtgever, projectleider)."""
    permissions.require(actor, "manage procedures")
    name = _name(name, "role", 80)
    if _exists(session, ProjectRole, name):
        raise InvalidState(f"role {name!r} already exists")
    role = ProjectRole(name=name)
    session.add(role)
    session.commit()
    return {"id": role.id, "name": role.name}


def add_reason(*, session: Session, actor: Actor, name: str) -> dict[str, Any]:
    """``procedure reason add``: a sub-status of closed."""
    permissions.require(actor, "manage procedures")
    name = _name(name, "close reason", 120)
    if _exists(session, CloseReason, name):
        raise InvalidState(f"close reason {name!r} already exists")
    reason = CloseReason(name=name)
    session.add(reason)
    session.commit()
    return {"id": reason.id, "name": reason.name}


# The fields a step's templates may use (``template_context`` fills them).
TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "contact": ("first_name", "last_name", "name", "email", "phone"),
    "company": ("name", "number", "address", "postcode", "city"),
    "user": ("name", "first_name", "last_name", "email", "phone", "function", "signature"),
    "project": ("name",),
}


def check_template(source: str, what: str) -> None:
    """Compile and render ``source`` with every field filled: a syntax error or an
    unknown field fails here, when the step type is added, not when mailing."""
    from jinja2 import TemplateError, nodes

    from quickcrm.templating import parse, text_environment, text_template

    sample = {group: {f: f"<{group}.{f}>" for f in fields}
              for group, fields in TEMPLATE_FIELDS.items()}
    fields = "; ".join(f"{g}.{{{','.join(fs)}}}" for g, fs in TEMPLATE_FIELDS.items())
    try:
        tree = parse(text_environment(), source)
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            base, attr = getattr(node, "node", None), getattr(node, "attr", None)
            if attr is None and isinstance(node, nodes.Getitem) \
                    and isinstance(node.arg, nodes.Const):
                attr = node.arg.value
            if isinstance(base, nodes.Name) and base.name in TEMPLATE_FIELDS \
                    and attr not in TEMPLATE_FIELDS[base.name]:
                raise InvalidInput(f"{what}: unknown field {base.name}.{attr} (line "
                                   f"{node.lineno}; fields: {fields})")
        text_template(source).render(**sample)
    except TemplateError as exc:
        raise InvalidInput(f"{what}: {exc.message or exc} (fields: {fields})") from None


def render(source: str, context: dict[str, Any]) -> str:
    from quickcrm.templating import text_template

    return text_template(source).render(**context)


def add_steptype(*, session: Session, actor: Actor, name: str, kind: str,
                 channel: str | None = None, subject: str = "", body: str = "",
                 body_file: str = "", minutes: int = 60) -> dict[str, Any]:
    """``procedure steptype add``: a plain step, an e-mail step (its subject and body
    templates) or an appointment step (its default minutes)."""
    permissions.require(actor, "manage procedures")
    name = _name(name, "step", 80)
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r} (expected one of: {', '.join(KINDS)})")
    if channel is not None:
        channel = " ".join(channel.split()).lower() or None
        if channel is not None and len(channel) > 40:
            raise InvalidInput("channel longer than 40 characters")
    if not 5 <= minutes <= 24 * 60:
        raise InvalidInput(f"--minutes must be between 5 and 1440, not {minutes}")
    if kind == "email" and not (subject and body):
        raise InvalidInput(f"e-mail step {name!r} needs --subject and --body FILE.j2")
    if kind == "plain" and (subject or body):
        raise InvalidInput(f"plain step {name!r} sends nothing: leave out --subject and --body")
    if kind == "appointment" and body:
        raise InvalidInput(f"appointment step {name!r}: the invitation's text is fixed; "
                           "--subject sets the appointment's title, leave out --body")
    if "\n" in subject:
        raise InvalidInput("--subject must be one line")
    where = body_file or "--body"
    check_template(subject, "--subject")
    check_template(body, where)
    if _exists(session, StepType, name):
        raise InvalidState(f"step {name!r} already exists")
    st = StepType(name=name, kind=kind, channel=channel, subject=subject, body=body,
                  minutes=minutes)
    session.add(st)
    session.commit()
    return describe_steptype(st)


def describe_steptype(st: StepType) -> dict[str, Any]:
    return {"name": st.name, "kind": st.kind, "channel": st.channel, "subject": st.subject,
            "minutes": st.minutes if st.kind == "appointment" else None}


def procedure_steps(session: Session, procedure_id: int) -> list[StepType]:
    return list(session.execute(
        select(StepType).join(ProcedureStep, col(ProcedureStep.step_type_id) == StepType.id)
        .where(col(ProcedureStep.procedure_id) == procedure_id)
        .order_by(col(ProcedureStep.position))).scalars())


def define_procedure(*, session: Session, actor: Actor, now: datetime, name: str,
                     steps: list[str], description: str = "") -> dict[str, Any]:
    """``procedure define``: a procedure of known step types in order (redefining one
    keeps its matrix for the steps it still has)."""
    permissions.require(actor, "manage procedures")
    result = _define(session, actor, now, name, steps, description)
    session.commit()
    return result


def _define(session: Session, actor: Actor, now: datetime, name: str, steps: list[str],
            description: str) -> dict[str, Any]:
    name = _name(name, "procedure", 120)
    names = [s for s in (" ".join(x.split()) for x in steps) if s]
    if not names:
        raise InvalidInput("--steps names no step (example: --steps bellen,terugbellen)")
    types = [get_steptype(session, s) for s in names]
    ids = [t.id for t in types]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a step appears twice in --steps")
    existing = session.execute(select(Procedure).where(
        func.lower(col(Procedure.name)) == name.lower())).scalars().first()
    old_steps: list[str] | None = None  # the audit trail's old value (issue 29)
    old_description = existing.description if existing is not None else None
    if existing is None:
        existing = Procedure(name=name, description=description)
        session.add(existing)
        session.flush()
    else:
        assert existing.id is not None
        old_steps = [t.name for t in procedure_steps(session, existing.id)]
        if description:
            existing.description = description
    pid = existing.id
    assert pid is not None
    session.execute(delete(ProcedureStep).where(col(ProcedureStep.procedure_id) == pid))
    session.execute(delete(ProcedureTransition).where(
        col(ProcedureTransition.procedure_id) == pid,
        (col(ProcedureTransition.next_step_type_id).not_in(ids))
        | (col(ProcedureTransition.after_step_type_id).not_in(ids))))
    for i, t in enumerate(types, start=1):
        assert t.id is not None
        session.add(ProcedureStep(procedure_id=pid, step_type_id=t.id, position=i))
    changes: dict[str, list[Any]] = {}
    if old_steps != [t.name for t in types]:
        changes["steps"] = [old_steps, [t.name for t in types]]
    if old_description != existing.description:
        changes["description"] = [old_description, existing.description]
    record(session, kind=PROCEDURE_DEFINED, at=now, user_id=actor.id, procedure=existing.name,
           steps=[t.name for t in types], changes=changes)
    return {"name": existing.name, "description": existing.description,
            "steps": [t.name for t in types]}


@dataclass(frozen=True)
class Rules:
    """A procedure's steps (names in order, kinds, channels) and its matrix."""

    procedure_id: int
    name: str
    steps: tuple[str, ...]
    step_ids: dict[str, int]
    names: dict[int, str]
    kinds: dict[str, str]
    transitions: frozenset[Transition]


def rules(session: Session, procedure_id: int) -> Rules:
    proc = session.get(Procedure, procedure_id)
    assert proc is not None
    steps = procedure_steps(session, procedure_id)
    names = {t.id: t.name for t in steps if t.id is not None}
    roles = dict(session.execute(select(col(ProjectRole.id), col(ProjectRole.name))).all())
    transitions = frozenset(
        (roles[r], names.get(a) if a is not None else None, names[n])
        for r, a, n in session.execute(select(
            col(ProcedureTransition.role_id), col(ProcedureTransition.after_step_type_id),
            col(ProcedureTransition.next_step_type_id))
            .where(col(ProcedureTransition.procedure_id) == procedure_id))
        if n in names and (a is None or a in names))
    return Rules(procedure_id=procedure_id, name=proc.name,
                 steps=tuple(t.name for t in steps),
                 step_ids={t.name: t.id for t in steps if t.id is not None}, names=names,
                 kinds={t.name: t.kind for t in steps}, transitions=transitions)


def _step_in(r: Rules, name: str) -> str:
    for step in r.steps:
        if step.lower() == " ".join(name.split()).lower():
            return step
    raise unknown_value(f"step of procedure {r.name!r}", name, list(r.steps), plural="steps")


def set_transition(*, session: Session, actor: Actor, now: datetime, procedure: str,
                   role: str, after: str, next_: str, allow: bool) -> dict[str, Any]:
    """``procedure allow|deny``: set or clear one tick of a role's matrix."""
    permissions.require(actor, "manage procedures")
    proc = get_procedure(session, procedure)
    assert proc.id is not None
    r = rules(session, proc.id)
    the_role = get_role(session, role)
    assert the_role.id is not None
    after_name = None if after.strip().lower() == START else _step_in(r, after)
    next_name = _step_in(r, next_)
    changed = _apply(session, proc.id, the_role.id, r,
                     {(after_name, next_name)} if allow else set(),
                     only={(after_name, next_name)})
    if changed:
        record(session, kind=PROCEDURE_MATRIX_CHANGED, at=now, user_id=actor.id,
               procedure=proc.name, role=the_role.name,
               allowed=[[after_name or START, next_name]] if allow else [],
               removed=[] if allow else [[after_name or START, next_name]])
    session.commit()
    return {"procedure": proc.name, "role": the_role.name, "after": after_name or START,
            "next": next_name, "allowed": allow, "changed": changed}


def _apply(session: Session, procedure_id: int, role_id: int, r: Rules,
           wanted: set[tuple[str | None, str]],
           only: set[tuple[str | None, str]] | None = None) -> bool:
    """Make the role's ticks ``wanted`` (within ``only``, or the whole matrix)."""
    role_name = session.get(ProjectRole, role_id)
    assert role_name is not None
    have = {(a, n) for ro, a, n in r.transitions if ro == role_name.name}
    scope = only if only is not None else have | wanted
    add = (wanted - have) & scope
    remove = (have - wanted) & scope
    for a, n in add:
        session.add(ProcedureTransition(
            procedure_id=procedure_id, role_id=role_id,
            after_step_type_id=r.step_ids[a] if a is not None else None,
            next_step_type_id=r.step_ids[n]))
    for a, n in remove:
        session.execute(delete(ProcedureTransition).where(
            col(ProcedureTransition.procedure_id) == procedure_id,
            col(ProcedureTransition.role_id) == role_id,
            col(ProcedureTransition.next_step_type_id) == r.step_ids[n],
            col(ProcedureTransition.after_step_type_id).is_(None) if a is None
            else col(ProcedureTransition.after_step_type_id) == r.step_ids[a]))
    session.flush()
    return bool(add or remove)


def matrix(*, session: Session, procedure: str, role: str | None = None) -> dict[str, Any]:
    """``procedure matrix``: the steps and, per role, the allowed (after, next) pairs."""
    proc = get_procedure(session, procedure)
    assert proc.id is not None
    r = rules(session, proc.id)
    roles = ([get_role(session, role).name] if role else
             list(session.execute(select(col(ProjectRole.name))
                                  .order_by(col(ProjectRole.name))).scalars()))
    return {"procedure": proc.name, "steps": list(r.steps),
            "roles": {ro: sorted(([a or START, n] for x, a, n in r.transitions if x == ro),
                                 key=lambda p: (p[0] != START, p))
                      for ro in roles},
            "transitions": sorted(((x, a, n) for x, a, n in r.transitions if x in roles),
                                  key=lambda t: (t[0], t[1] or "", t[2]))}


def save_matrix(*, session: Session, procedure: str, role: str | None = None) -> str:
    m = matrix(session=session, procedure=procedure, role=role)
    return write_matrix_file(m["steps"], m["transitions"], list(m["roles"]))


def resolve_matrix_path(path: str) -> Path:
    """``path``, or a file of that name shipped in ``sample_data`` (so
    ``--load procedure_standaard.toml`` works anywhere)."""
    p = Path(path)
    if p.exists():
        return p
    from quickcrm.resources import sample_data_dir

    shipped = sample_data_dir() / p.name
    if p.parent == Path(".") and shipped.exists():
        return shipped
    raise InvalidInput(f"{path}: no such file")


def load_matrix(*, session: Session, actor: Actor, now: datetime, procedure: str,
                path: str, role: str | None = None) -> dict[str, Any]:
    """``procedure matrix --load``: replace the matrices of the file's roles (or of
    ``role`` only). What the file declares (roles, step types, the procedure) is
    created when missing. The file is checked as a whole first: an unknown step or
    role refuses it, with file:line, and nothing is written."""
    permissions.require(actor, "manage procedures")
    file = resolve_matrix_path(path)
    text = file.read_text(encoding="utf-8-sig")
    proc = session.execute(select(Procedure).where(
        func.lower(col(Procedure.name)) == " ".join(procedure.split()).lower())).scalars().first()
    known_steps = ([s.name for s in procedure_steps(session, proc.id)]
                   if proc is not None and proc.id is not None else [])
    known_roles = list(session.execute(select(col(ProjectRole.name))).scalars())
    parsed = read_matrix_file(text, file=path, known_steps=known_steps, known_roles=known_roles)
    if proc is None and parsed.procedure is None:
        get_procedure(session, procedure)  # the unknown procedure, as one line
    if role is not None and role not in parsed.matrices:
        raise InvalidInput(f"{path}: no [matrix.{role}] table "
                           f"(the file has: {', '.join(parsed.matrices) or 'none'})")
    _declare(session, actor, now, parsed, procedure, path)
    proc = get_procedure(session, procedure)
    assert proc.id is not None
    r = rules(session, proc.id)
    changed = {}
    for name, ticks in parsed.matrices.items():
        if role is not None and name != role:
            continue
        the_role = get_role(session, name)
        assert the_role.id is not None
        before = {(a, n) for x, a, n in r.transitions if x == name}
        if _apply(session, proc.id, the_role.id, r, ticks):
            record(session, kind=PROCEDURE_MATRIX_CHANGED, at=now, user_id=actor.id,
                   procedure=proc.name, role=name,
                   allowed=sorted([a or START, n] for a, n in ticks - before),
                   removed=sorted([a or START, n] for a, n in before - ticks))
        changed[name] = len(ticks)
    session.commit()
    return {"procedure": proc.name, "file": path, "roles": changed}


def _declare(session: Session, actor: Actor, now: datetime, parsed: MatrixFile,
             procedure: str, path: str) -> None:
    """Create the roles, step types and procedure the file declares and the database
    lacks (existing ones are kept as they are)."""
    for role in parsed.roles:
        if not _exists(session, ProjectRole, role):
            session.add(ProjectRole(name=_name(role, "role", 80)))
    for t in parsed.steptypes:
        name = _name(str(t.get("name", "")), "step", 80)
        if _exists(session, StepType, name):
            continue
        kind = str(t.get("kind", "plain"))
        if kind not in KINDS:
            raise InvalidInput(f"{path}: step {name!r}: unknown kind {kind!r}")
        subject, body = str(t.get("subject", "")), str(t.get("body", ""))
        check_template(subject, f"{path}: step {name!r} subject")
        check_template(body, f"{path}: step {name!r} body")
        session.add(StepType(name=name, kind=kind, channel=t.get("channel"), subject=subject,
                             body=body, minutes=int(t.get("minutes", 60))))
    session.flush()
    if parsed.procedure is not None:
        if str(parsed.procedure.get("name", procedure)).lower() != procedure.lower():
            raise InvalidInput(f"{path}: the file declares procedure "
                               f"{parsed.procedure.get('name')!r}, not {procedure!r}")
        exists = _exists(session, Procedure, procedure)
        if not exists:
            _define(session, actor, now, procedure, list(parsed.procedure.get("steps", [])),
                    str(parsed.procedure.get("description", "")))


def list_procedures(*, session: Session) -> list[dict[str, Any]]:
    out = []
    for proc in session.execute(select(Procedure).order_by(col(Procedure.name))).scalars():
        assert proc.id is not None
        r = rules(session, proc.id)
        out.append({"name": proc.name, "description": proc.description,
                    "steps": [{"name": s, "kind": r.kinds[s]} for s in r.steps],
                    "roles": sorted({x for x, _, _ in r.transitions})})
    return out


def list_setup(*, session: Session) -> dict[str, Any]:
    """Roles, step types and close reasons (for ``procedure list --json``)."""
    return {
        "roles": list(session.execute(select(col(ProjectRole.name))
                                      .order_by(col(ProjectRole.name))).scalars()),
        "steptypes": [describe_steptype(t) for t in session.execute(
            select(StepType).order_by(col(StepType.name))).scalars()],
        "reasons": list(session.execute(select(col(CloseReason.name))
                                        .order_by(col(CloseReason.name))).scalars()),
    }
