"""`clients list|show|count`: segmentation filters in SQL (OR within a filter, AND across)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from _clientfiles import client, write_csv

from quickcrm.errors import InvalidInput, NotFound

ROWS = [
    client("000001", industry="7", size="1", team="Zwolle", city="Zwolle"),
    client("000002", industry="Zorg", size="Groot", team="Zwolle", city="Kampen",
           stage="prospect"),
    client("000003", industry="1. Bouw", size="2", team="Deventer", city="Deventer",
           rm_first_name="Piet", rm_last_name="Bos", rm_email="p.bos@kantoor.example",
           ownership="F", client_group="D", life_cycle="E", entrepreneur_type="A"),
    client("000004", industry="Handel", size="Groot", team="Deventer", city="deventer",
           rm_first_name="Piet", rm_last_name="Bos", rm_email="p.bos@kantoor.example"),
]


@pytest.fixture
def loaded(rt, tmp_path):  # type: ignore[no-untyped-def]
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                       path=write_csv(tmp_path / "k.csv", ROWS))
    return rt


def numbers(rt, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    from quickcrm.crm.clients import ClientFilters, count_clients, list_clients

    f = ClientFilters(**filters)
    with rt.session(read_only=True) as s:
        found = [c["relation_number"] for c in list_clients(conn=s.connection(), filters=f)]
        assert count_clients(conn=s.connection(), filters=f) == len(found)
    return found


def test_filters_or_within_and_across(loaded):
    assert numbers(loaded) == ["000001", "000002", "000003", "000004"]
    assert numbers(loaded, industry=["handel"]) == ["000001", "000004"]
    assert numbers(loaded, industry=["7", "Zorg"]) == ["000001", "000002", "000004"]
    assert numbers(loaded, industry=["7", "Zorg"], size=["4. Groot"]) == ["000002", "000004"]
    assert numbers(loaded, team=["DEVENTER"], size=["groot"]) == ["000004"]
    assert numbers(loaded, rm=["P.Bos@kantoor.example"]) == ["000003", "000004"]
    assert numbers(loaded, city=["Deventer"]) == ["000003", "000004"]
    assert numbers(loaded, stage=["prospect"]) == ["000002"]
    assert numbers(loaded, ownership=["maatschap"], client_group=["D"], life_cycle=["Exit"],
                   entrepreneur_type=["IB-ondernemer"]) == ["000003"]


def test_unknown_filter_value_is_an_error_not_an_empty_list(loaded):
    with pytest.raises(InvalidInput, match="unknown omvang 'reus'"):
        numbers(loaded, size=["reus"])


def test_show_one_client(loaded):
    from quickcrm.crm.clients import get_client

    with loaded.session(read_only=True) as s:
        c = get_client(conn=s.connection(), number=" 000003 ")
        assert (c["company"], c["industry"], c["team"], c["rm_email"]) == (
            "Bedrijf 000003 B.V.", "1", "Deventer", "p.bos@kantoor.example")
        with pytest.raises(NotFound, match="unknown client '999'"):
            get_client(conn=s.connection(), number="999")


def test_streaming_the_clients_leaves_the_session_free_for_inserts(loaded):
    """``iter_clients`` streams (a server-side cursor on PostgreSQL) for that one query:
    an export that then adds a relation in the same session works on both databases."""
    from quickcrm.crm.clients import iter_clients
    from quickcrm.crm.persons import add_relation

    with loaded.session() as s:
        streamed = [c["relation_number"] for c in iter_clients(conn=s.connection())]
        add_relation(session=s, actor=loaded.actor, now=loaded.clock.now(), number="000005",
                     company="Nieuw B.V.")
        again = [c["relation_number"] for c in iter_clients(conn=s.connection())]
    assert streamed == ["000001", "000002", "000003", "000004"]
    assert again == [*streamed, "000005"]
    assert numbers(loaded) == again  # committed


def test_cli_list_show_count(cli, tmp_path):
    assert cli("import", "clients", write_csv(tmp_path / "k.csv", ROWS)).exit_code == 0
    listed = json.loads(cli("clients", "list", "--team", "Zwolle", "--json").stdout)
    assert [c["relation_number"] for c in listed] == ["000001", "000002"]
    human = cli("clients", "list", "--industry", "Bouw")
    assert human.exit_code == 0 and "000003" in human.stdout and "000001" not in human.stdout
    counted = cli("clients", "count", "--industry", "7", "--industry", "8", "--json")
    assert json.loads(counted.stdout) == {"count": 3}
    assert cli("clients", "count", "--size", "Groot").stdout.strip() == "2"
    shown = cli("clients", "show", "000002")
    assert shown.exit_code == 0 and "8. Zorg" in shown.stdout
    missing = cli("clients", "show", "999")
    assert missing.exit_code == 1 and missing.stderr.strip() == "unknown client '999'"
    bad = cli("clients", "list", "--industry", "Bakkerij")
    assert bad.exit_code == 1 and bad.stderr.startswith("unknown branche 'Bakkerij'")


LONG = "Holding " + "Zeer Lange Bedrijfsnaam " * 6 + "B.V."


def test_lists_print_every_value_in_full_when_stdout_is_not_a_terminal(cli, tmp_path):
    rows = [*ROWS, client("000005", company=LONG, city="'s-Hertogenbosch")]
    assert cli("import", "clients", write_csv(tmp_path / "k.csv", rows)).exit_code == 0
    narrow = {"COLUMNS": "80"}
    for args in (("clients", "list"), ("clients", "list", "--stage", "klant")):
        out = cli(*args, env=narrow).stdout
        assert any(LONG in line for line in out.splitlines()), out
        assert "…" not in out and "'s-Hertogenbosch" in out
    users = cli("user", "list", env=narrow).stdout
    assert "r.meer@kantoor.example" in users and "…" not in users


def test_clients_list_mirrors_the_client_file_in_dutch_and_csv_is_for_spreadsheets(cli, tmp_path):
    rows = [*ROWS, client("000005", company='=HYPERLINK("http://x.example","klik")')]
    assert cli("import", "clients", write_csv(tmp_path / "k.csv", rows)).exit_code == 0
    human = cli("clients", "list", "--team", "Zwolle").stdout
    assert "Fase relatie" in human and "Branche klant" in human
    assert "klant" in human and "customer" not in human and "7. Handel" in human
    out = cli("clients", "list", "--csv")
    assert out.exit_code == 0 and out.stdout.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(out.stdout.removeprefix("\ufeff")), delimiter=";"))
    assert table[0] == ["Relatienummer klant", "Bedrijf klant", "Plaats klant", "Naam team",
                        "E-mail relatiemanager", "Branche klant", "Omvang klant",
                        "Eigendom klant", "Profiel klant", "Fase relatie"]
    assert table[2][:2] == ["000002", "Bedrijf 000002 B.V."] and table[2][-1] == "prospect"
    assert table[5][1] == "'" + '=HYPERLINK("http://x.example","klik")'  # not run as a formula
    both = cli("clients", "list", "--csv", "--json")
    assert both.exit_code == 1 and both.stderr.strip() == "give --json or --csv, not both"


def test_an_unknown_filter_value_is_an_error_listing_the_known_ones_everywhere(cli, tmp_path):
    assert cli("import", "clients", write_csv(tmp_path / "k.csv", ROWS)).exit_code == 0
    for command in (("clients", "list"), ("clients", "count"), ("export", "clients", "x.csv")):
        for option, value, message in (
            ("--team", "Utrech", "unknown team 'Utrech' (known teams: Deventer, Zwolle)"),
            ("--rm", "x@kantoor.example", "unknown relationship manager 'x@kantoor.example' "
             "(known relationship managers: p.bos@kantoor.example, r.meer@kantoor.example)"),
            ("--city", "Zwole", "unknown city 'Zwole' (known cities: Deventer, Kampen, Zwolle, "
             "deventer)"),
        ):
            result = cli(*command, option, value)
            assert (result.exit_code, result.stderr.strip()) == (1, message), command
    assert not (tmp_path / "x.csv").exists()
    assert cli("clients", "count", "--team", " zwolle ", "--city", "KAMPEN").stdout.strip() == "1"
    cli("campaign", "create", "Voorjaar", "--quickscan", "bedrijfsopvolging",
        "--coordinator", "admin@quickcrm.example")
    selected = cli("select", "Voorjaar", "--rm", "x@kantoor.example")
    assert selected.stderr.strip().startswith("unknown relationship manager 'x@kantoor.example' "
                                              "(known relationship managers: p.bos@")


def test_a_long_list_of_known_values_is_cut_to_the_closest():
    from quickcrm.errors import unknown_value

    known = [f"Plaats {i}" for i in range(100)] + ["Zwolle"]
    assert str(unknown_value("city", "Zwole", known, plural="cities")) == (
        "unknown city 'Zwole' (known cities: did you mean Zwolle? 101 in all)")
