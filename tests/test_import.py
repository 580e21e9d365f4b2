"""`import clients`: real files (cp1252 `;`, UTF-8 BOM, tab, .xlsx) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os

import pytest
from _clientfiles import HEADERS, client, write_csv, write_xlsx
from sqlalchemy import func, select

from quickcrm.errors import FileProblems, NotPermitted
from quickcrm.store.models import Event, Person, Relation, Team, User, UserRight


def run(rt, path, **kw):  # type: ignore[no-untyped-def]
    """Import ``path`` named relative to the test's cwd, as a user types it."""
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        return import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                              path=os.path.relpath(path), **kw)


def relations(rt) -> dict[str, Relation]:  # type: ignore[no-untyped-def]
    with rt.session(read_only=True) as s:
        return {r.number: r for r in s.exec(select(Relation)).scalars()}


def count(rt, model) -> int:  # type: ignore[no-untyped-def]
    with rt.session(read_only=True) as s:
        return int(s.exec(select(func.count()).select_from(model)).scalar_one())


def test_cp1252_semicolon_file_creates_clients_teams_rms_and_contacts(rt, tmp_path):
    path = write_csv(tmp_path / "klanten.csv", [
        client("000123", company="Café 't Hoekje", industry="7. Handel", size="2"),
        client("000124", industry="handel", size="klein", ownership="DGA geleide onderneming",
               team="  Deventer ", rm_first_name="Piet", rm_last_name="Bos",
               rm_email="P.Bos@Kantoor.example", first_name="Ans", email="ANS@x.example"),
    ])
    result = run(rt, path)
    assert result.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0,
                                "errors": [], "error_count": 0}
    rel = relations(rt)
    assert set(rel) == {"000123", "000124"}
    assert rel["000123"].company == "Café 't Hoekje"
    assert (rel["000124"].industry, rel["000124"].size, rel["000124"].ownership) == ("7", "2", "B")
    with rt.session(read_only=True) as s:
        teams = {t.name for t in s.exec(select(Team)).scalars()}
        assert teams == {"Zwolle", "Deventer"}
        bos = s.exec(select(User).where(User.email == "p.bos@kantoor.example")).scalar_one()
        assert (bos.first_name, bos.last_name) == ("Piet", "Bos")
        assert rel["000124"].rm_id == bos.id
        assert s.get(UserRight, (bos.id, "relationship-manager")) is not None
        ans = s.exec(select(Person).where(Person.relation_id == rel["000124"].id)).scalar_one()
        assert (ans.first_name, ans.email, ans.campaign_contact) == ("Ans", "ans@x.example", True)
        events = s.exec(select(Event).where(Event.kind == "clients.imported")).scalars().all()
    assert len(events) == 1
    assert json.loads(events[0].details)["created"] == 2
    assert json.loads(events[0].details)["file"] == "klanten.csv"


@pytest.mark.parametrize("encoding,delimiter", [("utf-8-sig", ";"), ("utf-8", "\t"),
                                                ("utf-8", ","), ("cp1252", ",")])
def test_encodings_and_delimiters_are_detected(rt, tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "k.csv", [client("000123", company="Brouwerij Één")],
                     encoding=encoding, delimiter=delimiter)
    assert run(rt, path).created == 1
    assert relations(rt)["000123"].company == "Brouwerij Één"


