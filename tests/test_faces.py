"""Happy Faces: the rules as pure functions, the set-based computation against them, the
import (both databases), "whichever was written last counts", who may set faces, and
the colours a person sees."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from quickcrm import codes
from quickcrm.campaigns.faces import (
    compute_profile_faces,
    count_missing,
    effective,
    markup,
    profile_face,
    update_face,
)
from quickcrm.campaigns.faces_import import import_faces, parse_date
from quickcrm.campaigns.models import Face
from quickcrm.errors import FileProblems
from quickcrm.quickscans.definitions import get_quickscan, load_quickscans, read_file, shipped_dir
from quickcrm.quickscans.schema import Profile, ProfileRule, Score, UpdateRule
from quickcrm.store.models import Relation

KEY = "bedrijfsopvolging"
RULES = Profile(default="2", rules=(
    ProfileRule(face="3", ownership=("G", "H")),
    ProfileRule(face="1", ownership=("A", "B"), size=("2", "3", "4")),
    ProfileRule(face="1", client_group=("A",)),
))


def test_profile_face_first_matching_rule_wins():
    assert profile_face(RULES, industry="7", ownership="G", size="4", client_group="A") == "3"
    assert profile_face(RULES, industry="7", ownership="B", size="3", client_group="D") == "1"
    assert profile_face(RULES, industry="7", ownership="B", size="1", client_group="D") == "2"
    assert profile_face(RULES, industry=None, ownership=None, size=None, client_group="A") == "1"
    assert profile_face(RULES, industry=None, ownership=None, size=None, client_group=None) is None


def test_update_face_adds_points_against_thresholds():
    rule = UpdateRule(positive_from=4, negative_below=0, scores=(
        Score(question="plannen", points={"ke1": 2, "ke2": -3}),
        Score(question="cijfer", weight=0.5),
    ))
    assert update_face(rule, {"plannen": "ke1", "cijfer": 4}) == "1"  # 2 + 2
    assert update_face(rule, {"plannen": "ke1", "cijfer": 2}) == "2"  # 2 + 1
    assert update_face(rule, {"plannen": "ke2", "cijfer": 4}) == "3"  # -3 + 2
    assert update_face(rule, {"cijfer": 8}) == "1"
    assert update_face(rule, {"anders": "ke1"}) is None  # nothing scored: nobody set it


def test_a_face_nobody_set_counts_as_neutral_and_colours_follow_the_seed():
    assert effective(None) == "2" and effective("3") == "3"
    assert markup("1") == "[green]● Positief[/green]"
    assert markup("2") == "[blue]● Neutraal[/blue]"
    assert markup("3") == "[red]● Negatief[/red]"
    assert markup(None) == "[blue]- (neutraal)[/blue]"


def _client(s, number: str, at: datetime, **segments: str | None) -> Relation:
    relation = Relation(number=number, created_at=at, updated_at=at, **segments)
    s.add(relation)
    s.flush()
    return relation


def test_a_face_row_without_a_profile_face_gets_one_computed(rt):
    """The pre-check finds a profile face nobody set among faces that are otherwise
    current (its segments never changed, the rules did not either)."""
    now = rt.clock.now()
    with rt.session() as s:
        qs = get_quickscan(session=s, key=KEY, now=now)
        rel = _client(s, "000001", now - timedelta(days=1), ownership="E")
        s.add(Face(relation_id=rel.id, quickscan_id=qs.id, rm_face="1", rm_at=now))
        s.commit()
        assert compute_profile_faces(session=s, quickscan_id=qs.id, now=now) == 1
        s.commit()
        face = s.get(Face, (rel.id, qs.id))
        s.refresh(face)
        assert face.profile_face is not None and face.profile_computed
        assert face.rm_face == "1"
        assert compute_profile_faces(session=s, quickscan_id=qs.id, now=now) == 0


def test_sql_computation_matches_the_pure_rule_for_every_combination(rt):
    now = rt.clock.now()
    definition = read_file(shipped_dir() / f"{KEY}.toml")
    combos = list(itertools.product(["1", "12", None], ["A", "D", "E", "G", None],
                                    ["1", "3", None], ["A", "D", None]))
    with rt.session() as s:
        qs = get_quickscan(session=s, key=KEY, now=now)
        for i, (ind, own, size, group) in enumerate(combos):
            _client(s, f"{i:06d}", now, industry=ind, ownership=own, size=size,
                    client_group=group)
        written = compute_profile_faces(session=s, quickscan_id=qs.id, now=now)
        s.commit()
        assert written == len(combos) - 1  # the client with nothing known gets no face
        got = {r.number: f for r, f in s.exec(
            select(Relation, Face.profile_face).outerjoin(
                Face, (Face.relation_id == Relation.id) & (Face.quickscan_id == qs.id)))}
        assert compute_profile_faces(session=s, quickscan_id=qs.id, now=now) == 0
    for i, (ind, own, size, group) in enumerate(combos):
        assert got[f"{i:06d}"] == profile_face(definition.profile, industry=ind, ownership=own,
                                               size=size, client_group=group)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_faces_on_both_databases(rt, tmp_path):
    now = rt.clock.now()
    with rt.session() as s:
        for n in ("000001", "000002", "000003"):
            _client(s, n, now - timedelta(days=1), ownership="E")
        s.commit()
    path = _write(tmp_path, "faces.csv",
                  "Relatienummer klant;Volgens profiel;Volgens update;Volgens relatiemanager;"
                  "Datum verzonden;Opmerking\n"
                  "000001;1;Neutraal;3. Negatief;14-03-2025;x\n"
                  "000002;;;positief;;\n")
    with rt.session() as s:
        result = import_faces(session=s, actor=rt.actor, now=now, path=path, quickscan=KEY)
        assert (result.rows, result.profile, result.update, result.rm, result.received) == (
            2, 1, 1, 2, 1)
        assert result.warnings == ["faces.csv:1: column 'Opmerking' ignored"]
        qs = get_quickscan(session=s, key=KEY)
        rows = {f.relation_id: f for f in s.exec(select(Face)).all()}
        ids = dict(s.exec(select(Relation.number, Relation.id)).all())
    one, two = rows[ids["000001"]], rows[ids["000002"]]
    assert (one.profile_face, one.update_face, one.rm_face) == ("1", "2", "3")
    assert one.received_at.replace(tzinfo=UTC) == datetime(2025, 3, 13, 23, 0, tzinfo=UTC)
    assert (two.profile_face, two.update_face, two.rm_face) == (None, None, "1")
    assert ids["000003"] not in rows
    with rt.session() as s:
        assert count_missing(session=s, quickscan_id=qs.id) == {
            "clients": 3, "profile": 2, "update": 2, "rm": 1, "any": 2}

    # an empty cell keeps the stored face; a later file overrides what it names
    later = _write(tmp_path, "later.csv",
                   "Relatienummer klant;Volgens relatiemanager\n000001;2\n")
    with rt.session() as s:
        import_faces(session=s, actor=rt.actor, now=now + timedelta(hours=1), path=later,
                     quickscan=KEY)
        f = s.get(Face, (ids["000001"], qs.id))
        assert (f.profile_face, f.update_face, f.rm_face) == ("1", "2", "2")
        assert f.received_at is not None


def test_a_bad_faces_file_names_file_row_and_column_and_writes_nothing(rt, tmp_path):
    now = rt.clock.now()
    with rt.session() as s:
        _client(s, "000001", now)
        s.commit()
    path = _write(tmp_path, "faces.csv",
                  "Relatienummer klant,Volgens profiel,Volgens relatiemanager,Datum verzonden\n"
                  "000001,1,2,\n"
                  "000009,1,2,\n"
                  "000001,1,2,\n"
                  ",1,2,\n"
                  "000001,blij,4,gisteren\n")
    with rt.session() as s, pytest.raises(FileProblems) as err:
        import_faces(session=s, actor=rt.actor, now=now, path=path, quickscan=KEY)
    assert err.value.problems == [
        "faces.csv:3:Relatienummer klant: unknown relation number '000009'",
        "faces.csv:4:Relatienummer klant: relation number '000001' is also on row 2",
        "faces.csv:5:Relatienummer klant: relation number is empty",
        "faces.csv:6:Volgens profiel: unknown happy face 'blij' (expected one of: 1 Positief, "
        "2 Neutraal, 3 Negatief)",
        "faces.csv:6:Volgens relatiemanager: unknown happy face '4' (expected one of: "
        "1 Positief, 2 Neutraal, 3 Negatief)",
        "faces.csv:6:Datum verzonden: not a date: 'gisteren' (use 2025-03-14 or 14-03-2025)",
        "faces.csv:6:Relatienummer klant: relation number '000001' is also on row 2",
    ]
    with rt.session() as s:
        assert s.exec(select(Face)).all() == []


def _import_clients(rt, tmp_path, *rows: dict) -> None:
    from _clientfiles import client, write_csv

    from quickcrm.crm.importer import import_clients

    path = write_csv(tmp_path / "klanten.csv", [client(r.pop("number"), **r) for r in rows])
    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)


def test_the_face_written_last_counts_not_the_client_touched_last(rt, tmp_path):
    """Issue 23 item 3: an imported profile face stands while the client's city, team and
    relationship manager change (each touches the client); a change of the rule's
    inputs after the import lets the computation replace it; a change of the rules
    recomputes the faces QuickCRM computed, not the imported one."""
    from test_campaigns import new_campaign, run_select

    def profile(number: str) -> str | None:
        with rt.session() as s:
            relation = s.exec(select(Relation).where(Relation.number == number)).one()
            return s.get(Face, (relation.id, qs_id)).profile_face

    def compute() -> int:
        rt.clock.advance(hours=1)
        with rt.session() as s:
            written = compute_profile_faces(session=s, quickscan_id=qs_id, now=rt.clock.now())
            s.commit()
            return written

    _import_clients(rt, tmp_path, {"number": "000024", "ownership": "Stichting"},
                    {"number": "000025", "ownership": "Stichting"})
    with rt.session() as s:
        qs_id = get_quickscan(session=s, key=KEY, now=rt.clock.now()).id
        s.commit()
    assert compute() == 2 and profile("000024") == "3"  # the rule: a foundation is red
    rt.clock.advance(hours=1)
    path = tmp_path / "faces.csv"
    path.write_text("Relatienummer klant;Volgens profiel\n000024;Positief\n", encoding="utf-8")
    with rt.session() as s:
        import_faces(session=s, actor=rt.actor, now=rt.clock.now(), path=path, quickscan=KEY)
    for change in ({"city": "Deventer"}, {"team": "Deventer"},
                   {"rm_email": "k.berg@kantoor.example", "rm_first_name": "Kees",
                    "rm_last_name": "Berg"}, {"address": "Markt 2", "company": "Nieuw B.V."}):
        rt.clock.advance(hours=1)
        _import_clients(rt, tmp_path, {"number": "000024", "ownership": "Stichting", **change},
                        {"number": "000025", "ownership": "Stichting"})
        assert compute() == 0 and profile("000024") == "1", change
    new_campaign(rt)
    assert run_select(rt).selected == 1  # select refreshes the faces too: 000024 stays in
    assert profile("000024") == "1"
    rt.clock.advance(hours=1)  # an input of the rule changes after the import
    _import_clients(rt, tmp_path, {"number": "000024", "ownership": "Publiek", "city": "Deventer"},
                    {"number": "000025", "ownership": "Stichting"})
    assert compute() == 1 and profile("000024") == "3"
    rt.clock.advance(hours=1)  # imported again; then the firm changes the rule table
    with rt.session() as s:
        import_faces(session=s, actor=rt.actor, now=rt.clock.now(), path=path, quickscan=KEY)
    text = (shipped_dir() / f"{KEY}.toml").read_text(encoding="utf-8").replace(
        'ownership = ["Publiek", "Stichting", "Private equity"]', 'ownership = ["Publiek"]', 1)
    rules = tmp_path / f"{KEY}.toml"
    rules.write_text(text, encoding="utf-8")
    rt.clock.advance(hours=1)
    with rt.session() as s:
        load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=rules)
    assert compute() == 1
    assert profile("000024") == "1"  # imported after its segments changed: it stands
    assert profile("000025") == "2"  # computed under the old rules: follows the new ones


def test_a_face_set_by_hand_stands_until_the_segments_change(rt, tmp_path):
    from quickcrm.campaigns.face_service import set_faces

    _import_clients(rt, tmp_path, {"number": "000001", "ownership": "Stichting"})
    with rt.session() as s:
        qs_id = get_quickscan(session=s, key=KEY, now=rt.clock.now()).id
        rt.clock.advance(hours=1)
        set_faces(session=s, actor=rt.actor, now=rt.clock.now(), relation_number="000001",
                  quickscan=KEY, faces={"profile": "Neutraal"})
    rt.clock.advance(hours=1)
    _import_clients(rt, tmp_path, {"number": "000001", "ownership": "Stichting",
                                   "city": "Deventer", "opted_out": "ja"})
    with rt.session() as s:
        assert compute_profile_faces(session=s, quickscan_id=qs_id, now=rt.clock.now()) == 0
        relation = s.exec(select(Relation).where(Relation.number == "000001")).one()
        assert s.get(Face, (relation.id, qs_id)).profile_face == "2"
    rt.clock.advance(hours=1)
    _import_clients(rt, tmp_path, {"number": "000001", "ownership": "Stichting",
                                   "size": "Groot"})
    with rt.session() as s:
        assert compute_profile_faces(session=s, quickscan_id=qs_id, now=rt.clock.now()) == 1
        assert s.get(Face, (relation.id, qs_id)).profile_face == "3"


def test_parse_date_reads_dutch_and_iso_dates():
    assert parse_date("2025-03-14") == datetime(2025, 3, 13, 23, 0, tzinfo=UTC)
    assert parse_date("1/7/2025") == datetime(2025, 6, 30, 22, 0, tzinfo=UTC)


CLIENTS = ("Relatienummer klant;Bedrijf klant;Eigendom klant;Omvang klant;"
           "E-mail relatiemanager;Voornaam relatiemanager;Achternaam relatiemanager\n"
           "000001;Jansen Bouw B.V.;B;3;rita@k.example;Rita;Meer\n"
           "000002;De Vries Handel;E;1;piet@k.example;Piet;Smit\n")


def test_a_relationship_manager_sets_faces_of_own_clients_only(cli, tmp_path):
    path = _write(tmp_path, "clients.csv", CLIENTS)
    assert cli("import", "clients", str(path)).exit_code == 0
    own = cli("faces", "set", "000001", "-q", KEY, "--rm", "Negatief", "--as", "rita@k.example",
              "--json")
    assert own.exit_code == 0, own.output
    assert json.loads(own.stdout)["faces"][0]["rm"] == "3"
    other = cli("faces", "set", "000002", "-q", KEY, "--rm", "1", "--as", "rita@k.example")
    assert other.exit_code == 1
    assert other.stderr.strip() == ("not permitted: setting the faces of another relationship "
                                    "manager's client needs admin or coordinator")
    shown = json.loads(cli("faces", "show", "000002", "-q", KEY, "--json").stdout)
    assert shown["faces"][0]["rm"] is None  # unchanged
    assert cli("faces", "set", "000002", "-q", KEY, "--profile", "3").exit_code == 0  # admin
    bad = cli("faces", "set", "000002", "-q", KEY, "--rm", "blauw")
    assert bad.exit_code == 1 and bad.stderr.startswith("--rm: unknown happy face 'blauw'")
    refused = cli("import", "faces", str(path), "-q", KEY, "--as", "piet@k.example")
    assert refused.stderr.strip() == "not permitted: import faces needs admin or coordinator"


def test_faces_show_and_import_on_the_command_line(cli, tmp_path):
    from rich.console import Console

    from quickcrm.cli.faces import faces_table

    assert cli("import", "clients", str(_write(tmp_path, "c.csv", CLIENTS))).exit_code == 0
    faces = _write(tmp_path, "f.csv", "Relatienummer klant;Volgens profiel;Volgens update;"
                   "Volgens relatiemanager\n000001;1;3;\n000002;2;;1\n")
    result = cli("import", "faces", str(faces), "--quickscan", KEY, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"quickscan": KEY, "rows": 2, "profile": 2,
                                         "update": 1, "rm": 1, "received": 0}
    computed = json.loads(cli("faces", "compute", "-q", KEY, "--json").stdout)
    assert computed[0]["written"] == 0  # both imported after the clients were written
    assert computed[0]["missing"]["any"] == 2
    data = json.loads(cli("faces", "show", "000001", "--json").stdout)
    assert [f["quickscan"] for f in data["faces"]] == [KEY, f"{KEY}-update"]
    shown = cli("faces", "show", "000001", "-q", KEY)
    assert "Positief" in shown.stdout and "Negatief" in shown.stdout
    console = Console(record=True, width=160, force_terminal=True, color_system="standard")
    data["faces"][0]["received_on"] = None
    console.print(faces_table(data))
    styled = console.export_text(styles=True)
    assert "\x1b[32m● Positief" in styled  # green
    assert "\x1b[31m● Negatief" in styled  # red
    assert "\x1b[34m- (neutraal)" in styled  # blue: nobody set it
    assert codes.FACE.label("2") == "Neutraal"


def test_a_completed_update_quickscan_writes_the_update_face(rt):
    from quickcrm.campaigns.faces import apply_update_answers

    now = rt.clock.now()
    with rt.session() as s:
        qs = get_quickscan(session=s, key=KEY, now=now)
        client = _client(s, "000001", now)
        # plannen ke2 (+1), urgentie ke1 (+3), voortgang 50 (x0.02 = +1), gesprek ke1 (+2)
        answers = {"plannen": "ke2", "urgentie": "ke1", "voortgang": "50", "gesprek": "ke1",
                   "tevredenheid": "8", "opmerking": "Graag in januari."}
        written = apply_update_answers(session=s, update_key=f"{KEY}-update",
                                       relation_id=client.id, answers=answers, now=now)
        assert written == {KEY: "1"}
        written = apply_update_answers(session=s, update_key=f"{KEY}-update",
                                       relation_id=client.id, now=now + timedelta(days=1),
                                       answers={"urgentie": "ke4", "gesprek": "ke2"})
        assert written == {KEY: "3"}  # the latest completed answers count
        face = s.get(Face, (client.id, qs.id))
        assert face.update_face == "3" and face.profile_face is None


def test_a_rule_without_criteria_matches_every_client_in_sql_too(rt, tmp_path):
    now = rt.clock.now()
    text = (shipped_dir() / f"{KEY}-update.toml").read_text(encoding="utf-8").replace(
        "[[profile.rules]]\nownership = [\"Publiek\", \"Stichting\"]\nface = \"Negatief\"",
        "[[profile.rules]]\nface = \"Negatief\"", 1)
    path = _write(tmp_path, "u.toml", text)
    with rt.session() as s:
        load_quickscans(session=s, actor=rt.actor, now=now, path=path)
        qs = get_quickscan(session=s, key=f"{KEY}-update")
        client = _client(s, "000001", now, ownership="A")
        compute_profile_faces(session=s, quickscan_id=qs.id, now=now)
        assert s.get(Face, (client.id, qs.id)).profile_face == "3"


def test_import_faces_from_xlsx_with_numbers_and_date_cells(cli, tmp_path):
    from openpyxl import Workbook

    assert cli("import", "clients", str(_write(tmp_path, "c.csv", CLIENTS))).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.append(["Relatienummer klant", "Volgens profiel", "Volgens update",
                  "Volgens relatiemanager", "Datum verzonden"])
    sheet.append(["000001", 1, 3, "2. Neutraal", datetime(2025, 5, 6)])
    sheet.append(["000002", None, None, 1, None])
    path = tmp_path / "faces.xlsx"
    book.save(path)
    result = cli("import", "faces", str(path), "-q", KEY, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["received"] == 1
    data = json.loads(cli("faces", "show", "000001", "-q", KEY, "--json").stdout)["faces"][0]
    assert (data["profile"], data["update"], data["rm"]) == ("1", "3", "2")
    assert data["received_on"] == "2025-05-06"  # the day imported, not its start in UTC


def test_a_received_date_shows_as_the_date_imported_not_the_day_before_in_utc(cli, tmp_path):
    assert cli("import", "clients", str(_write(tmp_path, "c.csv", CLIENTS))).exit_code == 0
    faces = _write(tmp_path, "f.csv", "Relatienummer klant;Volgens profiel;Datum verzonden\n"
                   "000001;1;14-03-2025\n000002;2;2025-07-01\n")
    assert cli("import", "faces", str(faces), "-q", KEY).exit_code == 0
    shown = cli("faces", "show", "000001", "-q", KEY)
    assert "2025-03-14" in shown.stdout and "2025-03-13" not in shown.stdout
    data = json.loads(cli("faces", "show", "000002", "-q", KEY, "--json").stdout)
    assert data["faces"][0]["received_on"] == "2025-07-01"
