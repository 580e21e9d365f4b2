"""The attention monitor end to end (issue 28, seed 003) on SQLite and PostgreSQL:
contact moments counted from the event log and from `import activities`, buckets,
types and sales views, stored results, timelines, relation groups and the nightly job."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _clientfiles import client, write_csv

from quickcrm import events
from quickcrm.errors import FileProblems, NotPermitted

RM = "r.meer@kantoor.example"
SEED = [488, 60, 40, 30, 25, 20, 20, 15, 12, 10, 8, 5, 2, 1, 0, 0]


def numbers(n: int) -> list[str]:
    return [f"{i:06d}" for i in range(1, n + 1)]


def import_clients_file(rt: Any, path: Path) -> None:
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)


def setup_relations(rt: Any, tmp_path: Path, n: int = 16) -> dict[str, int]:
    rows = [client(num, company=f"Relatie {num}", city="Zwolle" if i % 2 else "Deventer")
            for i, num in enumerate(numbers(n))]
    import_clients_file(rt, write_csv(tmp_path / "klanten.csv", rows))
    from sqlmodel import select

    from quickcrm.store.models import Relation

    with rt.session(read_only=True) as s:
        return {r.number: r.id for r in s.exec(select(Relation))}


def user(rt: Any, email: str, *rights: str, initials: str = "", team: str | None = None
         ) -> Any:
    from quickcrm.crm.users import add_user

    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email,
                 first_name=email.split("@")[0].capitalize(), initials=initials,
                 rights=list(rights), team=team)
    return actor_of(rt, email)


def actor_of(rt: Any, email: str) -> Any:
    from quickcrm.crm.users import resolve_actor

    with rt.session() as s:
        return resolve_actor(session=s, email=email, settings=rt.settings, now=rt.clock.now())


def uid(rt: Any, email: str) -> int:
    return int(actor_of(rt, email).id)


def record(rt: Any, entries: list[events.Entry], at: datetime) -> None:
    with rt.session() as s:
        events.record_many(s, entries, at=at)
        s.commit()


def compute(rt: Any, actor: Any = None, **kw: Any) -> dict[str, Any]:
    from quickcrm.attention.monitor import Params, compute, for_reader

    actor = actor or rt.actor
    kw.setdefault("start", date(2026, 1, 1))
    kw.setdefault("end", date(2026, 11, 23))
    with rt.session() as s:
        result = compute(session=s, actor=actor, now=rt.clock.now(), tz="Europe/Amsterdam",
                         params=Params(**kw))
    return for_reader(result, actor)


def by_number(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["relation"]: r for r in result["relations"]}


def seed_shape(rt: Any, ids: dict[str, int]) -> None:
    """SEED's totals as contact moments of every counted kind, the last on 2026-11-20
    for the first relation, and an invoice newer than any contact."""
    counted = [k for k in (events.CONTACT_HISTORIE, events.CONTACT_NOTITIE,
                           events.CONTACT_EMAIL_IN, events.SALES_ORDER, events.HELPDESK_CALL)]
    entries = []
    for i, (num, total) in enumerate(zip(numbers(16), SEED, strict=True)):
        for j in range(total):
            entries.append(events.Entry(counted[j % len(counted)], ids[num],
                                        at=datetime(2026, 11, 20 - i % 10, 10, tzinfo=UTC)
                                        - timedelta(days=j % 200)))
    record(rt, entries, at=rt.clock.now())
    invoices = [events.Entry(events.SALES_FACTUUR, ids[n], amount=1000.0) for n in numbers(16)]
    record(rt, invoices, at=datetime(2026, 11, 22, 12, tzinfo=UTC))


def test_the_seed_shape_sixteen_relations_one_with_488_two_with_none(rt, tmp_path):
    ids = setup_relations(rt, tmp_path)
    seed_shape(rt, ids)
    result = compute(rt)
    assert list(result)[:7] == ["computed_at", "from", "to", "users", "relations",
                                "distribution", "summary"]
    rels = result["relations"]
    assert len(rels) == 16
    assert [r["total"] for r in rels] == SEED  # sorted by total, most first
    assert list(rels[0]) == ["relation", "name", "total", "days_since", "bucket",
                             "updated_days"]
    first = rels[0]
    assert first["relation"] == "000001" and first["bucket"] == "yellow"
    # the newest contact was 2026-11-20; the invoice of 2026-11-22 neither counts nor moves dgn
    assert first["days_since"] == 3
    assert [r["days_since"] for r in rels[-2:]] == [None, None]
    assert [r["bucket"] for r in rels[-2:]] == ["red", "red"]
    assert [(d["bucket"], d["count"]) for d in result["distribution"]] == [
        ("red", 2), ("darkgrey", 2), ("lightgrey", 2), ("blue", 6), ("green", 2), ("yellow", 2)]
    assert result["summary"] == {"little": 0.375, "average": 0.375, "much": 0.25}
    assert first["updated_days"] == 0  # imported today


def test_a_contact_at_half_past_eleven_local_counts_on_its_local_day(rt, tmp_path):
    ids = setup_relations(rt, tmp_path, 2)
    late = datetime(2026, 6, 30, 21, 30, tzinfo=UTC)  # 23:30 in Amsterdam (CEST)
    record(rt, [events.Entry(events.CONTACT_HISTORIE, ids["000001"], at=late)], at=late)
    june = by_number(compute(rt, start=date(2026, 6, 1), end=date(2026, 6, 30)))
    july = by_number(compute(rt, start=date(2026, 7, 1), end=date(2026, 7, 31)))
    assert june["000001"]["total"] == 1 and july["000001"]["total"] == 0
    # dgn counts local calendar days: 30 June to 23 November
    assert june["000001"]["days_since"] == (date(2026, 11, 23) - date(2026, 6, 30)).days


def test_users_by_initials_and_by_team_and_an_unknown_one_is_named(rt, tmp_path):
    from quickcrm.errors import InvalidInput

    ids = setup_relations(rt, tmp_path, 3)
    jan = user(rt, "jan@kantoor.example", "relationship-manager", initials="J.V.",
               team="Zwolle")
    piet = user(rt, "piet@kantoor.example", "relationship-manager", initials="PK")
    at = datetime(2026, 10, 1, 9, tzinfo=UTC)
    record(rt, [events.Entry(events.CONTACT_HISTORIE, ids["000001"], user_id=jan.id),
                events.Entry(events.CONTACT_HISTORIE, ids["000001"], user_id=jan.id),
                events.Entry(events.CONTACT_HISTORIE, ids["000002"], user_id=piet.id)], at=at)
    mine = compute(rt, users=("jv",))
    assert mine["users"] == ["jan@kantoor.example"]
    assert {r["relation"]: r["total"] for r in mine["relations"]} == {
        "000001": 2, "000002": 0, "000003": 0}
    both = by_number(compute(rt, users=("J.V.", "piet@kantoor.example")))
    assert (both["000001"]["total"], both["000002"]["total"]) == (2, 1)
    team = by_number(compute(rt, user_team="Zwolle"))
    assert team["000002"]["total"] == 0 and team["000001"]["total"] == 2
    with pytest.raises(InvalidInput, match="unknown user 'XY'"):
        compute(rt, users=("XY",))


def test_procedure_steps_person_notes_and_invitations_count_end_to_end(rt, tmp_path):
    ids = setup_relations(rt, tmp_path, 2)
    rm = uid(rt, RM)  # made by the client import
    at = datetime(2026, 9, 1, 9, tzinfo=UTC)
    with rt.session() as s:
        events.record(s, kind=events.PROCEDURE_STEP, at=at, relation_id=ids["000001"],
                      user_id=rm, project_id=1, contact_id=1, step="Bellen",
                      step_kind="plain", channel="telefoon")
        events.record(s, kind=events.PROCEDURE_STEP, at=at, relation_id=ids["000001"],
                      user_id=rm, project_id=1, contact_id=1, step="Offerte mailen",
                      step_kind="email", channel="email")
        events.record(s, kind=events.PROCEDURE_STEP, at=at, relation_id=ids["000001"],
                      user_id=rm, project_id=1, contact_id=1, step="Afspraak",
                      step_kind="appointment", channel="bezoek")
        events.record(s, kind=events.PERSON_NOTE_ADDED, at=at, relation_id=ids["000001"],
                      user_id=rm)
        # the invitation counts for the RM on whose behalf it went, not the admin who sent it
        events.record(s, kind=events.INVITATION_SENT, at=at, relation_id=ids["000001"],
                      user_id=rm, campaign_id=1, invitation_id=1, message_id="<x@y>",
                      actor_id=rt.actor.id)
        events.record(s, kind=events.PERSON_CREATED, at=at, relation_id=ids["000001"],
                      user_id=rm)  # ignored
        events.record(s, kind=events.PERSON_NOTE_ADDED, at=at, user_id=rm)  # a lead: no relation
        s.commit()
    result = compute(rt, users=(RM,), view="types")
    first = by_number(result)["000001"]
    assert first["total"] == 5
    assert {t: v["count"] for t, v in first["types"].items()} == {
        "historie": 2, "notitie": 1, "correspondentie": 2, "sales": 0, "helpdesk": 0}
    assert first["types"]["historie"]["days_since"] == (date(2026, 11, 23) - date(2026, 9, 1)).days
    assert compute(rt, users=("admin@quickcrm.example",))["relations"][0]["total"] == 0


def activities_file(path: Path, rows: list[list[str]], headers: list[str] | None = None) -> Path:
    headers = headers or ["Relatienummer", "Datum", "Medewerker", "Soort", "Kanaal",
                          "Onderwerp", "Bedrag", "Status"]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(headers)
        out.writerows(rows)
    return path


def run_import(rt: Any, path: Path, actor: Any = None, **kw: Any) -> Any:
    from quickcrm.attention.activities import import_activities

    with rt.session() as s:
        return import_activities(session=s, actor=actor or rt.actor, now=rt.clock.now(),
                                 tz="Europe/Amsterdam", path=path, **kw)


def event_count(rt: Any) -> int:
    from sqlalchemy import func, select

    from quickcrm.store.models import Event

    with rt.session(read_only=True) as s:
        return int(s.exec(select(func.count()).select_from(Event)).one()[0])


def summaries(rt: Any) -> list[dict[str, Any]]:
    """The details of the ``activities.imported`` events, oldest first (the importing
    user's, with no relation)."""
    from sqlalchemy import select

    from quickcrm.store.models import Event

    with rt.session(read_only=True) as s:
        rows = s.execute(select(Event).where(Event.kind == events.ACTIVITIES_IMPORTED)
                         .order_by(Event.id)).scalars().all()
    assert all(e.user_id == rt.actor.id and e.relation_id is None for e in rows)
    return [json.loads(e.details) if isinstance(e.details, str) else e.details for e in rows]


def test_import_activities_counts_through_the_monitor_and_types(rt, tmp_path):
    ids = setup_relations(rt, tmp_path, 3)
    del ids
    user(rt, "jan@kantoor.example", "relationship-manager", initials="JV")
    path = activities_file(tmp_path / "act.csv", [
        ["000001", "2026-10-01 10:00", "JV", "historie", "telefoon", "Jaarrekening", "", ""],
        ["000001", "02-10-2026", "jan@kantoor.example", "email-uit", "e-mail", "Offerte", "", ""],
        ["000001", "2026-10-03", "nieuw.collega@kantoor.example", "order", "", "Order",
         "1.234,50", ""],
        ["000001", "2026-11-22", "JV", "factuur", "post", "Factuur", "1234.50", ""],
        ["000002", "2026-10-05", "JV", "helpdesk", "phone", "Storing", "", "opgelost"],
        ["000002", "2026-10-06", "JV", "helpdesk", "chat", "Vraag", "", ""],
    ])
    result = run_import(rt, path)
    assert (result.imported, result.rejected, result.users_created) == (6, 0, 1)
    # one summary event per file, like clients.imported, by the importing user
    assert summaries(rt) == [{"file": str(path), "imported": 6, "rejected": 0,
                              "users_created": 1}]
    assert run_import(rt, path, dry_run=True).imported == 6
    assert len(summaries(rt)) == 1  # a dry run records nothing
    assert any("became users without rights" in w for w in result.warnings)
    types = by_number(compute(rt, view="types"))
    one, two = types["000001"], types["000002"]
    assert one["total"] == 3  # the invoice is not counted
    assert one["days_since"] == (date(2026, 11, 23) - date(2026, 10, 3)).days
    assert two["types"]["helpdesk"]["count"] == 2
    assert (two["helpdesk_open"], two["helpdesk_solved"]) == (1, 1)
    sales = by_number(compute(rt, view="sales"))
    assert sales["000001"]["revenue"] == 2469.0  # the order and the invoice
    assert sales["000001"]["sales_days"] == (date(2026, 11, 23) - date(2026, 10, 3)).days
    orders = by_number(compute(rt, view="sales", revenue="orders"))
    assert orders["000001"]["revenue"] == 1234.5


def test_import_errors_name_file_row_and_column_and_nothing_is_written(rt, tmp_path):
    setup_relations(rt, tmp_path, 2)
    before = event_count(rt)
    path = activities_file(tmp_path / "fout.csv", [
        ["000001", "2026-10-01", "", "historie", "telefoon", "goed", "", ""],
        ["999999", "2026-10-01", "", "historie", "", "", "", ""],
        ["000001", "31-02-2026", "", "brief", "", "", "", ""],
        ["000001", "2026-10-01", "", "order", "fax", "", "twaalf", ""],
        ["000001", "2026-10-01", "", "historie", "", "", "10", "opgelost"],
    ])
    with pytest.raises(FileProblems) as info:
        run_import(rt, path)
    lines = info.value.problems
    name = str(path)
    assert f"{name}:3:Relatienummer: unknown relation number '999999'" in lines
    assert f"{name}:4:Datum: not a date or date-time: '31-02-2026'" in lines
    assert any(line.startswith(f"{name}:4:Soort: unknown Soort 'brief'") for line in lines)
    assert any(line.startswith(f"{name}:5:Kanaal: unknown Kanaal 'fax'") for line in lines)
    assert f"{name}:5:Bedrag: not an amount: 'twaalf'" in lines
    assert f"{name}:6:Bedrag: an amount belongs to sales and invoices only" in lines
    assert f"{name}:6:Status: a Status belongs to helpdesk rows only" in lines
    assert event_count(rt) == before
    skipped = run_import(rt, path, skip_invalid=True)
    assert (skipped.imported, skipped.rejected) == (1, 4)
    assert event_count(rt) == before + 2  # the one good row and the file's summary
    assert summaries(rt) == [{"file": name, "imported": 1, "rejected": 4, "users_created": 0}]


def test_who_may_look_and_revenue_only_with_see_revenue(rt, tmp_path):
    ids = setup_relations(rt, tmp_path, 3)
    rm = user(rt, "jan@kantoor.example", "relationship-manager")
    staff = user(rt, "staf@kantoor.example")
    sales = user(rt, "sales@kantoor.example", "sales-monitor")
    at = datetime(2026, 10, 1, 9, tzinfo=UTC)
    record(rt, [events.Entry(events.SALES_FACTUUR, ids["000001"], amount=500.0),
                events.Entry(events.CONTACT_HISTORIE, ids["000002"])], at=at)
    with pytest.raises(NotPermitted, match="use the attention monitor needs"):
        compute(rt, staff)
    with pytest.raises(NotPermitted) as refused:
        compute(rt, rm, view="sales")
    assert str(refused.value) == "not permitted: see revenue needs admin or sales-monitor"
    with pytest.raises(NotPermitted):
        compute(rt, rm, revenue="orders")
    plain = compute(rt, rm, view="types")
    assert "revenue" not in json.dumps(plain, default=str)
    assert "500" not in json.dumps(plain, default=str)
    view = compute(rt, sales, view="sales")
    assert by_number(view)["000001"]["class"] == "possibly too little"  # revenue, no contacts
    assert by_number(view)["000002"]["class"] == "possibly too much"  # contacts, no revenue
    assert [e["relation"] for e in view["excluded"]] == ["000003"]
    assert list(view)[4:6] == ["relations", "excluded"]


def test_the_stored_result_is_shown_per_user_and_amounts_stay_hidden(rt, tmp_path):
    from quickcrm.attention.monitor import for_reader, stored

    ids = setup_relations(rt, tmp_path, 3)
    rm = user(rt, "jan@kantoor.example", "relationship-manager")
    record(rt, [events.Entry(events.SALES_ORDER, ids["000001"], amount=750.0)],
           at=datetime(2026, 10, 1, tzinfo=UTC))
    computed = compute(rt, revenue="both")  # the admin's
    with rt.session(read_only=True) as s:
        again = for_reader(stored(session=s, actor=rt.actor), rt.actor)
        assert again["relations"] == computed["relations"]
        assert again["computed_at"] == rt.clock.now()
        with pytest.raises(Exception, match="no stored result"):
            stored(session=s, actor=rm)
        red = for_reader(stored(session=s, actor=rt.actor), rt.actor, bucket="rood", naw=True)
    assert {r["relation"] for r in red["relations"]} == {"000002", "000003"}
    assert red["relations"][0]["address"] == "Markt 1" and red["relations"][0]["city"]


def test_timeline_in_time_order_marks_what_is_not_counted(rt, tmp_path):
    from quickcrm.attention.activities import log_contact, solve_call
    from quickcrm.attention.timeline import timeline

    ids = setup_relations(rt, tmp_path, 2)
    rm = user(rt, "jan@kantoor.example", "relationship-manager")
    record(rt, [events.Entry(events.SALES_FACTUUR, ids["000001"], amount=99.0)],
           at=datetime(2026, 11, 2, tzinfo=UTC))
    with rt.session() as s:
        call = log_contact(session=s, actor=rm, now=rt.clock.now(), number="000001",
                           kind="helpdesk", channel="telefoon", subject="Inloggen lukt niet",
                           at=datetime(2026, 11, 1, 9, tzinfo=UTC))
        log_contact(session=s, actor=rm, now=rt.clock.now(), number="000001",
                    kind="email-uit", subject="Uw vraag", at=datetime(2026, 11, 3, tzinfo=UTC))
        solve_call(session=s, actor=rm, now=datetime(2026, 11, 4, tzinfo=UTC),
                   event_id=call["id"])
    with rt.session(read_only=True) as s:
        data = timeline(session=s, actor=rm, tz="Europe/Amsterdam", number="000001",
                        start=date(2026, 11, 1), end=date(2026, 11, 30))
        admin = timeline(session=s, actor=rt.actor, tz="Europe/Amsterdam", number="000001")
    got = [(e["kind"], e["counted"]) for e in data["events"]]
    assert got == [(events.HELPDESK_CALL, True), (events.SALES_FACTUUR, False),
                   (events.CONTACT_EMAIL_UIT, True), (events.HELPDESK_SOLVED, False)]
    assert data["events"][0]["status"] == "opgelost"
    assert data["events"][0]["subject"] == "Inloggen lukt niet"
    assert "amount" not in data["events"][1]  # an RM does not see revenue
    assert [e.get("amount") for e in admin["events"] if e["kind"] == events.SALES_FACTUUR] == [99.0]
    assert data["counted"] == 2


def test_groups_and_the_nightly_job_once_per_day(rt, tmp_path):
    from quickcrm.area import JobContext
    from quickcrm.attention.groups import create_group, list_groups
    from quickcrm.attention.jobs import nightly
    from quickcrm.attention.monitor import for_reader, stored
    from quickcrm.attention.scope import Relations
    from quickcrm.daemon import load_jobs, run_job

    ids = setup_relations(rt, tmp_path, 4)
    rm = user(rt, "jan@kantoor.example", "relationship-manager")
    record(rt, [events.Entry(events.CONTACT_HISTORIE, ids["000001"]),
                events.Entry(events.SALES_ORDER, ids["000002"], amount=10.0)],
           at=datetime(2026, 11, 1, tzinfo=UTC))
    with rt.session() as s:
        create_group(session=s, actor=rm, now=rt.clock.now(), name="Topklanten",
                     relations=Relations(numbers=("000001", "000002")), nightly=True)
        create_group(session=s, actor=rm, now=rt.clock.now(), name="Zwolle",
                     relations=Relations(filters=__import__(
                         "quickcrm.crm.clients", fromlist=["ClientFilters"]).ClientFilters(
                             city=["Zwolle"])))
        assert {g["name"]: g["relations"] for g in list_groups(session=s, actor=rm)} == {
            "Topklanten": 2, "Zwolle": 2}
    import threading

    job = next(j for j in load_jobs() if j.name == "attention")
    assert job.once_per == "day"
    ctx = JobContext(runtime=rt, stop=threading.Event(), worker="test")
    assert run_job(job, ctx) == {"period": "2026-11-23", "groups": 1}
    with rt.session(read_only=True) as s:
        first = stored(session=s, actor=rm, group="Topklanten")
    assert run_job(job, ctx)["skipped"] is True  # the same local day: claimed already
    assert nightly(ctx) == {"groups": 1}  # run again by hand: the same result
    with rt.session(read_only=True) as s:
        second = stored(session=s, actor=rm, group="Topklanten")
        seen = for_reader(second, rm)
    assert first == second
    assert [r["relation"] for r in seen["relations"]] == ["000001", "000002"]
    assert "revenue" not in json.dumps(seen, default=str)  # nightly stores it; the RM never sees it
    assert "revenue" in second["relations"][0]


def test_an_xlsx_with_date_cells_and_a_client_file_with_coordinates(rt, tmp_path):
    from openpyxl import Workbook
    from sqlmodel import select

    from quickcrm.store.models import Relation

    rows = [client("000001", latitude="52,5168", longitude="6.083"),
            client("000002", latitude="", longitude="")]
    import_clients_file(rt, write_csv(tmp_path / "k.csv", rows))
    bad = write_csv(tmp_path / "fout.csv", [client("000003", latitude="95", longitude="x")])
    with pytest.raises(FileProblems) as info:
        import_clients_file(rt, bad)
    assert f"{bad}:2:Breedtegraad: outside -90..90 degrees: '95'" in info.value.problems
    assert f"{bad}:2:Lengtegraad: not a number of degrees: 'x'" in info.value.problems
    # a file without the coordinate columns keeps the stored coordinates
    from _clientfiles import HEADERS as ALL

    without = [h for h in ALL if h not in ("Breedtegraad", "Lengtegraad")]
    import_clients_file(rt, write_csv(tmp_path / "k2.csv", [client("000001", city="Kampen")],
                                      headers=without))
    with rt.session(read_only=True) as s:
        first = s.exec(select(Relation).where(Relation.number == "000001")).one()
    assert (first.latitude, first.longitude, first.city) == (52.5168, 6.083, "Kampen")
    book = Workbook()
    sheet = book.active
    sheet.append(["Relatienummer", "Datum", "Soort", "Kanaal", "Bedrag"])
    sheet.append(["000001", datetime(2026, 11, 2, 14, 30), "historie", "Telefoon", None])
    sheet.append(["000002", datetime(2026, 11, 3), "order", "", 1250.5])
    book.save(tmp_path / "act.xlsx")
    assert run_import(rt, tmp_path / "act.xlsx").imported == 2
    result = by_number(compute(rt, start=date(2026, 11, 2), end=date(2026, 11, 3),
                               revenue="orders"))
    assert (result["000001"]["total"], result["000001"]["days_since"]) == (1, 21)
    assert (result["000002"]["total"], result["000002"]["revenue"]) == (1, 1250.5)


def test_real_procedure_steps_person_notes_and_filed_emails_count(rt, tmp_path):
    """End to end with the procedures and person CRM code: a step taken, a suspect
    added by the import, a note and a received e-mail on the contact's person card."""
    from test_procedures import PIET, M, step, world

    from quickcrm.attention.timeline import timeline
    from quickcrm.crm.notes import add_note
    from quickcrm.mail.person_mail import file_person_email

    world(rt, tmp_path)
    taken = step(rt, M, PIET, "bellen")
    eml = tmp_path / "vraag.eml"
    eml.write_bytes(b"From: Piet <piet@garage.example>\r\nTo: marja@kantoor.example\r\n"
                    b"Subject: Vraag over de APK\r\nMessage-ID: <apk-1@garage.example>\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                    b"Beste Marja,\r\n\r\nKunt u mij terugbellen?\r\nGroet, Piet\r\n")
    with rt.session() as s:
        add_note(session=s, actor=rt.actor, now=rt.clock.now(), person_id=taken["person_id"],
                 title="Wil een offerte")
    with rt.session() as s:
        file_person_email(session=s, actor=rt.actor, now=rt.clock.now(),
                          person_id=taken["person_id"], path=eml)
    today = rt.clock.now().date()
    garage = next(r for r in compute(rt, start=today, end=today, view="types")["relations"]
                  if r["name"] == "Garage Pieters")
    assert garage["total"] == 4
    assert {t: v["count"] for t, v in garage["types"].items()} == {
        "historie": 1, "notitie": 1, "correspondentie": 1, "sales": 1, "helpdesk": 0}
    marja = next(r for r in compute(rt, start=today, end=today, users=(M,))["relations"]
                 if r["name"] == "Garage Pieters")
    assert marja["total"] == 1  # her step; the note, mail and import were the admin's
    with rt.session(read_only=True) as s:
        line = timeline(session=s, actor=rt.actor, tz="Europe/Amsterdam",
                        number=garage["relation"], detail=True)
    mail = next(e for e in line["events"] if e["type"] == "correspondentie")
    assert mail["subject"] == "Vraag over de APK"
    assert mail["first_lines"].splitlines()[:2] == ["Beste Marja,", "Kunt u mij terugbellen?"]
    assert next(e for e in line["events"] if e["kind"] == events.PROCEDURE_STEP)["channel"] \
        == "telefoon"


def test_control_characters_never_reach_the_database(rt, tmp_path):
    from quickcrm.attention.timeline import timeline

    setup_relations(rt, tmp_path, 1)
    path = activities_file(tmp_path / "nul.csv", [
        ["000001\x1b", "2026-11-02", "", "historie", "", "Bel\x1b terug\x07", "", ""]])
    assert run_import(rt, path).imported == 1  # (a file with NUL is refused when read)
    with rt.session(read_only=True) as s:
        line = timeline(session=s, actor=rt.actor, tz="Europe/Amsterdam", number="000001")
    assert [e["subject"] for e in line["events"] if e["counted"]] == ["Bel terug"]