def test_headers_match_case_and_whitespace_insensitively_and_snake_case(rt, tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("  RELATIENUMMER   klant ;company;industry;Omvang Klant\n000007;Smit;8;Groot\n",
                    encoding="utf-8")
    assert run(rt, path).created == 1
    r = relations(rt)["000007"]
    assert (r.company, r.industry, r.size) == ("Smit", "8", "4")


def test_xlsx_keeps_text_relation_numbers_and_reads_numeric_codes(rt, tmp_path):
    rows = [client("000123", industry=7, size=2.0, postcode="1234 AB")]
    path = write_xlsx(tmp_path / "k.xlsx", rows)
    assert run(rt, path).created == 1
    r = relations(rt)["000123"]
    assert (r.industry, r.size, r.postcode) == ("7", "2", "1234 AB")


def test_importing_the_same_file_twice_changes_nothing(rt, tmp_path):
    rows = [client(f"{i:06d}") for i in range(1, 6)]
    path = write_csv(tmp_path / "k.csv", rows)
    assert run(rt, path).created == 5
    assert run(rt, path).to_json() == {"created": 0, "updated": 0, "unchanged": 5,
                                       "rejected": 0, "errors": [], "error_count": 0}
    rows[2] = client("000003", city="Kampen")
    rows[3] = client("000004", email="nieuw@bedrijf.example")
    result = run(rt, write_csv(tmp_path / "k2.csv", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 3)
    assert relations(rt)["000003"].city == "Kampen"
    assert count(rt, Person) == 5


def test_every_problem_is_reported_with_file_row_column_and_nothing_is_written(rt, tmp_path):
    path = write_csv(tmp_path / "fout.csv", [
        client("000001"),
        client("000002", email="geen-adres", industry="Bakkerij"),
        client(""),
        client("000001"),
        client("000005", rm_email="", rm_first_name="Onbekend", rm_last_name="Mens"),
    ])
    with pytest.raises(FileProblems) as err:
        run(rt, path)
    assert err.value.problems == [
        "fout.csv:3:Branche klant: unknown branche 'Bakkerij' (expected one of: 1 Bouw, "
        "2 Zakelijke dienstverlening, 3 Persoonlijke dienstverlening, 4 Family Office, "
        "5 Transport en logistiek, 6 Horeca en recreatie, 7 Handel, 8 Zorg, "
        "9 Medisch specialisten, 10 Industrie, 11 Automotive, 12 Publieke sector, 13 Overig)",
        "fout.csv:3:E-mail klant: not a valid e-mail address: 'geen-adres'",
        "fout.csv:4:Relatienummer klant: relation number is empty",
        "fout.csv:5:Relatienummer klant: relation number '000001' appears on an earlier row too",
        "fout.csv:6:Voornaam relatiemanager: unknown relationship manager 'Onbekend Mens' in "
        "team 'Zwolle'; give \"E-mail relatiemanager\" to create one",
    ]
    assert count(rt, Relation) == 0 and count(rt, Team) == 0 and count(rt, Person) == 0
    assert count(rt, User) == 1  # only the administrator


def test_problems_beyond_the_limit_are_counted(rt, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client(f"{i:04d}", size="enorm") for i in range(60)])
    with pytest.raises(FileProblems) as err:
        run(rt, path)
    assert len(err.value.problems) == 50 and err.value.total == 60
    assert str(err.value).splitlines()[-1] == "... and 10 more problems"


def test_missing_relation_number_column_is_one_clear_error(rt, tmp_path):
    headers = [h for h in HEADERS if h != "Relatienummer klant"]
    path = write_csv(tmp_path / "k.csv", [client("1")], headers=headers)
    with pytest.raises(FileProblems) as err:
        run(rt, path)
    assert str(err.value) == 'k.csv:1: missing required column "Relatienummer klant"'


def test_unknown_columns_are_a_warning(rt, tmp_path):
    rows = [{**client("000001"), "Opmerking": "vip"}]
    path = write_csv(tmp_path / "k.csv", rows, headers=[*HEADERS, "Opmerking"])
    result = run(rt, path)
    assert result.created == 1
    assert result.warnings == ["k.csv:1: unknown column 'Opmerking' ignored"]


def test_skip_invalid_writes_valid_rows_and_a_rejects_file(rt, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client("000001"), client("000002", size="XXL"),
                                          client("000003")])
    result = run(rt, path, skip_invalid=True)
    assert (result.created, result.rejected) == (2, 1)
    assert result.error_lines() == ["k.csv:3:Omvang klant: unknown omvang 'XXL' (expected one "
                                    "of: 1 Micro, 2 Klein, 3 Middel, 4 Groot)"]
    assert set(relations(rt)) == {"000001", "000003"}
    rejects = tmp_path / "k.rejects.csv"
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == [*HEADERS, "Reden"]
    assert rows[1][2] == "000002" and rows[1][-1].startswith("Omvang klant: unknown omvang 'XXL'")


