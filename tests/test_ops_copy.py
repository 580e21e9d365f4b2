"""`quickcrm db copy` and `quickcrm demo --db` (issue 30 items 1 and 4): a database holding
a sent campaign with answers, a landing visitor and a person card (issue 26), copied
SQLite -> PostgreSQL -> SQLite
on the real server; row counts and the reports equal; the copies take new rows
(sequences reset); bad targets refused with one line and nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

CAMPAIGN = "Demo Bedrijfsopvolging"


def run(*args: Any, env: dict[str, str] | None = None) -> Any:
    from quickcrm.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], env=env or {})


def add_landing_visitor(url: str, clock: Any) -> None:
    """A landing page with a visitor who answered, completed and confirmed (a prospect)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.landing import visitors as lv
    from quickcrm.quickscans.steps import check_answers

    r = run("landing", "create", "bedrijfsopvolging", "--slug", "opvolging", "--db", url)
    assert r.exit_code == 0, r.output
    rt = bootstrap(database_url=url, env={}, clock=clock)
    try:
        with rt.session() as s:
            page = lv.find_page(s, "opvolging")
            lv.count_visit(s, page.page.id)
            v = lv.register(s, page, {"voornaam": "Piet", "achternaam": "Prospect",
                                      "bedrijf": "Prospect B.V.", "email": "piet@p.example"},
                            consent_text="ok", address="1.2.3.4", now=clock.now())
            visit = lv.find_visit(s, "opvolging", v.token)
            changes, errors = check_answers(visit, {"leeftijd": "ke2", "zorgen": "4"})
            assert not errors
            lv.store_answers(s, visit, changes, now=clock.now())
        with rt.session() as s:
            assert lv.complete(s, lv.find_visit(s, "opvolging", v.token, lock=True), runtime=rt)
        with rt.session() as s:
            assert lv.confirm(s, lv.find_by_confirm(s, "opvolging", v.confirm_token, lock=True),
                              runtime=rt)
    finally:
        rt.close()


def add_person_card(url: str) -> int:
    r = run("person", "add", "--first-name", "Zoë", "--last-name", "van den Berg",
            "--email", "zoe@voorbeeld.nl", "--city", "Utrecht", "--postcode", "3511 AB",
            "--date-of-birth", "1980-04-12", "--new", "--json", "--db", url)
    assert r.exit_code == 0, r.output
    return int(json.loads(r.stdout)["id"])


def reports(url: str, person: int) -> tuple[Any, Any, Any]:
    campaign = run("report", CAMPAIGN, "--json", "--now", "2026-12-01T12:00", "--db", url)
    landing = run("landing", "report", "opvolging", "--json", "--db", url)
    card = run("person", "show", person, "--json", "--db", url)
    for r in (campaign, landing, card):
        assert r.exit_code == 0, r.output
    return json.loads(campaign.stdout), json.loads(landing.stdout), json.loads(card.stdout)


def copy(source: str, target: str) -> dict[str, list[int]]:
    r = run("db", "copy", target, "--db", source, "--batch", "100", "--json")
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


def new_work_on(url: str, tmp_path: Path, tag: str) -> None:
    """What a firm does next on the copy: a new user, landing page and a campaign sent."""
    env = {"QUICKCRM_SMTP_URL": f"maildir:{tmp_path / ('outbox-' + tag)}"}
    name = f"Najaar {tag}"
    for args in (("person", "add", "--first-name", "Nieuw", "--last-name", f"Persoon {tag}",
                  "--email", f"nieuw-{tag}@voorbeeld.nl", "--new"),
                 ("user", "add", f"nieuw-{tag}@kantoor.example", "--name", "Nieuw Lid",
                  "-r", "rm", "--team", "Utrecht"),
                 ("landing", "create", "bedrijfsopvolging", "--slug", f"nieuw-{tag}"),
                 ("campaign", "create", name, "--quickscan", "bedrijfsopvolging",
                  "--coordinator", "admin@quickcrm.example"),
                 ("select", name, "--team", "Utrecht"),
                 ("campaign", "finalize", name),
                 ("send", name, "--now", "2026-12-07T09:00")):
        r = run(*args, "--db", url, env=env)
        assert r.exit_code == 0, (args, r.output)
    assert "delivered" in r.stdout and any((tmp_path / f"outbox-{tag}" / "new").iterdir())


