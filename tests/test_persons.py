"""The person CRM (issue 26, seed 001) on SQLite and PostgreSQL: search keys from every
writer, the duplicate prompt, merge, delete, the query manager, the card's parts."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from _clientfiles import client, write_csv
from sqlmodel import select

from quickcrm.errors import FileProblems, InvalidInput, NotFound, NotPermitted


def add(rt: Any, **values: Any) -> int:
    from quickcrm.crm.persons import PersonData, add_person

    new = values.pop("new", False)
    props = values.pop("properties", {})
    with rt.session() as s:
        person = add_person(session=s, actor=rt.actor, now=rt.clock.now(),
                            data=PersonData(properties=props, **values), new=new)
        assert person.id is not None
        return person.id


def search(rt: Any, text: str) -> list[str]:
    from quickcrm.crm.persons import search_persons

    with rt.session(read_only=True) as s:
        found = search_persons(session=s, text=text)
    assert found["total"] == len(found["persons"])
    return sorted(f"{p['first_name']} {p['last_name']}" for p in found["persons"])


def actor_of(rt: Any, email: str, right: str = "rm") -> Any:
    from quickcrm.crm.users import add_user, resolve_actor

    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email=email, rights=[right])
    with rt.session() as s:
        return resolve_actor(session=s, email=email, settings=rt.settings, now=rt.clock.now())


def campaign_with(rt: Any) -> None:
    """A final campaign over the relations there are (its frozen rows name the contacts)."""
    from quickcrm.campaigns.campaign import create_campaign, finalize_campaign
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.faces import write_faces
    from quickcrm.campaigns.selection import select_clients
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.store.models import Relation

    now = rt.clock.now()
    with rt.session() as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=now)
        for rel in s.exec(select(Relation)).all():
            write_faces(s, relation_id=rel.id, quickscan_id=qs.id, now=now,
                        faces={"profile": "1", "update": "1", "rm": "1"})
        s.commit()
        create_campaign(session=s, actor=rt.actor, now=now, name="Voorjaar",
                        quickscan="bedrijfsopvolging", coordinator="admin@quickcrm.example")
        select_clients(session=s, actor=rt.actor, now=now, campaign="Voorjaar",
                       criteria=Refinements())
        finalize_campaign(session=s, actor=rt.actor, now=now, campaign="Voorjaar")


def test_search_is_case_and_accent_insensitive_on_word_prefixes(rt):
    add(rt, first_name="Zoë", last_name="van den Berg", email="zoe@voorbeeld.nl")
    add(rt, first_name="Ahmet", last_name="Çelik")
    add(rt, first_name="Bergur", last_name="Ólafsson")
    add(rt, first_name="Jan", last_name="Jansen-de Vries", email="jan@JANSEN.example")
    assert search(rt, "zoe") == ["Zoë van den Berg"]
    assert search(rt, "ZOË") == ["Zoë van den Berg"]
    assert search(rt, "celik") == ["Ahmet Çelik"]
    assert search(rt, "berg") == ["Bergur Ólafsson", "Zoë van den Berg"]
    assert search(rt, "van den b") == ["Zoë van den Berg"]
    assert search(rt, "zoe berg") == ["Zoë van den Berg"]
    assert search(rt, "olaf") == ["Bergur Ólafsson"]
    assert search(rt, "vries") == ["Jan Jansen-de Vries"]
    assert search(rt, "jan@jansen") == ["Jan Jansen-de Vries"]
    assert search(rt, "bergh") == []
    assert search(rt, "%") == []  # no LIKE: a wildcard is just text
    with pytest.raises(InvalidInput, match="give a text"):
        search(rt, "  ")


def test_persons_from_a_client_import_are_found_and_keys_follow_updates(rt, tmp_path):
    from quickcrm.crm.importer import import_clients

    rows = [client("000001", first_name="Zoë", last_name="Çelik"),
            client("000002", first_name="Sabina", last_name="Lachtmans")]
    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                       path=write_csv(tmp_path / "k.csv", rows, encoding="utf-8"))
    assert search(rt, "celik") == ["Zoë Çelik"]
    assert search(rt, "zoe") == ["Zoë Çelik"]
    rows[0] = client("000001", first_name="Zoë", last_name="Öztürk")
    with rt.session() as s:  # an update rewrites the keys: the old name no longer finds her
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                       path=write_csv(tmp_path / "k2.csv", rows, encoding="utf-8"))
    assert search(rt, "celik") == []
    assert search(rt, "ozturk") == ["Zoë Öztürk"]
    assert search(rt, "lacht") == ["Sabina Lachtmans"]


def test_a_likely_duplicate_stops_the_add_until_new_or_use_existing(rt):
    from quickcrm.crm.persons import LikelyDuplicates, PersonData, add_person
    from quickcrm.store.models import Person

    first = add(rt, first_name="Sabina", last_name="Lachtmans", date_of_birth="14-03-1980")
    for values in ({"first_name": "sabina", "last_name": "Lachtman", "date_of_birth": "1980-03-14"},
                   {"first_name": "Lachtmans", "last_name": "Sabina", "date_of_birth": "1980-03-14"}):
        with pytest.raises(LikelyDuplicates, match=f"likely duplicate of {first} Sabina Lachtmans"):
            add(rt, **values)
    with rt.session(read_only=True) as s:
        assert len(s.exec(select(Person)).all()) == 1  # nothing was added
    # another birth date: not a duplicate
    add(rt, first_name="Sabina", last_name="Lachtmans", date_of_birth="1990-01-01")
    # same postcode + house number, written differently
    add(rt, first_name="Piet", last_name="Jansen", address="Kerkstraat 12", postcode="1234 AB")
    with pytest.raises(LikelyDuplicates, match="same address"):
        add(rt, first_name="Piet", last_name="Janssen", address="Kerkstr. 12", postcode="1234ab")
    dup = add(rt, first_name="Piet", last_name="Janssen", address="Kerkstr. 12",
              postcode="1234ab", new=True)
    assert dup
    with rt.session() as s:  # --use-existing fills only the empty fields
        person = add_person(session=s, actor=rt.actor, now=rt.clock.now(), use_existing=first,
                            data=PersonData(first_name="Sabine", email="sabina@voorbeeld.nl"))
        assert (person.first_name, person.email) == ("Sabina", "sabina@voorbeeld.nl")


def test_merge_moves_notes_files_signals_and_campaign_links(rt, tmp_path):
    from quickcrm.campaigns.models import CampaignClient
    from quickcrm.crm.filestore import add_file, list_files
    from quickcrm.crm.importer import import_clients
    from quickcrm.crm.models import Note
    from quickcrm.crm.notes import add_note
    from quickcrm.crm.persons import merge_persons, search_persons
    from quickcrm.crm.signals import add_signal
    from quickcrm.store.models import Event, Person

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=write_csv(
            tmp_path / "k.csv", [client("000001", first_name="Sabina", last_name="Lachtmans",
                                        email="s.lachtmans@bedrijf.example")], encoding="utf-8"))
        contact = s.exec(select(Person)).one()
    campaign_with(rt)  # a campaign whose frozen client row names the campaign contact
    lead = add(rt, first_name="Sabina", last_name="Lachtmans", email="sabina@prive.example")
    now, root = rt.clock.now(), tmp_path / "files"
    (tmp_path / "id.pdf").write_bytes(b"%PDF-1.4 kopie id")
    with rt.session() as s:
        add_note(session=s, actor=rt.actor, now=now, person_id=contact.id, title="Belafspraak")
        add_file(session=s, actor=rt.actor, now=now, root=root, max_mb=25, person_id=contact.id,
                 path=tmp_path / "id.pdf")
        add_signal(session=s, actor=rt.actor, now=now, tz="Europe/Amsterdam",
                   person_id=contact.id, title="Terugbellen", due=date(2026, 12, 1))
    with rt.session() as s:
        moved = merge_persons(session=s, actor=rt.actor, now=now, keep_id=lead,
                              other_id=contact.id)
    assert moved["note"] == moved["stored_file"] == moved["signal"] == moved["campaign_client"] == 1
    with rt.session(read_only=True) as s:
        kept = s.get(Person, lead)
        assert s.get(Person, contact.id) is None
        assert kept.campaign_contact and kept.relation_id == contact.relation_id
        assert kept.email == "sabina@prive.example"  # its own value stays
        assert [n.person_id for n in s.exec(select(Note))] == [lead]
        assert [f["name"] for f in list_files(session=s, person_id=lead)] == ["id.pdf"]
        assert [c.person_id for c in s.exec(select(CampaignClient))] == [lead]
        merged = s.exec(select(Event).where(Event.kind == "person.merged")).one()
        assert merged.person_id == lead and json.loads(merged.details)["merged_person_id"] == contact.id
        assert search_persons(session=s, text="lachtmans")["total"] == 1


def test_merge_is_refused_for_campaign_contacts_of_two_relations(rt, tmp_path):
    from quickcrm.crm.importer import import_clients
    from quickcrm.crm.persons import merge_persons
    from quickcrm.errors import InvalidState
    from quickcrm.store.models import Person

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=write_csv(
            tmp_path / "k.csv", [client("000001"), client("000002")], encoding="utf-8"))
        a, b = s.exec(select(Person.id).order_by(Person.id)).all()
    with rt.session() as s, pytest.raises(InvalidState, match="two relations"):
        merge_persons(session=s, actor=rt.actor, now=rt.clock.now(), keep_id=a, other_id=b)
    with rt.session(read_only=True) as s:
        assert len(s.exec(select(Person)).all()) == 2


def test_delete_needs_admin_keeps_dossiers_and_events(rt):
    from quickcrm.crm.dossiers import create_dossier, show_dossier
    from quickcrm.crm.persons import delete_person
    from quickcrm.store.models import Event, Person

    pid = add(rt, first_name="Sabina", last_name="Lachtmans")
    other = add(rt, first_name="Karel", last_name="Lachtmans")
    with rt.session() as s:
        create_dossier(session=s, actor=rt.actor, now=rt.clock.now(), person_ids=[pid, other],
                       number="D1", products=["hypotheek"])
    rm = actor_of(rt, "rm@kantoor.example")
    with rt.session() as s, pytest.raises(NotPermitted) as refused:
        delete_person(session=s, actor=rm, now=rt.clock.now(), person_id=pid)
    assert str(refused.value) == "not permitted: delete persons needs admin"
    with rt.session() as s:
        assert delete_person(session=s, actor=rt.actor, now=rt.clock.now(),
                             person_id=pid) == "Sabina Lachtmans"
    with rt.session(read_only=True) as s:
        assert s.get(Person, pid) is None
        dossier = show_dossier(session=s, number="D1")
        assert [a["name"] for a in dossier["applicants"]] == ["Karel Lachtmans"]
        created = s.exec(select(Event.person_id).where(Event.kind == "person.created")).all()
        assert sorted(created, key=str) == sorted([None, other], key=str)  # kept, unlinked
        deleted = s.exec(select(Event).where(Event.kind == "person.deleted")).one()
        assert deleted.person_id is None and json.loads(deleted.details)["name"] == "Sabina Lachtmans"
    with rt.session() as s, pytest.raises(NotFound, match="unknown person"):
        delete_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid)


def test_edits_record_changes_and_nul_bytes_are_dropped(rt):
    from quickcrm.crm.persons import PersonData, define_property, edit_person
    from quickcrm.store.models import Event, Person

    pid = add(rt, first_name="Zoë\x00", last_name="Berg")
    with rt.session() as s:
        define_property(session=s, actor=rt.actor, now=rt.clock.now(), name="Aantal kinderen",
                        type="number")
        changes = edit_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid,
                              data=PersonData(city="Zwolle", properties={"Aantal kinderen": "2"}))
    assert changes == {"city": ["", "Zwolle"], "property:Aantal kinderen": ["", "2"]}
    with rt.session() as s:
        assert s.get(Person, pid).first_name == "Zoë"
        event = s.exec(select(Event).where(Event.kind == "person.updated")).one()
        assert json.loads(event.details)["changes"]["city"] == ["", "Zwolle"]
        with pytest.raises(InvalidInput, match="takes a number"):
            edit_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid,
                        data=PersonData(properties={"Aantal kinderen": "twee"}))
        with pytest.raises(NotFound, match="unknown property 'Schoenmaat'"):
            edit_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid,
                        data=PersonData(properties={"Schoenmaat": "44"}))
        with pytest.raises(InvalidInput, match="not a date"):
            edit_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid,
                        data=PersonData(date_of_birth="31-02-1980"))


def _query(rt: Any, *conditions: str, old: bool = False, actor: Any = None) -> list[tuple[Any, ...]]:
    from quickcrm.crm.queries import run_query

    with rt.session(read_only=True) as s:
        found = run_query(session=s, actor=actor or rt.actor, conditions=list(conditions),
                          include_old=old)
    return [(r["last_name"], r["dossier"]) for r in found["rows"]]


def test_query_manager_products_on_the_latest_dossier_old_dossiers_indicators(rt, clock):
    from quickcrm.crm.dossiers import create_dossier
    from quickcrm.crm.persons import define_indicator, define_property, set_indicator

    sabina = add(rt, first_name="Sabina", last_name="Lachtmans", city="Zwolle")
    piet = add(rt, first_name="Piet", last_name="Jansen", city="Utrecht")
    add(rt, first_name="Geen", last_name="Dossier", city="Zwolle")
    with rt.session() as s:
        create_dossier(session=s, actor=rt.actor, now=clock.now(), person_ids=[sabina],
                       number="D1", products=["hypotheek", "woonlastenverzekering"])
        create_dossier(session=s, actor=rt.actor, now=clock.now(), person_ids=[piet],
                       number="D2", products=["hypotheek"])
    clock.advance(days=30)
    with rt.session() as s:
        create_dossier(session=s, actor=rt.actor, now=clock.now(), person_ids=[sabina],
                       number="D3", products=["hypotheek:offerte"])
        define_indicator(session=s, actor=rt.actor, name="Lead")
        set_indicator(session=s, actor=rt.actor, now=clock.now(), person_id=piet, name="lead",
                      on=True)
        define_property(session=s, actor=rt.actor, now=clock.now(), name="Hobby", type="text")
    # the seed's example: a hypotheek but no woonlastenverzekering (on the latest dossier)
    assert _query(rt, "product has hypotheek", "product hasnot woonlastenverzekering") == [
        ("Jansen", "D2"), ("Lachtmans", "D3")]
    # with old dossiers: one row per matching dossier
    assert _query(rt, "product has hypotheek", old=True) == [
        ("Jansen", "D2"), ("Lachtmans", "D1"), ("Lachtmans", "D3")]
    assert _query(rt, "product has woonlastenverzekering", old=True) == [("Lachtmans", "D1")]
    assert _query(rt, "product has woonlastenverzekering") == []
    assert _query(rt, "indicator has Lead") == [("Jansen", "D2")]
    assert _query(rt, "indicator hasnot lead", "city = Zwolle") == [
        ("Dossier", None), ("Lachtmans", "D3")]
    assert _query(rt, "last_name startswith lACHT") == [("Lachtmans", "D3")]
    assert _query(rt, "last_name startswith %") == []  # a wildcard is just text
    assert _query(rt, "city != Zwolle") == [("Jansen", "D2")]
    with pytest.raises(InvalidInput, match="'Hobby' is a free text field"):
        _query(rt, "Hobby = zeilen")
    with pytest.raises(NotFound, match="unknown field or property 'schoenmaat'"):
        _query(rt, "schoenmaat > 40")
    with pytest.raises(NotFound, match="unknown indicator 'Klant'"):
        _query(rt, "indicator has Klant")
    with pytest.raises(InvalidInput, match="expected FIELD OP VALUE"):
        _query(rt, "city Zwolle")
    # a value is bound, never SQL
    assert _query(rt, "city = x' OR '1'='1") == []


def test_saved_queries_are_the_users_own(rt):
    from quickcrm.crm.queries import list_saved, save_query, saved_query

    add(rt, first_name="Piet", last_name="Jansen", city="Utrecht")
    rm = actor_of(rt, "rm@kantoor.example")
    with rt.session() as s:
        save_query(session=s, actor=rt.actor, now=rt.clock.now(), name="Utrecht",
                   conditions=["city = Utrecht"], include_old=False)
        assert [q["name"] for q in list_saved(session=s, actor=rt.actor)] == ["Utrecht"]
        assert list_saved(session=s, actor=rm) == []
        with pytest.raises(NotFound, match="unknown saved query 'Utrecht'"):
            saved_query(s, rm, "Utrecht")
        assert json.loads(saved_query(s, rt.actor, "Utrecht").conditions) == ["city = Utrecht"]


def test_export_to_excel_read_by_calamine_with_a_formula_like_name(rt, tmp_path):
    from python_calamine import CalamineWorkbook

    from quickcrm.crm.queries import export_persons

    add(rt, first_name='=HYPERLINK("http://x.example","klik")', last_name="Aanval")
    add(rt, first_name="Zoë", last_name="Berg", email="zoe@voorbeeld.nl")
    out = tmp_path / "personen.xlsx"
    with rt.session(read_only=True) as s:
        assert export_persons(session=s, actor=rt.actor, path=out, conditions=[]) == 2
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["Id", "Voornaam", "Achternaam", "E-mail"]
    assert rows[1][1:3] == ['=HYPERLINK("http://x.example","klik")', "Aanval"]
    assert rows[2][1:4] == ["Zoë", "Berg", "zoe@voorbeeld.nl"]
    from openpyxl import load_workbook

    cell = load_workbook(out)["Personen"]["B2"]
    assert cell.data_type == "s"  # a text cell, never a formula
    rm = actor_of(rt, "rm@kantoor.example")
    with rt.session(read_only=True) as s, pytest.raises(NotPermitted,
                                                        match="export persons needs admin"):
        export_persons(session=s, actor=rm, path=tmp_path / "x.xlsx", conditions=[])


def test_files_are_stored_by_content_and_read_back_safely(rt, tmp_path):
    from quickcrm.crm.filestore import add_file, blob_path, get_file, list_files
    from quickcrm.crm.persons import delete_person
    from quickcrm.errors import InvalidState

    pid = add(rt, first_name="Zoë", last_name="Berg")
    root = tmp_path / "files"
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (tmp_path / "x").write_bytes(b"\x00\x01 kopie paspoort")
    with rt.session() as s:
        row = add_file(session=s, actor=rt.actor, now=rt.clock.now(), root=root, max_mb=25,
                       person_id=pid, path=work / ".." / ".." / "x")
        fid = row.id
    assert row.name == "x"
    assert blob_path(root, row.sha256).read_bytes() == b"\x00\x01 kopie paspoort"
    assert oct(blob_path(root, row.sha256).stat().st_mode & 0o777) == "0o600"
    out = tmp_path / "terug.bin"
    with rt.session(read_only=True) as s:
        get_file(session=s, actor=rt.actor, root=root, file_id=fid, out=out)
        assert out.read_bytes() == b"\x00\x01 kopie paspoort"
        with pytest.raises(InvalidState, match="give --force"):
            get_file(session=s, actor=rt.actor, root=root, file_id=fid, out=out)
        get_file(session=s, actor=rt.actor, root=root, file_id=fid, out=out, force=True)
        assert [f["name"] for f in list_files(session=s, person_id=pid)] == ["x"]
    big = tmp_path / "groot.bin"
    big.write_bytes(b"0" * 2_000_001)
    with rt.session() as s, pytest.raises(InvalidInput, match="more than files.max_mb"):
        add_file(session=s, actor=rt.actor, now=rt.clock.now(), root=root, max_mb=2,
                 person_id=pid, path=big)
    with rt.session() as s, pytest.raises(InvalidInput, match="cannot read"):
        add_file(session=s, actor=rt.actor, now=rt.clock.now(), root=root, max_mb=2,
                 person_id=pid, path=tmp_path / "er-niet.pdf")
    with rt.session() as s:  # deleting the person removes the bytes nobody names any more
        delete_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid,
                      files_root=root)
    assert not blob_path(root, row.sha256).exists()


def test_signals_worklist_by_date_and_time_and_automatic_ones(rt, clock):
    from quickcrm.crm.persons import classify_risk, identify, risk_history
    from quickcrm.crm.signals import add_signal, done_signal, worklist

    tz = "Europe/Amsterdam"
    pid = add(rt, first_name="Zoë", last_name="Berg")
    rm = actor_of(rt, "rm@kantoor.example")
    now = clock.now()  # 2026-11-23 09:00 UTC = 10:00 in Amsterdam
    with rt.session() as s:
        a = add_signal(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                       title="Vandaag", due=date(2026, 11, 23)).id
        b = add_signal(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                       title="Vanmiddag", due=date(2026, 11, 23), at="14:30").id
        add_signal(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                   title="Volgende week", due=date(2026, 11, 30))
        add_signal(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                   title="Voor de RM", due=date(2026, 11, 23), for_user_id=rm.id)
        with pytest.raises(InvalidInput, match="not HH:MM"):
            add_signal(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid, title="x",
                       due=date(2026, 11, 23), at="25:00")

    def titles(**kw: Any) -> list[str]:
        with rt.session(read_only=True) as s:
            return [r["title"] for r in worklist(session=s, tz=tz, **kw)]

    assert titles(user_id=rt.actor.id, now=now) == ["Vandaag"]
    assert titles(user_id=rt.actor.id, now=now.replace(hour=13, minute=30)) == [
        "Vandaag", "Vanmiddag"]
    assert titles(user_id=rt.actor.id, now=now, day=date(2026, 11, 30)) == [
        "Vandaag", "Vanmiddag", "Volgende week"]
    assert titles(user_id=rm.id, now=now) == ["Voor de RM"]
    with rt.session() as s:
        done_signal(session=s, actor=rt.actor, now=now, signal_id=a)
    assert titles(user_id=rt.actor.id, now=now.replace(hour=14)) == ["Vanmiddag"]
    _ = b
    with rt.session() as s:  # beyond the seed: a review signal and an expiry signal
        classify_risk(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                      risk_class="hoog", motivation="PEP", review_days={"hoog": 365})
        classify_risk(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                      risk_class="laag", motivation="brondata herzien", source="handmatig",
                      review_days={})
        identify(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid, method="balie",
                 document="paspoort", number="NX1234567", expires="2027-01-31")
        assert [r.risk_class for r in risk_history(s, pid)] == ["laag", "hoog"]
        with pytest.raises(InvalidInput, match="unknown risk class"):
            classify_risk(session=s, actor=rt.actor, now=now, tz=tz, person_id=pid,
                          risk_class="middel", motivation="x")
    later = titles(user_id=rt.actor.id, now=now, day=date(2028, 1, 1))
    assert "risicoclassificatie herzien (hoog)" in later
    assert "identiteitsbewijs verloopt op 31-01-2027" in later
    assert titles(user_id=rt.actor.id, now=now, day=date(2027, 1, 1)) == [
        "Vanmiddag", "Volgende week", "identiteitsbewijs verloopt op 31-01-2027"]


def test_import_persons_fills_known_lists_duplicates_and_refuses_bad_rows(rt, tmp_path):
    import csv

    from quickcrm.crm.person_import import import_persons
    from quickcrm.crm.persons import define_property, person_card
    from quickcrm.store.models import Person

    known = add(rt, first_name="Zoë", last_name="Berg", email="zoe@voorbeeld.nl")
    add(rt, first_name="Sabina", last_name="Lachtmans", date_of_birth="1980-03-14")
    with rt.session() as s:
        define_property(session=s, actor=rt.actor, now=rt.clock.now(), name="Woonsituatie",
                        type="choice", choices=["koop", "huur"])
    path = tmp_path / "personen.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Voornaam", "Achternaam", "E-mail", "Geboortedatum", "Plaats",
                    "Woonsituatie", "Onbekend"])
        w.writerow(["Zoe", "Berg", "ZOE@voorbeeld.nl", "", "Zwolle", "koop", "x"])
        w.writerow(["Sabina", "Lachtman", "", "14-03-1980", "", "", ""])
        w.writerow(["Ahmet", "Çelik", "ahmet@voorbeeld.nl", "", "Deventer", "Huur", ""])
    with rt.session() as s:
        result = import_persons(session=s, actor=rt.actor, now=rt.clock.now(), path=path)
    assert (result.created, result.filled, result.duplicates) == (2, 1, 1)
    assert result.warnings == [f"{path}:1: unknown column 'Onbekend' ignored"]
    lines = (tmp_path / "personen.duplicates.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("3;") and "Sabina Lachtmans" in lines[1]
    with rt.session(read_only=True) as s:
        card = person_card(session=s, person_id=known)
        assert card["city"] == "Zwolle" and card["first_name"] == "Zoë"  # filled, not replaced
        assert card["properties"] == {"Woonsituatie": "koop"}
        assert len(s.exec(select(Person)).all()) == 4
    assert search(rt, "celik") == ["Ahmet Çelik"]
    bad = write_csv(tmp_path / "fout.csv", [{"Voornaam": "A", "Achternaam": "B",
                                             "E-mail": "geen-adres", "Relatienummer": ""},
                                            {"Voornaam": "C", "Achternaam": "D", "E-mail": "",
                                             "Relatienummer": "999"}],
                    encoding="utf-8", headers=["Voornaam", "Achternaam", "E-mail",
                                               "Relatienummer"])
    with rt.session() as s, pytest.raises(FileProblems) as problems:
        import_persons(session=s, actor=rt.actor, now=rt.clock.now(), path=bad)
    assert problems.value.problems == [
        f"{bad}:2:E-mail: not a valid e-mail address: 'geen-adres'",
        f"{bad}:3:Relatienummer: unknown relation '999'"]
    with rt.session(read_only=True) as s:
        assert len(s.exec(select(Person)).all()) == 4
    rm = actor_of(rt, "rm@kantoor.example")
    with rt.session() as s, pytest.raises(NotPermitted, match="import persons needs admin"):
        import_persons(session=s, actor=rm, now=rt.clock.now(), path=path)


def test_dossiers_reference_their_applicants_and_import_fills_known_persons(rt, tmp_path):
    from quickcrm.crm.dossiers import (
        NewApplicant,
        close_dossier,
        create_dossier,
        import_dossiers,
        list_dossiers,
        show_dossier,
    )
    from quickcrm.crm.notes import add_note
    from quickcrm.crm.persons import (
        LikelyDuplicates,
        PersonData,
        define_indicator,
        edit_person,
        set_indicator,
    )

    sabina = add(rt, first_name="Sabina", last_name="Lachtmans", email="sabina@voorbeeld.nl",
                 date_of_birth="1980-03-14")
    now = rt.clock.now()
    with rt.session() as s:
        define_indicator(session=s, actor=rt.actor, name="Oud-medewerker", show_in_dossier=True)
        define_indicator(session=s, actor=rt.actor, name="Lead")
        for name in ("Oud-medewerker", "Lead"):
            set_indicator(session=s, actor=rt.actor, now=now, person_id=sabina, name=name, on=True)
        add_note(session=s, actor=rt.actor, now=now, person_id=sabina, title="Dossiernotitie",
                 show_in_dossier=True)
        add_note(session=s, actor=rt.actor, now=now, person_id=sabina, title="Privé")
        with pytest.raises(LikelyDuplicates):
            create_dossier(session=s, actor=rt.actor, now=now, new_persons=[NewApplicant(
                PersonData(first_name="Sabina", last_name="Lachtmans", date_of_birth="1980-03-14"))])
        create_dossier(session=s, actor=rt.actor, now=now, person_ids=[sabina],
                       new_persons=[NewApplicant(PersonData(first_name="Karel",
                                                            last_name="Lachtmans"))],
                       number="D1", products=["hypotheek:aangevraagd"])
        edit_person(session=s, actor=rt.actor, now=now, person_id=sabina,
                    data=PersonData(last_name="Lachtmans-de Wit"))
    with rt.session(read_only=True) as s:
        shown = show_dossier(session=s, number="D1")
    assert [(a["name"], a["indicators"]) for a in shown["applicants"]] == [
        ("Sabina Lachtmans-de Wit", ["Oud-medewerker"]), ("Karel Lachtmans", [])]
    assert shown["products"] == [{"type": "hypotheek", "status": "aangevraagd"}]
    assert [n["title"] for n in shown["notes"]] == ["Dossiernotitie"]
    path = write_csv(tmp_path / "d.csv", [
        {"Dossiernummer": "AX-7", "Voornaam": "Sabina", "Achternaam": "Lachtmans",
         "E-mail": "sabina@voorbeeld.nl", "Plaats": "Zwolle", "Product": "hypotheek"},
        {"Dossiernummer": "AX-7", "Voornaam": "Nieuw", "Achternaam": "Persoon",
         "E-mail": "nieuw@voorbeeld.nl", "Plaats": "", "Product": "woonlastenverzekering"}],
        encoding="utf-8", headers=["Dossiernummer", "Voornaam", "Achternaam", "E-mail",
                                   "Plaats", "Product"])
    with rt.session() as s:
        result = import_dossiers(session=s, actor=rt.actor, now=now, path=path)
        assert result.to_json() == {"dossiers": 1, "persons_created": 1, "persons_filled": 1}
        close_dossier(session=s, actor=rt.actor, now=now, number="D1")
    with rt.session(read_only=True) as s:
        mine = list_dossiers(session=s, person_id=sabina)
        assert {d["number"]: d["closed"] for d in mine} == {"D1": True, "AX-7": False}
        ax = show_dossier(session=s, number="AX-7")
        assert [a["name"] for a in ax["applicants"]] == ["Sabina Lachtmans-de Wit", "Nieuw Persoon"]
        assert {p["type"] for p in ax["products"]} == {"hypotheek", "woonlastenverzekering"}


def test_the_card_shows_everything_in_one_place(rt):
    from quickcrm.crm.notes import add_note, list_notes
    from quickcrm.crm.persons import link_relation, person_card, relate_persons

    with rt.session() as s:
        from quickcrm.crm.persons import add_relation

        add_relation(session=s, actor=rt.actor, now=rt.clock.now(), number="000900",
                     company="Holding Berg B.V.")
    pid = add(rt, first_name="Zoë", last_name="Berg", address="Markt 1", postcode="8011 AA")
    mother = add(rt, first_name="Anna", last_name="Berg", address="Markt 1a", postcode="8011AA")
    neighbour = add(rt, first_name="Kees", last_name="Buur", address="Markt 1", postcode="8011aa")
    now = rt.clock.now()
    with rt.session() as s:
        relate_persons(session=s, actor=rt.actor, now=now, person_id=mother, other_id=pid,
                       type="ouder")
        link_relation(session=s, actor=rt.actor, now=now, person_id=pid, number="000900",
                      role="dga")
        add_note(session=s, actor=rt.actor, now=now, person_id=pid, title="Oud")
        add_note(session=s, actor=rt.actor, now=now, person_id=pid, title="Vast", pin=True)
        add_note(session=s, actor=rt.actor, now=now, person_id=pid, title="Dringend",
                 priority=True)
    with rt.session(read_only=True) as s:
        card = person_card(session=s, person_id=pid)
        assert [n["title"] for n in list_notes(session=s, person_id=pid, sort="priority")] == [
            "Vast", "Dringend", "Oud"]
    assert card["relations"] == [{"id": mother, "name": "Anna Berg", "type": "kind"}]
    assert card["links"] == [{"number": "000900", "company": "Holding Berg B.V.", "role": "dga"}]
    assert card["notes"][0]["title"] == "Vast"
    assert card["same_address"]["persons"] == [{"id": neighbour, "name": "Kees Buur"}]


def test_deleting_a_campaign_contact_keeps_the_campaigns_snapshot(rt, tmp_path):
    from quickcrm.campaigns.models import CampaignClient
    from quickcrm.crm.importer import import_clients
    from quickcrm.crm.persons import delete_person
    from quickcrm.store.models import Person

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=write_csv(
            tmp_path / "k.csv", [client("000001", first_name="Sabina", last_name="Lachtmans")],
            encoding="utf-8"))
        pid = s.exec(select(Person.id)).one()
    campaign_with(rt)
    with rt.session() as s:
        delete_person(session=s, actor=rt.actor, now=rt.clock.now(), person_id=pid)
    with rt.session(read_only=True) as s:
        row = s.exec(select(CampaignClient)).one()
        assert (row.person_id, row.first_name, row.last_name) == (None, "Sabina", "Lachtmans")
    assert search(rt, "lachtmans") == []