def test_dry_run_counts_but_writes_nothing(rt, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client("000001"), client("000002")])
    result = run(rt, path, dry_run=True)
    assert (result.created, result.dry_run) == (2, True)
    assert count(rt, Relation) == 0 and count(rt, Team) == 0 and count(rt, Event) == 1


def test_rm_is_matched_by_email_then_by_name_within_the_team(rt, tmp_path):
    from quickcrm.crm.users import add_user

    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email="k.berg@kantoor.example",
                 first_name="Kees", last_name="Berg", team="Zwolle", rights=["rm"])
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email="k.berg2@kantoor.example",
                 first_name="Kees", last_name="Berg", team="Deventer", rights=["rm"])
    path = write_csv(tmp_path / "k.csv", [
        client("000001", rm_email="K.Berg2@kantoor.example", rm_first_name="", rm_last_name=""),
        client("000002", rm_email="", rm_first_name="kees", rm_last_name="BERG", team="Zwolle"),
        client("000003", rm_email="", rm_first_name="Kees", rm_last_name="Berg", team="Deventer"),
    ])
    assert run(rt, path).created == 3
    with rt.session(read_only=True) as s:
        ids = {u.email: u.id for u in s.exec(select(User)).scalars()}
    rel = relations(rt)
    assert rel["000001"].rm_id == ids["k.berg2@kantoor.example"]
    assert rel["000002"].rm_id == ids["k.berg@kantoor.example"]
    assert rel["000003"].rm_id == ids["k.berg2@kantoor.example"]
    assert len(ids) == 3  # no relationship manager was created


def test_an_exported_formula_apostrophe_is_stripped(rt, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client("000001", company="'=HYPERLINK(1)",
                                                 phone="'+31 6 1234 5678")])
    run(rt, path)
    assert relations(rt)["000001"].company == "=HYPERLINK(1)"
    with rt.session(read_only=True) as s:
        assert s.exec(select(Person.phone)).scalar_one() == "+31 6 1234 5678"


def test_importing_is_not_permitted_for_a_relationship_manager(rt, tmp_path):
    from dataclasses import replace

    path = write_csv(tmp_path / "k.csv", [client("000001")])
    actor = replace(rt.actor, rights=frozenset({"relationship-manager"}))
    from quickcrm.crm.importer import import_clients

    with rt.session() as s, pytest.raises(NotPermitted):
        import_clients(session=s, actor=actor, now=rt.clock.now(), path=path)
    assert count(rt, Relation) == 0


# --- the command line -------------------------------------------------------------------

def test_cli_import_prints_json_counts(cli, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client("000123"), client("000124")])
    result = cli("import", "clients", path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"created": 2, "updated": 0, "unchanged": 0,
                                         "rejected": 0, "errors": [], "error_count": 0}
    shown = json.loads(cli("clients", "show", "000123", "--json").stdout)
    assert shown["relation_number"] == "000123"


def test_cli_bad_file_one_line_per_problem_exit_1(cli, tmp_path):
    write_csv(tmp_path / "k.csv", [client("000001", email="x@"), client("000002", size="9")])
    result = cli("import", "clients", "k.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "k.csv:2:E-mail klant: not a valid e-mail address: 'x@'",
        "k.csv:3:Omvang klant: unknown omvang '9' (expected one of: 1 Micro, 2 Klein, "
        "3 Middel, 4 Groot)",
    ]
    assert json.loads(cli("clients", "count", "--json").stdout) == {"count": 0}


