"""The person CRM from the command line (issue 26): the wiring, exit codes and exact
messages; e-mail from the card through a real SMTP server; .eml filing; persons a
landing page creates are found like any other."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def test_add_search_duplicate_prompt_and_json_shapes(cli):
    ok(cli("clients", "add", "000777", "--company", "Bakkerij De Korrel", "--city", "Zwolle"))
    added = json.loads(ok(cli("person", "add", "--first-name", "Zoë", "--last-name",
                              "van den Berg", "--email", "zoe@voorbeeld.nl", "--date-of-birth",
                              "14-03-1980", "--relation", "000777", "--json")).stdout)
    assert added == {"id": 1, "result": "added"}
    dup = cli("person", "add", "--first-name", "Zoe", "--last-name", "Van den Berg",
              "--date-of-birth", "1980-03-14")
    assert dup.exit_code == 1
    assert dup.stderr.strip() == (
        "likely duplicate of 1 Zoë van den Berg (similar name, same date of birth): give --new "
        "to add anyway or --use-existing ID to fill that person's empty fields")
    filled = ok(cli("person", "add", "--first-name", "Zoe", "--last-name", "Berg", "--phone",
                    "06-12345678", "--use-existing", "1"))
    assert filled.stdout.strip() == "person 1 filled"
    found = json.loads(ok(cli("person", "search", "zoe", "--json")).stdout)
    assert found == {"persons": [{"id": 1, "first_name": "Zoë", "last_name": "van den Berg",
                                  "email": "zoe@voorbeeld.nl", "relation_number": "000777",
                                  "company": "Bakkerij De Korrel"}], "total": 1}
    assert "Zoë van den Berg" in ok(cli("person", "search", "BERG")).stdout
    unknown = cli("person", "add", "--first-name", "A", "--relation", "999")
    assert (unknown.exit_code, unknown.stderr.strip()) == (1, "unknown relation '999'")
    overview = json.loads(ok(cli("person", "overview", "--json")).stdout)
    assert overview["counts"] == {"leads": 0, "clients": 1, "other_parties": 0, "relations": 1}
    assert overview["latest"][0]["name"] == "Zoë van den Berg"


def test_delete_as_rm_is_refused_in_one_line(cli):
    ok(cli("user", "add", "rm@kantoor.example", "-r", "rm"))
    ok(cli("person", "add", "--first-name", "Sabina", "--last-name", "Lachtmans"))
    refused = cli("person", "delete", "1", "--as", "rm@kantoor.example")
    assert (refused.exit_code, refused.stdout, refused.stderr.strip()) == (
        1, "", "not permitted: delete persons needs admin")
    assert ok(cli("person", "show", "1", "--json"))
    assert ok(cli("person", "delete", "1")).stdout.strip() == "person 1 (Sabina Lachtmans) deleted"
    gone = cli("person", "show", "1")
    assert (gone.exit_code, gone.stderr.strip()) == (1, "unknown person 1")


def test_card_notes_signals_worklist_and_saved_queries_from_the_cli(cli, tmp_path):
    ok(cli("user", "add", "rm@kantoor.example", "-r", "rm"))
    ok(cli("person", "add", "--first-name", "Sabina", "--last-name", "Lachtmans"))
    ok(cli("person", "indicator", "define", "Lead"))
    ok(cli("person", "indicator", "attach", "1", "lead"))
    ok(cli("person", "property", "define", "Hobby", "--type", "text"))
    ok(cli("person", "note", "add", "1", "--title", "Dringend", "--text", "Bellen!", "--priority"))
    ok(cli("person", "signal", "add", "1", "--title", "Terugbellen", "--date", "2026-12-07",
           "--time", "10:00"))
    card = ok(cli("person", "show", "1")).stdout
    assert card.splitlines()[0].strip() == "Lead"  # indicators above the name
    assert "Sabina Lachtmans" in card.splitlines()[1]
    assert "Signaleringen open: 1" in card and "Dringend: Bellen!" in card
    before = json.loads(ok(cli("worklist", "--now", "2026-12-07T09:59", "--json")).stdout)
    after = json.loads(ok(cli("worklist", "--now", "2026-12-07T10:00", "--json")).stdout)
    by_date = json.loads(ok(cli("worklist", "--date", "2026-12-07", "--json")).stdout)
    assert before == [] and [r["title"] for r in after] == ["Terugbellen"] == [
        r["title"] for r in by_date]
    assert json.loads(ok(cli("worklist", "--date", "2026-12-06", "--json")).stdout) == []
    refused = cli("person", "query", "--where", "Hobby = zeilen")
    assert (refused.exit_code, refused.stderr.strip()) == (
        1, "property 'Hobby' is a free text field: the query manager does not search it")
    ok(cli("person", "query", "--where", "indicator has Lead", "--save", "Leads"))
    mine = json.loads(ok(cli("person", "query", "--saved", "Leads", "--json")).stdout)
    assert mine["total"] == 1 and mine["conditions"] == ["indicator has Lead"]
    other = cli("person", "query", "--saved", "Leads", "--as", "rm@kantoor.example")
    assert (other.exit_code, other.stderr.strip()) == (1, "unknown saved query 'Leads'")
    assert json.loads(ok(cli("person", "query", "--list-saved", "--json", "--as",
                             "rm@kantoor.example")).stdout) == {"saved": []}
    assert ok(cli("person", "export", str(tmp_path / "p.xlsx"))).stdout.strip() == \
        f"1 persons written to {tmp_path / 'p.xlsx'}"


def test_files_named_with_dot_dots_are_stored_and_read_back(cli, tmp_path):
    ok(cli("person", "add", "--first-name", "Zoë", "--last-name", "Berg"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "x").write_bytes(b"kopie id")
    env = {"QUICKCRM_FILES_DIR": str(tmp_path / "store")}
    stored = json.loads(ok(cli("person", "file", "add", "1", "sub/../x", "--json",
                               env=env)).stdout)
    assert stored["name"] == "x"
    ok(cli("person", "file", "get", str(stored["id"]), "--out", "terug", env=env))
    assert (tmp_path / "terug").read_bytes() == b"kopie id"
    again = cli("person", "file", "get", str(stored["id"]), "--out", "terug", env=env)
    assert (again.exit_code, again.stderr.strip()) == (1, "terug exists; give --force to "
                                                          "overwrite it")
    assert list((tmp_path / "store").rglob("*"))  # only inside the store
    ok(cli("dossier", "create", "--person", "1", "--number", "D9"))
    ok(cli("person", "file", "copy", str(stored["id"]), "--dossier", "D9"))
    missing = cli("person", "file", "copy", str(stored["id"]), "--dossier", "D10")
    assert (missing.exit_code, missing.stderr.strip()) == (1, "unknown dossier 'D10'")


def test_card_email_goes_through_smtp_and_incoming_eml_is_filed_once(cli, smtp_server, tmp_path):
    env = {"QUICKCRM_SMTP_URL": smtp_server.url}
    ok(cli("user", "add", "rm@kantoor.example", "-r", "rm", "--name", "Rik Manager"))
    ok(cli("person", "add", "--first-name", "Zoë", "--last-name", "Berg", "--email",
           "zoe@voorbeeld.nl"))
    sent = ok(cli("person", "email", "send", "1", "--subject", "Uw afspraak", "--text",
                  "Tot dinsdag!", "--as", "rm@kantoor.example", env=env))
    assert "queued and delivered" in sent.stdout
    [(_from, to, raw)] = smtp_server.messages
    msg = message_from_bytes(raw, policy=policy.default)
    assert to == ["zoe@voorbeeld.nl"] and msg["Subject"] == "Uw afspraak"
    assert msg["From"].addresses[0].addr_spec == "rm@kantoor.example"
    assert "Tot dinsdag!" in msg.get_body(("plain",)).get_content()
    eml = tmp_path / "vraag.eml"
    eml.write_bytes(b"From: =?utf-8?q?Zo=C3=AB_Berg?= <zoe@voorbeeld.nl>\r\n"
                    b"To: rm@kantoor.example\r\nSubject: =?utf-8?q?Vraag_over_hypotheek?=\r\n"
                    b"Message-ID: <abc123@voorbeeld.nl>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n\r\nKunt u mij bellen?\r\n")
    first = json.loads(ok(cli("person", "email", "add", "1", "--in", str(eml), "--json")).stdout)
    again = json.loads(ok(cli("person", "email", "add", "1", "--in", str(eml), "--json")).stdout)
    assert (first["subject"], first["new"], again["new"]) == ("Vraag over hypotheek", True, False)
    listed = json.loads(ok(cli("person", "email", "list", "1", "--json")).stdout)
    assert [(e["direction"], e["subject"], e["status"]) for e in listed] == [
        ("out", "Uw afspraak", "sent"), ("in", "Vraag over hypotheek", "")]  # newest first
    bad = tmp_path / "leeg.eml"
    bad.write_bytes(b"\r\n\r\n")
    refused = cli("person", "email", "add", "1", "--in", str(bad))
    assert refused.exit_code == 1 and "not an e-mail message" in refused.stderr


def test_import_persons_and_dossiers_from_the_cli(cli, tmp_path):
    path = tmp_path / "personen.csv"
    path.write_text("Voornaam;Achternaam;E-mail;Geboortedatum\n"
                    "Sabina;Lachtmans;sabina@voorbeeld.nl;14-03-1980\n"
                    "Sabina;Lachtman;;1980-03-14\n", encoding="utf-8")
    out = json.loads(ok(cli("import", "persons", str(path), "--json")).stdout)
    assert out["created"] == 2 and out["duplicates"] == 1
    assert Path(out["duplicates_file"]).name == "personen.duplicates.csv"
    fast = tmp_path / "nog.csv"
    fast.write_text(path.read_text(encoding="utf-8").replace("sabina@", "s2@"), encoding="utf-8")
    out = json.loads(ok(cli("import", "persons", str(fast), "--no-duplicate-check",
                            "--json")).stdout)
    assert out["duplicates"] == 0 and out["created"] == 2
    pairs = json.loads(ok(cli("person", "duplicates", "--json")).stdout)
    assert pairs["total"] == 6  # four Sabinas with one birth date: every pair is likely
    ok(cli("user", "add", "rm@kantoor.example", "-r", "rm"))
    refused = cli("import", "persons", str(path), "--as", "rm@kantoor.example")
    assert refused.stderr.strip() == "not permitted: import persons needs admin"
    dossiers = tmp_path / "dossiers.csv"
    dossiers.write_text("Dossiernummer;Voornaam;Achternaam;E-mail;Product\n"
                        "AX-1;Sabina;Lachtmans;sabina@voorbeeld.nl;hypotheek\n", encoding="utf-8")
    out = json.loads(ok(cli("import", "dossiers", str(dossiers), "--json")).stdout)
    assert out == {"dossiers": 1, "persons_created": 0, "persons_filled": 0}
    shown = json.loads(ok(cli("dossier", "show", "AX-1", "--json")).stdout)
    assert [a["name"] for a in shown["applicants"]] == ["Sabina Lachtmans"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_a_landing_page_visitor_is_found_by_search(db_url, clock, smtp_server):
    import httpx
    from test_landing_http import body, complete, csrf_of, make_page, register, wait_mail
    from web_support import running_app

    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.persons import search_persons

    rt = bootstrap(database_url=db_url, env={"QUICKCRM_SMTP_URL": smtp_server.url}, clock=clock)
    make_page(rt)
    try:
        with running_app(rt) as base, httpx.Client(base_url=base, timeout=30) as client:
            r = register(client)
            complete(client, r.headers["location"], details={
                "voornaam": "Zoë", "achternaam": "Çelik", "bedrijf": "Çelik Bouw",
                "email": "zoe@celikbouw.example", "toestemming": "ja"})
            [confirm] = wait_mail(smtp_server, 1)
            link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)",
                             body(confirm)).group(1)
            page = client.get(link)
            client.post(link, data={"csrf": csrf_of(page.text)}, follow_redirects=True)
        with rt.session(read_only=True) as s:
            found = search_persons(session=s, text="celik")
        assert [(p["first_name"], p["relation_number"]) for p in found["persons"]] == [
            ("Zoë", "LP000001")]
    finally:
        rt.close()
