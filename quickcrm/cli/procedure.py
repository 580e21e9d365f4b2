"""`quickcrm procedure ...`: project roles, step types, procedures, close reasons, the
authorization matrix; and working a contact: `next`, `step`, `status`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, shown_time

app = typer.Typer(help="Sales procedures: roles, steps, the matrix; taking steps.",
                  no_args_is_help=True)
role_app = typer.Typer(help="Project roles (marketeer, opdrachtgever, projectleider).",
                       no_args_is_help=True)
steptype_app = typer.Typer(help="Step types: plain, e-mail or appointment.",
                           no_args_is_help=True)
reason_app = typer.Typer(help="Close reasons: the sub-statuses of closed.",
                         no_args_is_help=True)
app.add_typer(role_app, name="role")
app.add_typer(steptype_app, name="steptype")
app.add_typer(reason_app, name="reason")

ProcArg = Annotated[str, typer.Argument(help="The procedure's name.")]
ProjectArg = Annotated[str, typer.Argument(help="The project's name.")]
ContactArg = Annotated[str, typer.Argument(
    help="The contact: a person id, an e-mail address, or a relation number with one "
         "contact in the project.")]
RoleOpt = Annotated[str, typer.Option("--role", help="The project role.")]
AfterOpt = Annotated[str, typer.Option("--after", help="The step just taken, or 'start'.")]
NextOpt = Annotated[str, typer.Option("--next", help="The step that may follow.")]


@command(role_app, "add")
def role_add(c: Ctx, name: Annotated[str, typer.Argument(help="The role's name.")]) -> None:
    """Add a project role.

    Example: quickcrm procedure role add marketeer
    """
    from quickcrm.procedures.setup import add_role

    rt = c.runtime()
    with rt.session() as s:
        data = add_role(session=s, actor=rt.actor, name=name)
    c.emit(data, lambda: typer.echo(f"role {data['name']!r} added"))


@command(reason_app, "add")
def reason_add(c: Ctx, name: Annotated[str, typer.Argument(help="The reason.")]) -> None:
    """Add a close reason (a sub-status of closed).

    Example: quickcrm procedure reason add "heeft al een accountant"
    """
    from quickcrm.procedures.setup import add_reason

    rt = c.runtime()
    with rt.session() as s:
        data = add_reason(session=s, actor=rt.actor, name=name)
    c.emit(data, lambda: typer.echo(f"close reason {data['name']!r} added"))


@command(steptype_app, "add")
def steptype_add(
    c: Ctx,
    name: Annotated[str, typer.Argument(help="The step's name.")],
    kind: Annotated[str, typer.Option("--kind", help="plain, email or appointment.")],
    channel: Annotated[str | None, typer.Option(
        "--channel", help="telefoon, e-mail, bezoek, ... (what the attention monitor counts).",
        show_default=False)] = None,
    subject: Annotated[str, typer.Option(
        "--subject", help="Subject template (jinja2: {{ contact.name }}, {{ company.name }}, "
                          "{{ user.name }}, {{ project.name }}).")] = "",
    body: Annotated[Path | None, typer.Option(
        "--body", help="Body template file (.j2, UTF-8) of an e-mail step.",
        show_default=False)] = None,
    minutes: Annotated[int, typer.Option("--minutes", help="An appointment's default length.")] = 60,
) -> None:
    """Add a step type; its templates are checked now (an unknown field fails here).

    Example: quickcrm procedure steptype add "informatie opsturen" --kind email --channel e-mail --subject "Informatie" --body info.j2
    """
    from quickcrm.errors import InvalidInput
    from quickcrm.procedures.setup import add_steptype

    text = ""
    if body is not None:
        try:
            text = body.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{body}: cannot read the template: {exc}") from None
    rt = c.runtime()
    with rt.session() as s:
        data = add_steptype(session=s, actor=rt.actor, name=name, kind=kind, channel=channel,
                            subject=subject, body=text, body_file=str(body or ""),
                            minutes=minutes)
    c.emit(data, lambda: typer.echo(f"{data['kind']} step {data['name']!r} added"))


@command(app, "define")
def procedure_define(
    c: Ctx,
    name: ProcArg,
    steps: Annotated[str, typer.Option("--steps", help="Step types in order, comma separated.")],
    description: Annotated[str, typer.Option("--description", help="What it is for.")] = "",
) -> None:
    """Define (or redefine) a procedure: its steps in order.

    Example: quickcrm procedure define standaard --steps "bellen,terugbellen,afspraak inplannen"
    """
    from quickcrm.procedures.setup import define_procedure

    rt = c.runtime()
    with rt.session() as s:
        data = define_procedure(session=s, actor=rt.actor, now=rt.clock.now(), name=name,
                                steps=steps.split(","), description=description)
    c.emit(data, lambda: typer.echo(f"procedure {data['name']!r}: {', '.join(data['steps'])}"))


@command(app, "list", listing=True)
def procedure_list(c: Ctx) -> None:
    """List the procedures with their steps, and the roles, step types and reasons.

    Example: quickcrm procedure list
    """
    from quickcrm.procedures.setup import list_procedures, list_setup

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        procs = list_procedures(session=s)
        setup = list_setup(session=s)
    if c.json:
        c.emit({"procedures": procs, **setup})
        return
    rows = [[p["name"], ", ".join(f"{st['name']} ({st['kind']})" for st in p["steps"]),
             ", ".join(p["roles"]), p["description"]] for p in procs]
    c.table(procs, ("Procedure", "Steps", "Roles in the matrix", "Description"), rows)
    if not c.csv:
        typer.echo(f"roles: {', '.join(setup['roles']) or '-'}")
        typer.echo(f"close reasons: {', '.join(setup['reasons']) or '-'}")


def _transition(c: Ctx, procedure: str, role: str, after: str, next_: str, allow: bool) -> None:
    from quickcrm.procedures.setup import set_transition

    rt = c.runtime()
    with rt.session() as s:
        data = set_transition(session=s, actor=rt.actor, now=rt.clock.now(),
                              procedure=procedure, role=role, after=after, next_=next_,
                              allow=allow)
    verb = "may" if allow else "may not"
    note = "" if data["changed"] else " (unchanged)"
    c.emit(data, lambda: typer.echo(f"{data['role']} {verb} take {data['next']!r} after "
                                    f"{data['after']!r} in {data['procedure']!r}{note}"))


@command(app, "allow")
def procedure_allow(c: Ctx, procedure: ProcArg, role: RoleOpt, after: AfterOpt,
                    next_: NextOpt) -> None:
    """Tick the matrix: ROLE may take NEXT after AFTER (or at the start).

    Example: quickcrm procedure allow standaard --role marketeer --after bellen --next terugbellen
    """
    _transition(c, procedure, role, after, next_, True)


@command(app, "deny")
def procedure_deny(c: Ctx, procedure: ProcArg, role: RoleOpt, after: AfterOpt,
                   next_: NextOpt) -> None:
    """Untick the matrix: ROLE may no longer take NEXT after AFTER.

    Example: quickcrm procedure deny standaard --role marketeer --after start --next terugbellen
    """
    _transition(c, procedure, role, after, next_, False)


@command(app, "matrix")
def procedure_matrix(
    c: Ctx,
    procedure: ProcArg,
    role: Annotated[str | None, typer.Option(
        "--role", help="One role (default: every role).", show_default=False)] = None,
    load: Annotated[str | None, typer.Option(
        "--load", help="Set the matrices from this TOML file (a shipped sample by name).",
        show_default=False)] = None,
    save: Annotated[Path | None, typer.Option(
        "--save", help="Write the matrices to this TOML file.", show_default=False)] = None,
) -> None:
    """Show a procedure's authorization matrix per role (rows: after, columns: next).

    Example: quickcrm procedure matrix standaard --load procedure_standaard.toml
    """
    from quickcrm.errors import InvalidInput
    from quickcrm.procedures import setup
    from quickcrm.procedures.matrix import ticks

    if load and save:
        raise InvalidInput("give --load or --save, not both")
    rt = c.runtime()
    loaded: dict[str, Any] | None = None
    if load:
        with rt.session() as s:
            loaded = setup.load_matrix(session=s, actor=rt.actor, now=rt.clock.now(),
                                       procedure=procedure, path=load, role=role)
    with rt.session(read_only=True) as s:
        data = setup.matrix(session=s, procedure=procedure, role=role)
        text = setup.save_matrix(session=s, procedure=procedure, role=role) if save else ""
    if save:
        save.write_text(text, encoding="utf-8")
    if loaded is not None:
        data["loaded"] = loaded
    if save:
        data["saved"] = str(save)

    def human() -> None:
        from quickcrm.cli import output

        for name in data["roles"]:
            rows = ticks(data["steps"], data["transitions"], name)
            output.print_table(["after \\ next", *data["steps"]], rows,
                               f"{data['procedure']}: {name}")
        if loaded is not None:
            typer.echo(f"loaded {load}: " + ", ".join(
                f"{r} ({n} ticks)" for r, n in loaded["roles"].items()))
        if save:
            typer.echo(f"saved to {save}")

    c.emit({k: v for k, v in data.items() if k != "transitions"}, human)


@command(app, "next")
def procedure_next(c: Ctx, project: ProjectArg, contact: ContactArg) -> None:
    """List the steps you may take with a contact now.

    Example: quickcrm procedure next "Acquisitie 2027" jan@bakkerij.example --as marketeer@kantoor.example
    """
    from quickcrm.procedures.working import next_steps

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = next_steps(session=s, actor=rt.actor, project=project, contact=contact)

    def human() -> None:
        typer.echo(f"status: {data['status']}; last step: {data['last_step'] or 'start'}; "
                   f"your role: {data['role'] or '(not a member)'}")
        typer.echo("you may take: " + (", ".join(data["may"]) or "no step"))

    c.emit(data, human)


@command(app, "step")
def procedure_step(
    c: Ctx,
    project: ProjectArg,
    contact: ContactArg,
    step: Annotated[str, typer.Argument(help="The step to take.")],
    note: Annotated[str, typer.Option("--note", help="What was said or agreed.")] = "",
    start: Annotated[str | None, typer.Option(
        "--start", help="An appointment's start (local time, e.g. '2026-12-01 10:00').",
        show_default=False)] = None,
    minutes: Annotated[int | None, typer.Option(
        "--minutes", help="An appointment's length (default: the step type's).",
        show_default=False)] = None,
    place: Annotated[str, typer.Option("--place", help="Where the appointment is.")] = "",
    now: NowOpt = None,
) -> None:
    """Take a step with a contact, as the matrix allows (mails go out at once).

    Example: quickcrm procedure step "Acquisitie 2027" jan@bakkerij.example bellen --note "terugbellen na 1 dec"
    """
    from quickcrm.clock import parse_now
    from quickcrm.procedures.working import take_step

    rt = c.runtime(now=now)
    when = parse_now(start, rt.settings.timezone) if start else None
    with rt.writing() as conn:
        data = take_step(conn=conn, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                         project=project, contact=contact, step=step, note=note, start=when,
                         minutes=minutes, place=place)
    if data["mails"]:
        data["delivery"] = rt.deliver().as_dict()

    def human() -> None:
        extra = ""
        if data["appointment_id"]:
            extra = f"; appointment {data['appointment_id']} on {shown_time(when, c.tz)}"
        if data["mails"]:
            extra += f"; {data['mails']} e-mail(s) queued"
        prospect = "; the relation is a prospect now" if data["became_prospect"] else ""
        typer.echo(f"step {data['step']!r} taken with {data['relation']} "
                   f"(person {data['person_id']}){extra}{prospect}")

    c.emit(data, human)


@command(app, "status")
def procedure_status(
    c: Ctx,
    project: ProjectArg,
    contact: ContactArg,
    status: Annotated[str, typer.Argument(help="running, closed (or preparing).")],
    reason: Annotated[str | None, typer.Option(
        "--reason", help="The close reason (with closed).", show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Set a contact's prospect status: close it (with a reason) or reopen it.

    Example: quickcrm procedure status "Acquisitie 2027" jan@bakkerij.example closed --reason "geen interesse"
    """
    from quickcrm.procedures.projects import set_status

    rt = c.runtime(now=now)
    with rt.session() as s:
        data = set_status(session=s, actor=rt.actor, now=rt.clock.now(), project=project,
                          contact=contact, status=status, reason=reason)
    why = f" ({data['reason']})" if data["reason"] else ""
    c.emit(data, lambda: typer.echo(f"{data['relation']} (person {data['person']}): "
                                    f"{data['from']} -> {data['status']}{why}"))