def test_cli_skip_invalid_rejects_option_and_dry_run(cli, tmp_path):
    path = write_csv(tmp_path / "k.csv", [client("000001"), client("000002", size="9")])
    dry = cli("import", "clients", path, "--dry-run", "--skip-invalid")
    assert dry.exit_code == 0 and dry.stdout.startswith("dry run, nothing written: 1 created")
    assert json.loads(cli("clients", "count", "--json").stdout) == {"count": 0}
    out = tmp_path / "fout.csv"
    result = cli("import", "clients", path, "--skip-invalid", "--rejects", out)
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert out.read_text(encoding="utf-8-sig").splitlines()[1].startswith("Jan;de Vries;000002")


def test_cli_refuses_a_relationship_manager(cli, tmp_path):
    assert cli("user", "add", "rm@k.example", "--name", "Rita Meer", "-r", "rm").exit_code == 0
    path = write_csv(tmp_path / "k.csv", [client("000001")])
    result = cli("import", "clients", path, "--as", "rm@k.example")
    assert result.exit_code == 1
    assert result.stderr.strip() == "not permitted: import clients needs admin or coordinator"
    assert json.loads(cli("clients", "count", "--json").stdout) == {"count": 0}


def test_cli_missing_file(cli, tmp_path):
    result = cli("import", "clients", tmp_path / "weg.csv")
    assert result.exit_code == 1 and result.stderr.strip().endswith("weg.csv: no such file")


def test_cli_json_failure_prints_the_problems_as_one_document_and_names_the_path_as_given(cli, tmp_path):
    (tmp_path / "data").mkdir()
    write_csv(tmp_path / "data" / "k.csv", [client("000001", email="x@"), client("000002")])
    result = cli("import", "clients", "data/k.csv", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"errors": [
        {"file": "data/k.csv", "row": 2, "column": "E-mail klant",
         "message": "not a valid e-mail address: 'x@'"}], "error_count": 1}
    assert result.stderr.splitlines() == ["data/k.csv:2:E-mail klant: not a valid e-mail address: 'x@'"]
    headers = [h for h in HEADERS if h != "Relatienummer klant"]
    write_csv(tmp_path / "data" / "geen.csv", [client("1")], headers=headers)
    missing = cli("import", "clients", "data/geen.csv", "--json")
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["errors"] == [
        {"file": "data/geen.csv", "row": 1, "column": None,
         "message": 'missing required column "Relatienummer klant"'}]
    skipped = cli("import", "clients", "data/k.csv", "--json", "--skip-invalid")
    assert skipped.exit_code == 0
    assert json.loads(skipped.stdout)["errors"][0]["row"] == 2


@pytest.mark.parametrize("industry,ownership,size", [
    ("7 Handel", "VOF/Eenmanszaak", "2"), ("07", "E. VOF/ Eenmanszaak", "02"),
    ("7.0", "vof /eenmanszaak", "2.0"), ("7 - Handel", "E VOF/Eenmanszaak", "Klein"),
])
def test_codes_in_the_forms_users_type_are_accepted(rt, tmp_path, industry, ownership, size):
    path = write_csv(tmp_path / "k.csv", [client("000001", industry=industry,
                                                 ownership=ownership, size=size)])
    assert run(rt, path).created == 1
    r = relations(rt)["000001"]
    assert (r.industry, r.ownership, r.size) == ("7", "E", "2")


def test_a_utf16_file_is_named_as_such_not_as_missing_a_column(rt, tmp_path):
    for encoding in ("utf-16", "utf-16-le"):  # with and without a byte order mark
        path = write_csv(tmp_path / "k.csv", [client("000001")], encoding=encoding)
        with pytest.raises(FileProblems) as err:
            run(rt, path)
        assert str(err.value) == ("k.csv: not UTF-8 or cp1252 text (UTF-16?); save it as "
                                  "\"CSV UTF-8\" or .xlsx")
