"""One table of column headers for every importer (issue 26: quickcrm/crm/headers.py).

Each importer reads a file whose columns carry other names of the table than the ones
its exports write ("Relatie nr", "Voornaam", "Date", "Klantnummer"), on SQLite and
PostgreSQL, and names an unknown column in one line with the file, as before.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from _clientfiles import client, write_csv
from sqlalchemy import select

from quickcrm.crm import headers
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.documents.tabular import normalize_header

ROOT = Path(__file__).resolve().parent.parent


def _csv(path: Path, header: list[str], *rows: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(header)
        out.writerows(rows)
    return path


def _relations(rt: Any, tmp_path: Path, *numbers: str) -> None:
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                       path=write_csv(tmp_path / "base.csv", [client(n) for n in numbers]))


def test_one_header_names_one_field_and_the_exported_headers_come_first():
    by_name = headers.unambiguous()  # raises for a header two fields claim
    assert by_name["relatie nr"] == by_name["klant"] == by_name["relatienummer"] == (
        "relation_number")
    for column in CLIENT_COLUMNS:  # what exports write is what the table starts with
        assert headers.header_of(column.field) == column.header
    from quickcrm.crm.person_import import PERSON_COLUMNS

    for header, name in PERSON_COLUMNS:
        field = "relation_number" if name == "relation" else name
        assert normalize_header(header) in headers.names_of(field)


def test_the_header_reference_is_current():
    assert (ROOT / "docs" / "import-headers.md").read_text(encoding="utf-8") == (
        headers.markdown()), "docs/import-headers.md is out of date: run " \
                             "python scripts/gen_header_docs.py"


def test_import_clients_reads_the_shared_names(rt, tmp_path):
    from quickcrm.crm.clients import get_client
    from quickcrm.crm.importer import import_clients

    path = _csv(tmp_path / "klanten.csv",
                ["Relatie nr", "Bedrijf", "Voornaam", "Achternaam", "E-mail", "Plaats",
                 "Opmerking"],
                ["000001", "Bakker B.V.", "Zoë", "Çelik", "Zoe@Bakker.example", "Kampen", "x"])
    with rt.session() as s:
        result = import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)
    assert result.created == 1
    assert result.warnings == [f"{path}:1: unknown column 'Opmerking' ignored"]
    with rt.session(read_only=True) as s:
        c = get_client(conn=s.connection(), number="000001")
    assert (c["company"], c["first_name"], c["last_name"], c["email"], c["city"]) == (
        "Bakker B.V.", "Zoë", "Çelik", "zoe@bakker.example", "Kampen")


def test_import_persons_and_dossiers_read_the_shared_names(rt, tmp_path):
    from quickcrm.crm.dossiers import import_dossiers
    from quickcrm.crm.person_import import import_persons
    from quickcrm.store.models import Person, Relation

    _relations(rt, tmp_path, "000001")
    persons = _csv(tmp_path / "personen.csv",
                   ["Klantnummer", "Voornaam klant", "Achternaam klant", "E-mailadres",
                    "Woonplaats", "Hobby"],
                   ["000001", "Sabina", "Lachtmans", "sabina@voorbeeld.nl", "Deventer", "x"])
    with rt.session() as s:
        result = import_persons(session=s, actor=rt.actor, now=rt.clock.now(), path=persons)
    assert result.created == 1
    assert result.warnings == [f"{persons}:1: unknown column 'Hobby' ignored"]
    dossiers = _csv(tmp_path / "dossiers.csv",
                    ["Dossier nr", "First name", "Last name", "Producten", "Hobby"],
                    ["D-1", "Piet", "Bos", "hypotheek", "x"])
    with rt.session() as s:
        found = import_dossiers(session=s, actor=rt.actor, now=rt.clock.now(), path=dossiers)
    assert (found.dossiers, found.persons_created) == (1, 1)
    assert found.warnings == [f"{dossiers}: column 'Hobby' is not imported"]
    with rt.session(read_only=True) as s:
        sabina = s.execute(select(Person).where(Person.email == "sabina@voorbeeld.nl")).scalar_one()
        number = s.execute(select(Relation.number).where(Relation.id == sabina.relation_id)).scalar()
    assert (sabina.first_name, sabina.city, number) == ("Sabina", "Deventer", "000001")


def test_import_activities_reads_the_shared_names(rt, tmp_path):
    from quickcrm.attention.activities import import_activities

    _relations(rt, tmp_path, "000001")
    path = _csv(tmp_path / "act.csv", ["Relatie nr", "Date", "Type", "Subject", "Hobby"],
                ["000001", "2026-10-01", "historie", "Jaarrekening", "x"])
    with rt.session() as s:
        result = import_activities(session=s, actor=rt.actor, now=rt.clock.now(),
                                   tz="Europe/Amsterdam", path=path)
    assert result.imported == 1
    assert result.warnings == [f"{path}:1: unknown column 'Hobby' ignored"]


def test_import_faces_reads_the_shared_names(rt, tmp_path):
    from quickcrm.campaigns.faces_import import import_faces
    from quickcrm.campaigns.models import Face

    _relations(rt, tmp_path, "000001")
    path = _csv(tmp_path / "faces.csv", ["Klantnummer", "Profile", "RM", "Hobby"],
                ["000001", "1", "3", "x"])
    with rt.session() as s:
        result = import_faces(session=s, actor=rt.actor, now=rt.clock.now(), path=path,
                              quickscan="bedrijfsopvolging")
        face = s.execute(select(Face)).scalar_one()
    assert (result.rows, face.profile_face, face.rm_face) == (1, "1", "3")
    assert result.warnings == ["faces.csv:1: column 'Hobby' ignored"]


def test_import_suspects_reads_the_shared_names(rt, tmp_path):
    from quickcrm.procedures import projects, setup
    from quickcrm.procedures.suspects import import_suspects

    now = rt.clock.now()
    with rt.session() as s:
        setup.load_matrix(session=s, actor=rt.actor, now=now, procedure="standaard",
                          path="procedure_standaard.toml")
        projects.create_project(session=s, actor=rt.actor, now=now, name="Acquisitie",
                                procedure="standaard")
    path = _csv(tmp_path / "suspects.csv", ["Bedrijf", "Voornaam", "Achternaam", "Email",
                                            "Hobby"],
                ["Nieuw B.V.", "Kees", "Smit", "kees@nieuw.example", "x"])
    with rt.session() as s:
        result = import_suspects(session=s, actor=rt.actor, now=now, project="Acquisitie",
                                 path=path)
    assert result.warnings == [f"{path}:1: unknown column 'Hobby' ignored"]
    assert result.to_json()["created"] == 1
