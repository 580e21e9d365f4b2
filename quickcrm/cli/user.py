"""`quickcrm user add|list|show|grant|revoke`: users and their firm-wide rights."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command, console

app = typer.Typer(help="Manage users and their firm-wide rights.", no_args_is_help=True)

RightsArg = Annotated[list[str], typer.Argument(
    help="admin, coordinator, relationship-manager (rm), sales-monitor", show_default=False)]


def _print_user(u: dict) -> None:
    con = console()
    for key in ("email", "name", "initials", "team", "rights", "signature", "active"):
        value = u[key]
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        con.print(f"[bold]{key:>10}[/bold]  {value if value not in (None, '') else '-'}",
                  highlight=False)


@command(app, "add")
def user_add(
    c: Ctx,
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name: first name, then last name.")] = "",
    initials: Annotated[str, typer.Option(help="Initials (default from the name).")] = "",
    signature: Annotated[str, typer.Option(help="Signature text under e-mails.")] = "",
    team: Annotated[str | None, typer.Option(help="Team (created when new).")] = None,
    right: Annotated[list[str] | None, typer.Option(
        "--right", "-r", help="A right to grant; repeat for more.")] = None,
) -> None:
    """Add a user.

    Example: quickcrm user add j.devries@kantoor.example --name "Jan de Vries" -r rm --team Utrecht
    """
    from quickcrm.crm.users import add_user

    rt = c.runtime()
    first, _, last = name.strip().partition(" ")
    with rt.session() as s:
        user = add_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
                        first_name=first, last_name=last, initials=initials,
                        signature=signature.replace("\\n", "\n"), team=team, rights=right)
    c.emit(user.model_dump(), lambda: typer.echo(f"added {user.email} ({', '.join(user.rights) or 'no rights'})"))


@command(app, "list", listing=True)
def user_list(c: Ctx) -> None:
    """List all users with their team and rights.

    Example: quickcrm user list --json
    """
    from quickcrm.crm.users import list_users

    rt = c.runtime()
    _ = rt.actor
    with rt.session(read_only=True) as s:
        users = list_users(session=s)
    c.table([u.model_dump() for u in users], ("E-mail", "Name", "Team", "Rights"),
            [(u.email, u.name, u.team or "", ", ".join(u.rights)) for u in users])


@command(app, "show")
def user_show(c: Ctx, email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Show one user.

    Example: quickcrm user show admin@quickcrm.example
    """
    from quickcrm.crm.users import get_user, to_public

    rt = c.runtime()
    _ = rt.actor
    with rt.session(read_only=True) as s:
        user = to_public(s, get_user(session=s, email=email))
    c.emit(user.model_dump(), lambda: _print_user(user.model_dump()))


def _change(c: Ctx, email: str, rights: list[str], grant: bool) -> None:
    from quickcrm.crm.users import change_rights

    rt = c.runtime()
    with rt.session() as s:
        user = change_rights(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
                             rights=rights, grant=grant)
    c.emit(user.model_dump(),
           lambda: typer.echo(f"{user.email}: {', '.join(user.rights) or 'no rights'}"))


@command(app, "grant")
def user_grant(
    c: Ctx, email: Annotated[str, typer.Argument(help="The user's e-mail.")], rights: RightsArg
) -> None:
    """Grant rights to a user.

    Example: quickcrm user grant m.jansen@kantoor.example coordinator
    """
    _change(c, email, rights, grant=True)


@command(app, "revoke")
def user_revoke(
    c: Ctx, email: Annotated[str, typer.Argument(help="The user's e-mail.")], rights: RightsArg
) -> None:
    """Revoke rights from a user (the last admin keeps admin).

    Example: quickcrm user revoke m.jansen@kantoor.example coordinator
    """
    _change(c, email, rights, grant=False)
