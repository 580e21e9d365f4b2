"""`quickcrm demo`: a fresh database from the shipped sample data, every run."""

from __future__ import annotations

import json
import sqlite3

from quickcrm.demo import STEPS, run_demo


def _counts(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(db) as conn:
        clients = conn.execute("SELECT count(*) FROM relation").fetchone()[0]
        teams = conn.execute("SELECT count(DISTINCT team_id) FROM relation").fetchone()[0]
        rms = conn.execute("SELECT count(DISTINCT rm_id) FROM relation").fetchone()[0]
    return clients, teams, rms


def test_demo_builds_the_sample_database_and_can_run_again(cli, tmp_path, sqlite_url):
    demo_dir = tmp_path / "demo"
    first = cli("demo", "--dir", demo_dir)
    assert first.exit_code == 0, first.output
    assert "5 teams with 25 relationship managers" in first.stdout
    for team in ("Amsterdam", "Utrecht", "Zwolle", "Eindhoven", "Groningen"):
        assert team in first.stdout
    clients, teams, rms = _counts(demo_dir / "quickcrm.db")
    assert clients >= 500 and teams == 5 and rms == 25

    (demo_dir / "outbox").mkdir(exist_ok=True)  # the campaign steps send mail
    (demo_dir / "outbox" / "old-message").write_text("from an earlier run")
    again = cli("demo", "--dir", demo_dir, "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["import clients"]["created"] == clients  # a fresh database, not an update
    assert steps["summary"]["clients"] == clients
    assert {t["team"]: t["relationship_managers"] for t in steps["summary"]["per_team"]} == {
        "Amsterdam": 5, "Eindhoven": 5, "Groningen": 5, "Utrecht": 5, "Zwolle": 5}
    assert len(steps["summary"]["examples"]) == 5
    assert _counts(demo_dir / "quickcrm.db") == (clients, teams, rms)
    assert not (demo_dir / "outbox" / "old-message").exists()
    # The database named by QUICKCRM_DATABASE_URL is left alone.
    assert not (tmp_path / "quickcrm.db").exists()


def test_demo_with_db_refuses_a_database_that_holds_rows(cli, tmp_path, sqlite_url):
    assert cli("user", "add", "rm@kantoor.example", "--name", "Rik").exit_code == 0
    result = cli("demo", "--dir", tmp_path / "d", "--db", sqlite_url)
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("rows); the demo runs on an empty database only")
    assert "is not empty (" in result.stderr


def test_steps_share_one_context_in_order(tmp_path):
    seen: list[str] = []

    def remember(ctx):  # type: ignore[no-untyped-def]
        seen.append(ctx.state.get("mark", "first"))
        ctx.state["mark"] = "later"
        from quickcrm.demo import StepResult

        return StepResult("remember", {}, [])

    report = run_demo(directory=tmp_path / "d", steps=[*STEPS[:2], remember, remember])
    assert [s.name for s in report.steps] == ["import clients", "summary", "remember", "remember"]
    assert seen == ["first", "later"]
