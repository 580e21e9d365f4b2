"""`quickcrm user add|edit|list|show|grant|revoke`: users and their firm-wide rights."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command, console, fail, warn

app = typer.Typer(help="Manage users and their firm-wide rights.", no_args_is_help=True)

RightsArg = Annotated[list[str], typer.Argument(
    help="admin, coordinator, relationship-manager (rm), sales-monitor", show_default=False)]


def _print_user(u: dict) -> None:
    con = console()
    for key in ("email", "name", "initials", "function", "phone", "team", "rights",
                "signature", "photo", "active", "os_user"):
        value = u[key]
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        if isinstance(value, bool):
            value = "yes" if value else "no"
        con.print(f"[bold]{key:>10}[/bold]  {value if value not in (None, '') else '-'}",
                  highlight=False)


@command(app, "add")
def user_add(
    c: Ctx,
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name: first name, then last name.")] = "",
    initials: Annotated[str, typer.Option(help="Initials (default from the name).")] = "",
    signature: Annotated[str, typer.Option(help="Signature text under e-mails.")] = "",
    function: Annotated[str, typer.Option(help="Function shown under the name.")] = "",
    phone: Annotated[str, typer.Option(help="Phone number shown under the name.")] = "",
    team: Annotated[str | None, typer.Option(help="Team (created when new).")] = None,
    right: Annotated[list[str] | None, typer.Option(
        "--right", "-r", help="A right to grant; repeat for more.")] = None,
    os_user: Annotated[str | None, typer.Option(
        "--os-user", help="The operating-system account this user runs quickcrm as; once "
                          "any user has one, who acts follows the account.",
        show_default=False)] = None,
) -> None:
    """Add a user.

    Example: quickcrm user add j.devries@kantoor.example --name "Jan de Vries" -r rm --team Utrecht --os-user jan
    """
    from quickcrm.crm.users import add_user

    rt = c.runtime()
    first, _, last = name.strip().partition(" ")
    with rt.session() as s:
        user = add_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
                        first_name=first, last_name=last, initials=initials,
                        signature=signature.replace("\\n", "\n"), function=function,
                        phone=phone, team=team, rights=right, os_user=os_user,
                        account=rt.os_account)
    _note_account(os_user)
    c.emit(user.model_dump(), lambda: typer.echo(f"added {user.email} ({', '.join(user.rights) or 'no rights'})"))


@command(app, "edit")
def user_edit(
    c: Ctx,
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    name: Annotated[str | None, typer.Option(
        help="Full name: first name, then last name.", show_default=False)] = None,
    initials: Annotated[str | None, typer.Option(
        help="Initials (follow a new name unless given).", show_default=False)] = None,
    signature: Annotated[str | None, typer.Option(
        help="Signature under e-mails, \\n for a new line; \"\" for name, function and phone.",
        show_default=False)] = None,
    function: Annotated[str | None, typer.Option(
        help="Function shown under the name in e-mails.", show_default=False)] = None,
    phone: Annotated[str | None, typer.Option(
        help="Phone number shown under the name in e-mails.", show_default=False)] = None,
    photo: Annotated[Path | None, typer.Option(
        help="A JPEG, PNG or WebP portrait (at most 5 MB), shown on the client's pages.",
        dir_okay=False, show_default=False)] = None,
    no_photo: Annotated[bool, typer.Option("--no-photo", help="Remove the stored photo.")] = False,
    team: Annotated[str | None, typer.Option(
        help="Move to this team (created when new; \"\" for none). Needs admin.",
        show_default=False)] = None,
    os_user: Annotated[str | None, typer.Option(
        "--os-user", help="Map this operating-system account to the user (\"\" for none). "
                          "Needs admin.", show_default=False)] = None,
) -> None:
    """Change a user's name, initials, signature, function, phone, photo or team.

    A user may edit themself (except the team); an administrator anyone, including the
    relationship managers a client import created.

    Example: quickcrm user edit r.meer@kantoor.example --name "Rita van der Meer" --function "Relatiemanager MKB" --phone "030 123 45 67"
    """
    from quickcrm.crm.photos import read_photo
    from quickcrm.crm.users import UserEdit, edit_user

    if photo is not None and no_photo:
        fail("use --photo FILE or --no-photo, not both")
    first = last = None
    if name is not None:
        if not name.strip():
            fail("--name: give a first and a last name")
        first, _, last = name.strip().partition(" ")
    rt = c.runtime()
    edit = UserEdit(first_name=first, last_name=last, initials=initials,
                    signature=signature.replace("\\n", "\n") if signature is not None else None,
                    function=function, phone=phone, team=team,
                    photo=read_photo(photo) if photo is not None else None,
                    remove_photo=no_photo, os_user=os_user)
    with rt.session() as s:
        user = edit_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email, edit=edit,
                         account=rt.os_account)
    _note_account(os_user)
    c.emit(user.model_dump(), lambda: _print_user(user.model_dump()))


def _note_account(name: str | None) -> None:
    """A note when the account mapped is unknown on this machine (it may be another
    machine's, on a shared PostgreSQL)."""
    import pwd

    if name and name.strip():
        try:
            pwd.getpwnam(name.strip())
        except KeyError:
            warn(f"note: there is no operating-system account {name.strip()!r} on this "
                 "machine (mapped all the same)")


@command(app, "deactivate")
def user_deactivate(
    c: Ctx,
    email: Annotated[str, typer.Argument(help="The departed user's e-mail.")],
    reassign_to: Annotated[str | None, typer.Option(
        "--reassign-to", help="Move their relations to this relationship manager.",
        show_default=False)] = None,
) -> None:
    """Deactivate a departed user: kept and still named, but no longer able to act.

    The last active administrator cannot be deactivated. With --reassign-to their
    relations, their open signals, and their clients not yet invited in campaigns that
    are not closed move to another relationship manager in the same transaction.

    Example: quickcrm user deactivate r.meer@kantoor.example --reassign-to j.devries@kantoor.example
    """
    from quickcrm.crm.users import deactivate_user
    from quickcrm.privacy.departed import reassign_unsent

    rt = c.runtime()
    with rt.session() as s:
        done = deactivate_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
                               reassign_to=reassign_to, also=reassign_unsent)

    def human() -> None:
        state = "deactivated" if done.changed else "was deactivated already"
        def n(count: int, what: str) -> str:
            return f"{count} {what}{'' if count == 1 else 's'}"

        moved = (f"; {n(done.relations, 'relation')}, {n(done.signals, 'open signal')} and "
                 f"{n(done.unsent, 'uninvited campaign client')} moved to {done.reassigned_to}"
                 if done.reassigned_to else "")
        typer.echo(f"{done.user.email} {state}{moved}")

    c.emit({"user": done.user.model_dump(), "changed": done.changed,
            "reassigned_to": done.reassigned_to, "relations": done.relations,
            "signals": done.signals, "unsent_campaign_clients": done.unsent}, human)
    if done.user.email == rt.settings.admin_email:
        warn(f"note: {done.user.email} is admin.email, the default acting user; set "
             "admin.email to an active administrator (or map accounts: user edit --os-user)")


@command(app, "activate")
def user_activate(
    c: Ctx, email: Annotated[str, typer.Argument(help="The user's e-mail.")]
) -> None:
    """Make a deactivated user active again.

    Example: quickcrm user activate r.meer@kantoor.example
    """
    from quickcrm.crm.users import activate_user

    rt = c.runtime()
    with rt.session() as s:
        user = activate_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email)
    c.emit(user.model_dump(), lambda: typer.echo(f"{user.email} is active"))


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
            [(u.email, u.name if u.active else f"{u.name} (deactivated)", u.team or "",
              ", ".join(u.rights)) for u in users])


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
