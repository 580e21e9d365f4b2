"""`quickcrm person …`: the person CRM of seed 001 (overview, add, edit, search, query,
the person card and its parts) and `quickcrm import persons`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, console, fail, shown_time, warn

app = typer.Typer(help="Persons: add, find, query and the person card.", no_args_is_help=True)
note_app = typer.Typer(help="Notes on a person's card.", no_args_is_help=True)
signal_app = typer.Typer(help="Signals (follow-ups) on a person's card.", no_args_is_help=True)
indicator_app = typer.Typer(help="Indicators (admin defines, anyone attaches).",
                            no_args_is_help=True)
property_app = typer.Typer(help="Person properties (admin).", no_args_is_help=True)
file_app = typer.Typer(help="Files on a person's card.", no_args_is_help=True)
email_app = typer.Typer(help="E-mail from and to a person's card.", no_args_is_help=True)
app.add_typer(note_app, name="note")
app.add_typer(signal_app, name="signal")
app.add_typer(indicator_app, name="indicator")
app.add_typer(property_app, name="property")
app.add_typer(file_app, name="file")
app.add_typer(email_app, name="email")
importers = typer.Typer()

PersonId = Annotated[int, typer.Argument(help="Person id (see `person search`).")]
First = Annotated[str | None, typer.Option("--first-name", help="First name.", show_default=False)]
Last = Annotated[str | None, typer.Option("--last-name", help="Last name.", show_default=False)]
Email = Annotated[str | None, typer.Option("--email", help="E-mail address.", show_default=False)]
Phone = Annotated[str | None, typer.Option("--phone", help="Phone number.", show_default=False)]
Dob = Annotated[str | None, typer.Option("--date-of-birth", help="YYYY-MM-DD or DD-MM-YYYY.",
                                         show_default=False)]
Address = Annotated[str | None, typer.Option("--address", help="Street and house number.",
                                             show_default=False)]
Postcode = Annotated[str | None, typer.Option("--postcode", help="Postcode.", show_default=False)]
City = Annotated[str | None, typer.Option("--city", help="City.", show_default=False)]
Label = Annotated[str | None, typer.Option("--label", help="Label (licences with several).",
                                           show_default=False)]
PartyType = Annotated[str | None, typer.Option(
    "--party-type", help="Another party: notaris, geldverstrekker... (empty for leads/clients).",
    show_default=False)]
RelationOpt = Annotated[str | None, typer.Option(
    "--relation", help="Relation number of the person's relation (empty: none).",
    show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="PROPERTY=VALUE; repeat for more.", show_default=False)]
NewOpt = Annotated[bool, typer.Option("--new", help="Add even when a likely duplicate exists.")]
UseOpt = Annotated[int | None, typer.Option(
    "--use-existing", help="Fill the empty fields of this known person instead.",
    show_default=False)]


def person_data(first_name: str | None = None, last_name: str | None = None,
                email: str | None = None, phone: str | None = None,
                date_of_birth: str | None = None, address: str | None = None,
                postcode: str | None = None, city: str | None = None, label: str | None = None,
                party_type: str | None = None, relation: str | None = None,
                set_: list[str] | None = None) -> Any:
    from quickcrm.crm.persons import PersonData

    props = {}
    for item in set_ or []:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            fail(f"--set {item!r}: expected PROPERTY=VALUE")
        props[name.strip()] = value
    return PersonData(first_name=first_name, last_name=last_name, email=email, phone=phone,
                      date_of_birth=date_of_birth, address=address, postcode=postcode,
                      city=city, label=label, party_type=party_type, relation=relation,
                      properties=props)


def _name(row: dict[str, Any]) -> str:
    return " ".join(x for x in (row.get("first_name"), row.get("last_name")) if x)


@command(app, "overview")
def person_overview(c: Ctx) -> None:
    """Persons per component (leads, clients, other parties, relations) and the ten last
    created or changed.

    Example: quickcrm person overview
    """
    from quickcrm.crm.persons import overview

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = overview(session=s)

    def human() -> None:
        counts = data["counts"]
        typer.echo(f"leads {counts['leads']}  clients {counts['clients']}  other parties "
                   f"{counts['other_parties']}  relations {counts['relations']}")
        typer.echo("last created or changed:")
        for row in data["latest"]:
            typer.echo(f"  {row['id']:>6}  {row['name']:<30} {row['relation_number'] or '-':<10} "
                       f"{shown_time(row['changed_at'], c.tz)}"
                       f"{'  (new)' if row['created'] else ''}")

    c.emit(data, human)


@command(app, "add")
def person_add(c: Ctx, first_name: First = None, last_name: Last = None, email: Email = None,
               phone: Phone = None, date_of_birth: Dob = None, address: Address = None,
               postcode: Postcode = None, city: City = None, label: Label = None,
               party_type: PartyType = None, relation: RelationOpt = None,
               set_: SetOpt = None, new: NewOpt = False, use_existing: UseOpt = None) -> None:
    """Add a person; a likely duplicate is shown and nothing is added without --new or
    --use-existing ID.

    Example: quickcrm person add --first-name Zoë --last-name "van den Berg" --email zoe@voorbeeld.nl
    """
    from quickcrm.crm.persons import add_person

    data = person_data(first_name, last_name, email, phone, date_of_birth, address, postcode,
                       city, label, party_type, relation, set_)
    rt = c.runtime()
    with rt.session() as s:
        person = add_person(session=s, actor=rt.actor, now=rt.clock.now(), data=data, new=new,
                            use_existing=use_existing)
        pid = person.id
    verb = "filled" if use_existing is not None else "added"
    c.emit({"id": pid, "result": verb}, lambda: typer.echo(f"person {pid} {verb}"))


@command(app, "edit")
def person_edit(c: Ctx, person_id: PersonId, first_name: First = None, last_name: Last = None,
                email: Email = None, phone: Phone = None, date_of_birth: Dob = None,
                address: Address = None, postcode: Postcode = None, city: City = None,
                label: Label = None, party_type: PartyType = None,
                relation: RelationOpt = None, set_: SetOpt = None) -> None:
    """Change a person's fields and properties (--set PROP=VALUE; an empty value clears).

    Example: quickcrm person edit 12 --city Zwolle --set Hobby=zeilen
    """
    from quickcrm.crm.persons import edit_person

    data = person_data(first_name, last_name, email, phone, date_of_birth, address, postcode,
                       city, label, party_type, relation, set_)
    rt = c.runtime()
    with rt.session() as s:
        changes = edit_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=person_id,
                              data=data)
    c.emit({"id": person_id, "changes": changes},
           lambda: typer.echo(f"person {person_id}: " + (", ".join(
               f"{k} {v[0]!r} -> {v[1]!r}" for k, v in changes.items()) or "nothing changed")))


@command(app, "label")
def person_label(c: Ctx, person_id: PersonId,
                 label: Annotated[str, typer.Argument(help="The label.")]) -> None:
    """Set a person's label (licences with several labels).

    Example: quickcrm person label 12 "Hypotheekwinkel Noord"
    """
    from quickcrm.crm.persons import label_person

    rt = c.runtime()
    with rt.session() as s:
        changes = label_person(session=s, actor=rt.actor, now=rt.clock.now(),
                               person_id=person_id, label=label)
    c.emit({"id": person_id, "changes": changes},
           lambda: typer.echo(f"person {person_id}: label {label!r}"))


@command(app, "delete")
def person_delete(c: Ctx, person_id: PersonId) -> None:
    """Delete a person for good (admin); their dossiers stay without them.

    Example: quickcrm person delete 12
    """
    from quickcrm.crm.persons import delete_person

    rt = c.runtime()
    with rt.session() as s:
        name = delete_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=person_id,
                             files_root=Path(str(rt.settings["files.path"])))
    c.emit({"id": person_id, "deleted": name},
           lambda: typer.echo(f"person {person_id} ({name}) deleted"))


@command(app, "search")
def person_search(c: Ctx, text: Annotated[str, typer.Argument(help="Start of a name or e-mail.")],
                  limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50) -> None:
    """Find persons by first name, last name or e-mail (word prefixes; any case, accents
    ignored: "zoe" finds Zoë).

    Example: quickcrm person search "van den b"
    """
    from quickcrm.crm.persons import search_persons

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = search_persons(session=s, text=text, limit=limit)

    def human() -> None:
        for row in data["persons"]:
            typer.echo(f"{row['id']:>6}  {_name(row):<32} {row['email']:<32} "
                       f"{row['relation_number'] or '-'} {row['company']}")
        shown = len(data["persons"])
        typer.echo(f"{data['total']} found" + (f", {shown} shown" if shown < data["total"] else ""))

    c.emit(data, human)


@command(app, "duplicates")
def person_duplicates(c: Ctx) -> None:
    """List likely duplicate persons in the whole database (same e-mail, or a similar
    name with the same birth date or postcode + house number).

    Example: quickcrm person duplicates --json
    """
    from quickcrm.crm.persons import scan_duplicates

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        pairs = scan_duplicates(session=s, actor=rt.actor)

    def human() -> None:
        for p in pairs:
            typer.echo(f"{p['keep']} ~ {p['other']}: {p['why']}  (quickcrm person merge "
                       f"{p['keep']} {p['other']})")
        typer.echo(f"{len(pairs)} likely duplicate pairs")

    c.emit({"pairs": pairs, "total": len(pairs)}, human)


@command(app, "merge")
def person_merge(c: Ctx, keep: Annotated[int, typer.Argument(help="The person to keep.")],
                 other: Annotated[int, typer.Argument(help="The duplicate, merged and removed.")]
                 ) -> None:
    """Merge a duplicate into the person kept: notes, signals, files, e-mails, events and
    campaign links move; empty fields are filled.

    Example: quickcrm person merge 12 48
    """
    from quickcrm.crm.persons import merge_persons

    rt = c.runtime()
    with rt.session() as s:
        moved = merge_persons(session=s, actor=rt.actor, now=rt.clock.now(), keep_id=keep,
                              other_id=other)
    c.emit({"kept": keep, "merged": other, "moved": moved},
           lambda: typer.echo(f"person {other} merged into {keep}"))


def _print_card(card: dict[str, Any], tz: str) -> None:
    con = console()
    if card["indicators"]:
        con.print("  ".join(f"[reverse] {i} [/reverse]" for i in card["indicators"]),
                  highlight=False)
    con.print(f"[bold]{card['name']}[/bold]  (person {card['id']})", highlight=False)
    labels = (("E-mail", "email"), ("Telefoon", "phone"), ("Geboortedatum", "date_of_birth"),
              ("Adres", "address"), ("Postcode", "postcode"), ("Plaats", "city"),
              ("Relatie", "relation_number"), ("Bedrijf", "company"), ("Label", "label"),
              ("Soort partij", "party_type"))
    for title, key in labels:
        if card[key]:
            con.print(f"  {title:>14}  {card[key]}", highlight=False, markup=False)
    for name, value in card["properties"].items():
        con.print(f"  {name:>14}  {value}", highlight=False, markup=False)
    if card["risk"]:
        con.print(f"  {'Risico':>14}  {card['risk']['class']} ({card['risk']['source']})",
                  highlight=False)
    con.print(f"Signaleringen open: [bold red]{card['open_signals']}[/bold red]")
    sections: list[tuple[str, list[str]]] = [
        ("Dossiers", [f"{d['number']}  {shown_time(d['created_at'], tz)}  "
                      f"{', '.join(d['applicants'])}" for d in card["dossiers"]]),
        ("Producten", [f"{p['type']} {p['status']}  ({p['dossier']})" for p in card["products"]]),
        ("Relaties", [f"{r['type']}: {r['name']} ({r['id']})" for r in card["relations"]]
         + [f"{lk['role']} bij {lk['number']} {lk['company']}" for lk in card["links"]]),
        ("E-mail", [f"{'in ' if e['direction'] == 'in' else 'uit'} {shown_time(e['at'], tz)}  "
                    f"{e['subject']}" for e in card["emails"]]),
        ("Meer op dit adres", [f"persoon {p['id']} {p['name']}" for p in card["same_address"]["persons"]]
         + [f"relatie {r['number']} {r['company']}" for r in card["same_address"]["relations"]]),
    ]
    for title, lines in sections:
        if lines:
            con.print(f"[bold]{title}[/bold]")
            for line in lines:
                con.print(f"  {line}", highlight=False, markup=False)
    if card["notes"]:
        con.print("[bold]Notities[/bold]")
        for n in card["notes"]:
            mark = ("[pinned] " if n["pinned"] else "") + n["title"]
            style = "bold red" if n["priority"] else ""
            con.print(f"  {mark}: {n['text']}", style=style, highlight=False, markup=False)
    if card.get("hidden"):
        con.print(card["hidden"]["line"], highlight=False, markup=False)


@command(app, "show")
def person_show(c: Ctx, person_id: PersonId) -> None:
    """The person card: indicators above the name, data and properties, dossiers,
    products, relations, card e-mails, notes (priority in red, pinned first), open signals.

    Example: quickcrm person show 12
    """
    from quickcrm.privacy.reading import read_card

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29): a read is recorded
        card = read_card(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                         person_id=person_id)
    c.emit(card, lambda: _print_card(card, c.tz))


@command(app, "address")
def person_address(c: Ctx, person_id: PersonId) -> None:
    """"Meer op dit adres": persons and relations at the same postcode + house number.

    Example: quickcrm person address 12
    """
    from quickcrm.crm.persons import get_person, more_at_address

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = more_at_address(s, get_person(s, person_id))

    def human() -> None:
        for p in data["persons"]:
            typer.echo(f"person {p['id']} {p['name']}")
        for r in data["relations"]:
            typer.echo(f"relation {r['number']} {r['company']}")
        if not (data["persons"] or data["relations"]):
            typer.echo("nobody else at this address")

    c.emit(data, human)


Where = Annotated[list[str] | None, typer.Option(
    "--where", help='"FIELD OP VALUE" (OP: = != < > <= >= startswith has hasnot); repeat: AND.',
    show_default=False)]
Old = Annotated[bool, typer.Option("--include-old-dossiers",
                                   help="One row per matching dossier, old ones too.")]
Saved = Annotated[str | None, typer.Option("--saved", help="Run this saved query of yours.",
                                           show_default=False)]


@command(app, "query")
def person_query(c: Ctx, where: Where = None, include_old_dossiers: Old = False,
                 save: Annotated[str | None, typer.Option(
                     "--save", help="Save the query under this name (for you only).",
                     show_default=False)] = None,
                 saved: Saved = None,
                 list_saved: Annotated[bool, typer.Option("--list-saved",
                                                          help="List your saved queries.")] = False,
                 excel: Annotated[Path | None, typer.Option(
                     "--excel", help="Also write the result to this .xlsx.",
                     show_default=False)] = None,
                 limit: Annotated[int, typer.Option(help="Show at most this many.")] = 200) -> None:
    """The query manager: persons matching every --where (fields, properties, indicator,
    product), one row per person on the latest dossier.

    Example: quickcrm person query --where "product has hypotheek" --where "product hasnot woonlastenverzekering"
    """
    from quickcrm.crm import queries

    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s:
        if list_saved:
            found = queries.list_saved(session=s, actor=actor)
            def listed() -> None:
                for q in found:
                    typer.echo(f"{q['name']}: {' AND '.join(q['conditions']) or '(all)'}"
                               f"{' (old dossiers too)' if q['include_old_dossiers'] else ''}")

            c.emit({"saved": found}, listed)
            return
        conditions = list(where or [])
        if saved:
            import json

            row = queries.saved_query(s, actor, saved)
            conditions = json.loads(row.conditions) + conditions
            include_old_dossiers = include_old_dossiers or row.include_old
        if save:
            queries.save_query(session=s, actor=actor, now=rt.clock.now(), name=save,
                               conditions=conditions, include_old=include_old_dossiers)
        data = queries.run_query(session=s, actor=actor, conditions=conditions,
                                 include_old=include_old_dossiers, limit=limit)
        if excel is not None:
            data["excel"] = str(excel)
            data["exported"] = queries.export_persons(
                session=s, actor=actor, path=excel, conditions=conditions,
                include_old=include_old_dossiers)

    def human() -> None:
        for r in data["rows"]:
            typer.echo(f"{r['id']:>6}  {_name(r):<32} {r['email']:<32} {r['city']:<16} "
                       f"{r['relation_number'] or '-':<10} {r['dossier'] or ''}")
        typer.echo(f"{data['total']} found" + (f", {len(data['rows'])} shown"
                                                if len(data["rows"]) < data["total"] else ""))
        if save:
            typer.echo(f"saved as {save!r}")
        if excel is not None:
            typer.echo(f"{data['exported']} rows written to {excel}")

    c.emit(data, human)


@command(app, "export")
def person_export(c: Ctx, file: Annotated[Path, typer.Argument(help="The .xlsx to write.")],
                  saved: Saved = None) -> None:
    """Export every person (or a saved query's) to Excel.

    Example: quickcrm person export personen.xlsx --saved Hypotheek
    """
    from quickcrm.crm import queries

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        conditions: list[str] = []
        include_old = False
        if saved:
            import json

            row = queries.saved_query(s, rt.actor, saved)
            conditions, include_old = json.loads(row.conditions), row.include_old
        n = queries.export_persons(session=s, actor=rt.actor, path=file, conditions=conditions,
                                   include_old=include_old)
    c.emit({"file": str(file), "rows": n}, lambda: typer.echo(f"{n} persons written to {file}"))


# --- notes ---------------------------------------------------------------------------------

@command(note_app, "add")
def note_add(c: Ctx, person_id: PersonId,
             title: Annotated[str, typer.Option("--title", help="Title.")],
             text: Annotated[str, typer.Option("--text", help="The note.")] = "",
             priority: Annotated[bool, typer.Option("--priority", help="Priority (red).")] = False,
             show_in_dossier: Annotated[bool, typer.Option(
                 "--show-in-dossier", help="Show in the person's dossiers too.")] = False,
             pin: Annotated[bool, typer.Option("--pin", help="Always show first.")] = False) -> None:
    """Add a note to a person's card.

    Example: quickcrm person note add 12 --title "Belafspraak" --text "Bellen na de zomer" --priority
    """
    from quickcrm.crm.notes import add_note

    rt = c.runtime()
    with rt.session() as s:
        note = add_note(session=s, actor=rt.actor, now=rt.clock.now(), person_id=person_id,
                        title=title, text=text, priority=priority,
                        show_in_dossier=show_in_dossier, pin=pin)
        nid = note.id
    c.emit({"id": nid}, lambda: typer.echo(f"note {nid} added"))


@command(note_app, "list", listing=True)
def note_list(c: Ctx, person_id: PersonId,
              sort: Annotated[str, typer.Option(help="date, author or priority.")] = "date") -> None:
    """A person's notes, pinned first.

    Example: quickcrm person note list 12 --sort priority
    """
    from quickcrm.privacy.reading import read_notes

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29)
        notes, hidden = read_notes(session=s, actor=rt.actor, now=rt.clock.now(),
                                   settings=rt.settings, person_id=person_id, sort=sort)
    if hidden:
        warn(hidden)
    c.table(notes, ["Id", "Titel", "Tekst", "Prioriteit", "Vast", "Auteur", "Datum"],
            [[n["id"], n["title"], n["text"], "ja" if n["priority"] else "", "ja" if n["pinned"]
              else "", n["author"], shown_time(n["created_at"], c.tz)] for n in notes])


@command(note_app, "edit")
def note_edit(c: Ctx, note_id: Annotated[int, typer.Argument(help="Note id.")],
              title: Annotated[str | None, typer.Option("--title", help="New title.",
                                                         show_default=False)] = None,
              text: Annotated[str | None, typer.Option("--text", help="New text.",
                                                       show_default=False)] = None,
              priority: Annotated[bool | None, typer.Option("--priority/--no-priority",
                                                            help="Priority (red) or not.",
                                                            show_default=False)] = None,
              show_in_dossier: Annotated[bool | None, typer.Option(
                  "--show-in-dossier/--hide-in-dossier", help="Show in dossiers or not.",
                  show_default=False)] = None,
              pin: Annotated[bool | None, typer.Option("--pin/--unpin", help="Always first or not.",
                                                   show_default=False)] = None,
              ) -> None:
    """Edit a note.

    Example: quickcrm person note edit 3 --no-priority --pin
    """
    from quickcrm.crm.notes import edit_note

    rt = c.runtime()
    with rt.session() as s:
        changes = edit_note(session=s, actor=rt.actor, now=rt.clock.now(), note_id=note_id,
                            title=title, text=text, priority=priority,
                            show_in_dossier=show_in_dossier, pin=pin)
    c.emit({"id": note_id, "changes": changes},
           lambda: typer.echo(f"note {note_id}: {', '.join(changes) or 'nothing changed'}"))


# --- signals -------------------------------------------------------------------------------

@command(signal_app, "add")
def signal_add(c: Ctx, person_id: PersonId,
               title: Annotated[str, typer.Option("--title", help="Title.")],
               date: Annotated[str, typer.Option("--date", help="Due date (YYYY-MM-DD).")],
               time: Annotated[str, typer.Option("--time", help="From this time (HH:MM).")] = "",
               for_: Annotated[str | None, typer.Option(
                   "--for", help="User (e-mail) whose work queue gets it; default you.",
                   show_default=False)] = None,
               ref: Annotated[str, typer.Option("--ref", help="What it is about (e.g. invitation:4).")] = "",
               now: NowOpt = None) -> None:
    """Set a signal on a person; it lands in the work queue (`quickcrm worklist`).

    Example: quickcrm person signal add 12 --title "Terugbellen" --date 2026-12-07 --time 10:00
    """
    from quickcrm.crm.persons import parse_date
    from quickcrm.crm.signals import add_signal, user_by_email

    rt = c.runtime(now=now)
    with rt.session() as s:
        user_id = user_by_email(s, for_).id if for_ else None
        signal = add_signal(session=s, actor=rt.actor, now=rt.clock.now(), tz=c.tz,
                            person_id=person_id, title=title, due=parse_date(date, "--date"),
                            at=time, for_user_id=user_id, ref=ref)
        sid = signal.id
    c.emit({"id": sid}, lambda: typer.echo(f"signal {sid} added"))


@command(signal_app, "list", listing=True)
def signal_list(c: Ctx, person_id: PersonId,
                open_only: Annotated[bool, typer.Option("--open", help="Open ones only.")] = False) -> None:
    """A person's signals.

    Example: quickcrm person signal list 12 --open
    """
    from quickcrm.privacy.reading import read_signals

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29): a risk review's title names the class
        rows, hidden = read_signals(session=s, actor=rt.actor, now=rt.clock.now(),
                                    settings=rt.settings, person_id=person_id,
                                    open_only=open_only)
    if hidden:
        warn(hidden)
    c.table(rows, ["Id", "Titel", "Datum", "Tijd", "Voor", "Gedaan"],
            [[r["id"], r["title"], r["due_date"], r["due_time"], r["for"],
              shown_time(r["done_at"], c.tz)] for r in rows])


@command(signal_app, "done")
def signal_done(c: Ctx, signal_id: Annotated[int, typer.Argument(help="Signal id.")],
                now: NowOpt = None) -> None:
    """Mark a signal done.

    Example: quickcrm person signal done 7
    """
    from quickcrm.crm.signals import done_signal

    rt = c.runtime(now=now)
    with rt.session() as s:
        done_signal(session=s, actor=rt.actor, now=rt.clock.now(), signal_id=signal_id)
    c.emit({"id": signal_id, "done": True}, lambda: typer.echo(f"signal {signal_id} done"))


# --- indicators and properties -------------------------------------------------------------

@command(indicator_app, "define")
def indicator_define(c: Ctx, name: Annotated[str, typer.Argument(help="Indicator name.")],
                     show_in_dossier: Annotated[bool, typer.Option(
                         "--show-in-dossier", help="Show it behind the name in dossiers.")] = False) -> None:
    """Define an indicator (admin).

    Example: quickcrm person indicator define Oud-medewerker --show-in-dossier
    """
    from quickcrm.crm.persons import define_indicator

    rt = c.runtime()
    with rt.session() as s:
        define_indicator(session=s, actor=rt.actor, name=name, show_in_dossier=show_in_dossier)
    c.emit({"name": name}, lambda: typer.echo(f"indicator {name!r} defined"))


@command(indicator_app, "list", listing=True)
def indicator_list(c: Ctx) -> None:
    """The indicators.

    Example: quickcrm person indicator list
    """
    from quickcrm.crm.persons import list_indicators

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = [{"name": i.name, "show_in_dossier": i.show_in_dossier}
                for i in list_indicators(session=s)]
    c.table(rows, ["Indicator", "Tonen in dossier"],
            [[r["name"], "ja" if r["show_in_dossier"] else ""] for r in rows])


def _indicator(c: Ctx, person_id: int, name: str, on: bool) -> None:
    from quickcrm.crm.persons import set_indicator

    rt = c.runtime()
    with rt.session() as s:
        changed = set_indicator(session=s, actor=rt.actor, now=rt.clock.now(),
                                person_id=person_id, name=name, on=on)
    verb = "attached to" if on else "detached from"
    c.emit({"id": person_id, "indicator": name, "changed": changed},
           lambda: typer.echo(f"indicator {name!r} {verb} person {person_id}"
                              + ("" if changed else " (already so)")))


@command(indicator_app, "attach")
def indicator_attach(c: Ctx, person_id: PersonId,
                     name: Annotated[str, typer.Argument(help="Indicator.")]) -> None:
    """Attach an indicator to a person.

    Example: quickcrm person indicator attach 12 Lead
    """
    _indicator(c, person_id, name, True)


@command(indicator_app, "detach")
def indicator_detach(c: Ctx, person_id: PersonId,
                     name: Annotated[str, typer.Argument(help="Indicator.")]) -> None:
    """Detach an indicator from a person.

    Example: quickcrm person indicator detach 12 Lead
    """
    _indicator(c, person_id, name, False)


@command(property_app, "define")
def property_define(c: Ctx, name: Annotated[str, typer.Argument(help="Property name.")],
                    type_: Annotated[str, typer.Option("--type", help="text, number, date or choice.")],
                    choices: Annotated[str, typer.Option(
                        "--choices", help="For choice: the options, comma separated.")] = "") -> None:
    """Define a person property (admin); text properties are not queryable (seed).

    Example: quickcrm person property define Woonsituatie --type choice --choices koop,huur
    """
    from quickcrm.crm.persons import define_property

    rt = c.runtime()
    with rt.session() as s:
        define_property(session=s, actor=rt.actor, now=rt.clock.now(), name=name, type=type_,
                        choices=[x.strip() for x in choices.split(",") if x.strip()])
    c.emit({"name": name, "type": type_}, lambda: typer.echo(f"property {name!r} defined"))


@command(property_app, "list", listing=True)
def property_list(c: Ctx) -> None:
    """The person properties.

    Example: quickcrm person property list
    """
    import json

    from sqlalchemy import select

    from quickcrm.crm.models import PropertyDef

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = [{"name": p.name, "type": p.type, "choices": json.loads(p.choices)}
                for p in s.execute(select(PropertyDef).order_by(PropertyDef.name)).scalars()]  # type: ignore[arg-type]
    c.table(rows, ["Eigenschap", "Type", "Keuzes"],
            [[r["name"], r["type"], ", ".join(r["choices"])] for r in rows])


# --- relations, links, risk, identification ------------------------------------------------

@command(app, "relate")
def person_relate(c: Ctx, person_id: PersonId,
                  other: Annotated[int, typer.Argument(help="The other person's id.")],
                  type_: Annotated[str, typer.Option("--type", help="ouder, collega, partner…")],
                  inverse: Annotated[str | None, typer.Option(
                      "--inverse", help="The type seen from the other (default: ouder->kind…).",
                      show_default=False)] = None,
                  undo: Annotated[bool, typer.Option("--undo", help="Remove the relation.")] = False) -> None:
    """Put two persons in relation to each other (or --undo).

    Example: quickcrm person relate 12 13 --type ouder
    """
    from quickcrm.crm.persons import relate_persons

    rt = c.runtime()
    with rt.session() as s:
        relate_persons(session=s, actor=rt.actor, now=rt.clock.now(), person_id=person_id,
                       other_id=other, type=type_, inverse=inverse, undo=undo)
    c.emit({"id": person_id, "other": other, "undone": undo},
           lambda: typer.echo(f"persons {person_id} and {other} "
                              + ("no longer related" if undo else "related")))


@command(app, "link")
def person_link(c: Ctx, person_id: PersonId,
                number: Annotated[str, typer.Argument(help="Relation number.")],
                role: Annotated[str, typer.Option("--role", help="dga, bestuurder, contactpersoon…")] = "",
                undo: Annotated[bool, typer.Option("--undo", help="Remove the link.")] = False) -> None:
    """Link a person to another relation with a role (a DGA in a holding and a
    werkmaatschappij); their own relation stays the primary one.

    Example: quickcrm person link 12 000456 --role dga
    """
    from quickcrm.crm.persons import link_relation

    rt = c.runtime()
    with rt.session() as s:
        link_relation(session=s, actor=rt.actor, now=rt.clock.now(), person_id=person_id,
                      number=number, role=role, undo=undo)
    c.emit({"id": person_id, "relation_number": number, "role": role, "undone": undo},
           lambda: typer.echo(f"person {person_id} {'unlinked from' if undo else 'linked to'} "
                              f"{number}"))


@command(app, "risk")
def person_risk(c: Ctx, person_id: PersonId,
                class_: Annotated[str | None, typer.Option(
                    "--class", help="laag, hoog or onacceptabel.", show_default=False)] = None,
                motivation: Annotated[str, typer.Option("--motivation", help="Why.")] = "",
                source: Annotated[str, typer.Option(help="handmatig or brondata.")] = "handmatig",
                history: Annotated[bool, typer.Option("--history", help="Show every classification.")] = False,
                now: NowOpt = None) -> None:
    """Record a risk classification (with a review signal for the RM), or show --history.

    Example: quickcrm person risk 12 --class hoog --motivation "PEP"
    """
    from quickcrm.crm.persons import classify_risk
    from quickcrm.privacy.reading import read_risk_history

    rt = c.runtime(now=now)
    with rt.session() as s:
        if class_ is None:
            if not history:
                fail("give --class and --motivation, or --history")
            rows, hidden = read_risk_history(session=s, actor=rt.actor, now=rt.clock.now(),
                                             settings=rt.settings, person_id=person_id)
            if hidden:
                warn(hidden)
            def listed() -> None:
                for r in rows:
                    typer.echo(f"{shown_time(r['at'], c.tz)}  {r['class']:<13} "
                               f"{r['source']:<10} {r['motivation']}")

            c.emit({"history": rows}, listed)
            return
        review = {"hoog": int(rt.settings["risk.review_hoog_days"]),
                  "laag": int(rt.settings["risk.review_laag_days"])}
        row = classify_risk(session=s, actor=rt.actor, now=rt.clock.now(), tz=c.tz,
                            person_id=person_id, risk_class=class_, motivation=motivation,
                            source=source, review_days=review)
        data = {"id": person_id, "class": row.risk_class, "source": row.source}
    c.emit(data, lambda: typer.echo(f"person {person_id}: risk {data['class']}"))


@command(app, "identify")
def person_identify(c: Ctx, person_id: PersonId,
                    method: Annotated[str, typer.Option("--method", help="How: balie, videocall…")],
                    document: Annotated[str, typer.Option("--document", help="paspoort, id-kaart, rijbewijs…")],
                    number: Annotated[str, typer.Option("--number", help="Document number.")],
                    expires: Annotated[str, typer.Option("--expires", help="Valid until (YYYY-MM-DD).")],
                    by: Annotated[str | None, typer.Option(
                        "--by", help="Who checked it (e-mail); default you.", show_default=False)] = None,
                    now: NowOpt = None) -> None:
    """Record how a person's identity was checked (a signal follows 30 days before the
    document expires).

    Example: quickcrm person identify 12 --method balie --document paspoort --number NX12345 --expires 2030-05-01
    """
    from quickcrm.crm.persons import identify
    from quickcrm.crm.signals import user_by_email

    rt = c.runtime(now=now)
    with rt.session() as s:
        by_id = user_by_email(s, by).id if by else None
        row = identify(session=s, actor=rt.actor, now=rt.clock.now(), tz=c.tz,
                       person_id=person_id, method=method, document=document, number=number,
                       expires=expires, by_user_id=by_id)
        rid = row.id
    c.emit({"id": rid, "person_id": person_id},
           lambda: typer.echo(f"identification {rid} recorded for person {person_id}"))


# --- files ---------------------------------------------------------------------------------

def _files_root(rt: Any) -> Path:
    return Path(str(rt.settings["files.path"]))


@command(file_app, "add")
def file_add(c: Ctx, person_id: PersonId,
             path: Annotated[Path, typer.Argument(help="The file to store.")]) -> None:
    """Store a file on a person's card (a copy of an ID before there is a dossier).

    Example: quickcrm person file add 12 kopie-id.pdf
    """
    from quickcrm.crm.filestore import add_file

    rt = c.runtime()
    with rt.session() as s:
        row = add_file(session=s, actor=rt.actor, now=rt.clock.now(), root=_files_root(rt),
                       max_mb=int(rt.settings["files.max_mb"]), person_id=person_id, path=path)
        data = {"id": row.id, "name": row.name, "size": row.size}
    c.emit(data, lambda: typer.echo(f"file {data['id']} ({data['name']}) stored"))


@command(file_app, "list", listing=True)
def file_list(c: Ctx, person_id: PersonId) -> None:
    """The files on a person's card.

    Example: quickcrm person file list 12
    """
    from quickcrm.privacy.reading import read_files

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29)
        rows, hidden = read_files(session=s, actor=rt.actor, now=rt.clock.now(),
                                  settings=rt.settings, person_id=person_id)
    if hidden:
        warn(hidden)
    c.table(rows, ["Id", "Naam", "Grootte", "Datum"],
            [[r["id"], r["name"], r["size"], shown_time(r["at"], c.tz)] for r in rows])


@command(file_app, "get")
def file_get(c: Ctx, file_id: Annotated[int, typer.Argument(help="File id.")],
             out: Annotated[Path, typer.Option("--out", help="Where to write it (a file or folder).")],
             force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False) -> None:
    """Write a stored file to disk.

    Example: quickcrm person file get 3 --out ./kopie-id.pdf
    """
    from quickcrm.privacy.reading import get_file

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29)
        row = get_file(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                       root=_files_root(rt), file_id=file_id, out=out, force=force)
        name = row.name
    c.emit({"id": file_id, "out": str(out)}, lambda: typer.echo(f"{name} written to {out}"))


@command(file_app, "copy")
def file_copy(c: Ctx, file_id: Annotated[int, typer.Argument(help="File id.")],
              dossier: Annotated[str, typer.Option("--dossier", help="Dossier number.")]) -> None:
    """Put a card's file in a dossier (the seed's klembord).

    Example: quickcrm person file copy 3 --dossier D000004
    """
    from quickcrm.crm.filestore import copy_to_dossier

    rt = c.runtime()
    with rt.session() as s:
        row = copy_to_dossier(session=s, actor=rt.actor, now=rt.clock.now(), file_id=file_id,
                              number=dossier)
        new_id = row.id
    c.emit({"id": new_id, "dossier": dossier},
           lambda: typer.echo(f"file {file_id} copied to dossier {dossier} (file {new_id})"))


# --- e-mail --------------------------------------------------------------------------------

@command(email_app, "send")
def email_send(c: Ctx, person_id: PersonId,
               subject: Annotated[str, typer.Option("--subject", help="Subject.")],
               text: Annotated[str | None, typer.Option("--text", help="The message.",
                                                        show_default=False)] = None,
               body: Annotated[Path | None, typer.Option("--body", help="A text file with the message.",
                                                         show_default=False)] = None,
               now: NowOpt = None) -> None:
    """Send a person an e-mail from their card (From you; delivered at once).

    Example: quickcrm person email send 12 --subject "Uw afspraak" --text "Tot dinsdag!"
    """
    from quickcrm.mail.person_mail import send_person_email

    if (text is None) == (body is None):
        fail("give --text or --body, one of them")
    if body is not None:
        try:
            text = body.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{body}: cannot read the message ({exc})")
    rt = c.runtime(now=now)
    with rt.session() as s:
        row, warnings = send_person_email(session=s, actor=rt.actor, now=rt.clock.now(),
                                          settings=rt.settings, person_id=person_id,
                                          subject=subject, text=text or "")
        message_id = row.message_id
    for line in warnings:
        warn(line)
    counts = rt.deliver()
    c.emit({"message_id": message_id, "delivered": getattr(counts, "sent", None)},
           lambda: typer.echo(f"e-mail {message_id} queued and delivered"))


@command(email_app, "add")
def email_add(c: Ctx, person_id: PersonId,
              in_: Annotated[Path, typer.Option("--in", help="A received message (.eml).")]) -> None:
    """File a received e-mail (.eml) on a person's card (once per Message-ID).

    Example: quickcrm person email add 12 --in vraag.eml
    """
    from quickcrm.mail.person_mail import file_person_email

    rt = c.runtime()
    with rt.session() as s:
        row, new = file_person_email(session=s, actor=rt.actor, now=rt.clock.now(),
                                     person_id=person_id, path=in_)
        data = {"message_id": row.message_id, "subject": row.subject, "new": new}
    c.emit(data, lambda: typer.echo(f"{'filed' if new else 'already filed'}: {data['subject']}"))


@command(email_app, "list", listing=True)
def email_list(c: Ctx, person_id: PersonId) -> None:
    """A person's e-mails: in and out from the card, plus campaign mail to their address.

    Example: quickcrm person email list 12
    """
    from quickcrm.mail.person_mail import list_person_emails

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = list_person_emails(session=s, person_id=person_id)
    c.table(rows, ["Richting", "Datum", "Onderwerp", "Van", "Aan", "Soort", "Status"],
            [[r["direction"], shown_time(r["at"], c.tz), r["subject"], r["from"], r["to"],
              r["source"], r["status"]] for r in rows])


# --- import --------------------------------------------------------------------------------

@command(importers, "persons")
def import_persons_cmd(
    c: Ctx, file: Annotated[Path, typer.Argument(help="A .xlsx or .csv file of persons.")],
    no_duplicate_check: Annotated[bool, typer.Option(
        "--no-duplicate-check", help="Skip the likely-duplicate check (faster).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file; write nothing.")] = False,
) -> None:
    """Import persons (admin): a known e-mail fills that person's empty fields; likely
    duplicates are created and listed in FILE.duplicates.csv.

    Example: quickcrm import persons personen.xlsx
    """
    from quickcrm.crm.person_import import import_persons

    rt = c.runtime()
    with rt.session() as s, c.progress(f"importing {file.name}") as advance:
        result = import_persons(session=s, actor=rt.actor, now=rt.clock.now(), path=file,
                                duplicate_check=not no_duplicate_check, dry_run=dry_run,
                                progress=advance)
    for line in result.warnings:
        warn(line)

    def human() -> None:
        prefix = "dry run, nothing written: " if dry_run else ""
        typer.echo(f"{prefix}{result.created} created, {result.filled} filled, "
                   f"{result.unchanged} unchanged, {result.duplicates} likely duplicates")
        if result.duplicates_path is not None:
            typer.echo(f"likely duplicates listed in {result.duplicates_path}")

    c.emit(result.to_json(), human)