def test_copy_sqlite_to_postgresql_and_back_keeps_every_row_and_takes_new_ones(
        pg_url, tmp_path, clock):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    r = run("demo", "--dir", tmp_path / "demo", "--db", source, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["database"] == source
    assert not (tmp_path / "demo" / "quickcrm.db").exists()  # --db, not --dir, holds it
    add_landing_visitor(source, clock)
    person = add_person_card(source)
    before = reports(source, person)
    assert before[0]["sent"] > 0 and before[1]["confirmed"] == 1
    assert "Zoë" in json.dumps(before[2], ensure_ascii=False)

    there = copy(source, pg_url)
    for table in ("campaign", "invitation", "answer", "outbox_message", "event",
                  "landing_visitor", "relation", "person"):
        assert there[table][0] > 0 and there[table][0] == there[table][1], table
    from quickcrm.areas import metadata

    assert set(there) == set(metadata().tables)  # every table of every area
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    back = copy(pg_url, back_url)
    assert back == there
    assert reports(pg_url, person) == before
    assert reports(back_url, person) == before
    status = run("db", "status", "--json", "--db", pg_url)
    assert json.loads(status.stdout)["current"] == json.loads(status.stdout)["head"]

    new_work_on(pg_url, tmp_path, "pg")  # sequences were reset past the copied ids
    new_work_on(back_url, tmp_path, "back")


@pytest.fixture
def small_db(sqlite_url: str) -> str:
    r = run("user", "add", "rm@kantoor.example", "--name", "Rik Manager", "-r", "rm",
            "--db", sqlite_url)
    assert r.exit_code == 0, r.output
    return sqlite_url


def test_a_target_holding_rows_is_refused_and_left_alone(small_db, db_url, tmp_path):
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{tmp_path / 'other.db'}"
    r = run("user", "add", "x@kantoor.example", "--name", "X", "--db", db_url)
    assert r.exit_code == 0, r.output
    r = run("db", "copy", db_url, "--db", small_db)
    assert r.exit_code == 1
    assert "is not empty: app_user (2 rows)" in r.stderr and len(r.stderr.splitlines()) == 1
    users = run("user", "list", "--json", "--db", db_url)
    assert {u["email"] for u in json.loads(users.stdout)} == {"x@kantoor.example",
                                                              "admin@quickcrm.example"}


def test_bad_targets_are_one_line_and_write_nothing(small_db, tmp_path):
    cases = {
        "mysql://crm@localhost/crm": "unknown database URL scheme 'mysql'",
        "postgresql+psycopg://crm@127.0.0.1:1/crm": "is not reachable",
        "no url at all": "not a database URL",
        small_db: "is the database being copied",
    }
    for target, message in cases.items():
        r = run("db", "copy", target, "--db", small_db)
        assert r.exit_code == 1, target
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == ["test.db"]


def test_copy_needs_the_admin_right(small_db, tmp_path):
    target = tmp_path / "copy.db"
    r = run("db", "copy", f"sqlite:///{target}", "--db", small_db, "--as", "rm@kantoor.example")
    assert r.exit_code == 1 and "not permitted: upgrade the database" in r.stderr
    assert not target.exists()


def test_demo_with_db_runs_the_story_on_a_fresh_postgresql_database(pg_url, tmp_path):
    r = run("demo", "--dir", tmp_path / "d", "--db", pg_url, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    steps = {s["name"]: s for s in out["steps"]}
    assert steps["summary"]["clients"] >= 500
    assert any((tmp_path / "d" / "outbox" / "new").iterdir())  # mail still goes to --dir
    assert not (tmp_path / "d" / "quickcrm.db").exists()
    listed = run("campaign", "list", "--json", "--db", pg_url)
    assert [c["name"] for c in json.loads(listed.stdout)] == [CAMPAIGN]
    again = run("demo", "--dir", tmp_path / "d", "--db", pg_url)
    assert again.exit_code == 1
    assert "is not empty" in again.stderr and "the demo runs on an empty database" in again.stderr


def test_demo_with_db_refuses_a_database_holding_rows(small_db, tmp_path):
    r = run("demo", "--dir", tmp_path / "d", "--db", small_db)
    assert r.exit_code == 1 and "is not empty (" in r.stderr
    assert not (tmp_path / "d").exists()
    with sqlite3.connect(Path(small_db.removeprefix("sqlite:///"))) as conn:
        assert conn.execute("SELECT count(*) FROM relation").fetchone()[0] == 0
