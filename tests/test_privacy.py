"""Issue 29, items 5, 6 and 9: retention and `privacy purge` (and the daemon's job),
`privacy opt-out` and `privacy show`, files and secrets; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_campaigns import RM1, RM2, add_clients
from test_events import events_of
from test_landing_http import site  # noqa: F401 - the fixture, asked for by name
from test_send import final_campaign, runtime

from quickcrm import events
from quickcrm.clock import FixedClock
from quickcrm.errors import InvalidInput, NotFound, NotPermitted

ADMIN = "admin@quickcrm.example"
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def run_cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    return CliRunner().invoke(app, [*args, "--db", db_url], env=env or {})


def person_of(rt: Any, number: str) -> Any:
    from sqlmodel import select

    from quickcrm.store.models import Person, Relation

    with rt.session(read_only=True) as s:
        return s.exec(select(Person).join(Relation, Relation.id == Person.relation_id)
                      .where(Relation.number == number)).one()


def as_user(rt: Any, email: str, **env: str) -> Any:
    from quickcrm.bootstrap import bootstrap

    return bootstrap(database_url=rt.settings.database_url, env=env, clock=rt.clock,
                     acting_as=email)


# --- opt-out ----------------------------------------------------------------------------

def test_opt_out_finds_the_person_by_id_email_or_relation_number(rt):
    from quickcrm.privacy.person import opt_out

    add_clients(rt, {"number": "000001"}, {"number": "000002", "email": "gedeeld@example.nl"},
                {"number": "000003", "email": "Gedeeld@example.nl"})
    now = rt.clock.now()
    first = person_of(rt, "000001")
    for ref, number in (("000001", "000001"), (f"id:{first.id}", "000001"),
                        ("relation:000002", "000002"), ("KLANT000001@example.nl", "000001")):
        with rt.session() as s:
            done = opt_out(session=s, actor=rt.actor, now=now, person=ref)
        assert done.relation == number and done.opted_out
    assert person_of(rt, "000001").opted_out and person_of(rt, "000002").opted_out
    recorded = events_of(rt, events.PRIVACY_OPTED_OUT)
    assert len(recorded) == 2  # the repeats changed nothing and recorded nothing
    assert recorded[0]["person_id"] == first.id and recorded[0]["relation_id"] == first.relation_id
    with rt.session() as s, pytest.raises(InvalidInput) as several:
        opt_out(session=s, actor=rt.actor, now=now, person="gedeeld@example.nl")
    two, three = person_of(rt, "000002"), person_of(rt, "000003")
    assert str(several.value).startswith("'gedeeld@example.nl' matches 2 persons: ")
    assert f"id:{two.id} " in str(several.value) and f"id:{three.id} " in str(several.value)
    assert str(several.value).endswith("relation 000003; give one as id:N")
    assert not person_of(rt, "000003").opted_out
    for ref in ("999999", "nobody@example.nl", "id:999999"):
        with rt.session() as s, pytest.raises(NotFound, match="no person matches"):
            opt_out(session=s, actor=rt.actor, now=now, person=ref)
    with rt.session() as s:
        undone = opt_out(session=s, actor=rt.actor, now=now, person="000001", undo=True)
    assert undone.changed and not person_of(rt, "000001").opted_out
    [back] = events_of(rt, events.PRIVACY_OPT_OUT_UNDONE)
    assert back["person_id"] == first.id


def test_a_number_that_is_both_an_id_and_a_relation_number_is_listed(rt):
    from quickcrm.privacy.person import opt_out

    add_clients(rt, {"number": "000001"})
    first = person_of(rt, "000001")
    number = str(first.id)
    add_clients(rt, {"number": number})  # a relation numbered like the first contact's id
    other = person_of(rt, number)
    assert other.id != first.id
    with rt.session() as s, pytest.raises(InvalidInput) as several:
        opt_out(session=s, actor=rt.actor, now=rt.clock.now(), person=number)
    assert str(several.value).startswith(f"{number!r} matches 2 persons: id:{first.id} ")
    assert not person_of(rt, "000001").opted_out and not person_of(rt, number).opted_out
    for ref, meant in ((f"id:{number}", first), (f"relation:{number}", other)):
        with rt.session() as s:
            assert opt_out(session=s, actor=rt.actor, now=rt.clock.now(),
                           person=ref).person_id == meant.id


def test_only_coordinators_admins_and_the_own_rm_record_opt_outs(rt):
    from quickcrm.crm.users import add_user
    from quickcrm.privacy.person import opt_out

    add_clients(rt, {"number": "000001", "rm": RM1}, {"number": "000002", "rm": RM2})
    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email="c@k.example",
                 rights=["coordinator"])
    rm2 = as_user(rt, RM2)
    with rm2.session() as s, pytest.raises(NotPermitted, match=(
            "recording the opt-out of another relationship manager's client needs admin or "
            "coordinator")):
        opt_out(session=s, actor=rm2.actor, now=rt.clock.now(), person="000001")
    assert not person_of(rt, "000001").opted_out
    rm1, coord = as_user(rt, RM1), as_user(rt, "c@k.example")
    with rm1.session() as s:
        assert opt_out(session=s, actor=rm1.actor, now=rt.clock.now(), person="000001").changed
    with coord.session() as s:
        assert opt_out(session=s, actor=coord.actor, now=rt.clock.now(), person="000002").changed
    for r in (rm1, rm2, coord):
        r.close()


def test_opted_out_after_finalize_gets_no_invitation_and_no_reminder(db_url, smtp_server):
    from test_remind import MONDAY_9, at, remind_at

    from quickcrm.campaigns.sending import send
    from quickcrm.privacy.person import opt_out

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    with rt.session() as s:
        opt_out(session=s, actor=rt.actor, now=clock.now(), person="000001")
    counts = send(rt=rt, campaign="Voorjaar")
    assert (counts.invitations, counts.opted_out) == (2, 1)
    to = {r for _f, rcpts, _raw in smtp_server.messages for r in rcpts}
    assert "klant000001@example.nl" not in to and "klant000002@example.nl" in to
    with rt.session() as s:
        opt_out(session=s, actor=rt.actor, now=clock.now(), person="klant000002@example.nl")
    smtp_server.messages.clear()
    reminded = remind_at(rt, clock, at(26))
    assert reminded.first_reminders == 1
    to = {r for _f, rcpts, _raw in smtp_server.messages for r in rcpts}
    assert "klant000002@example.nl" not in to and "klant000003@example.nl" in to
    rt.close()


def test_cli_opt_out_and_show(db_url, smtp_server):
    from test_remind import MONDAY_9

    from quickcrm.campaigns.sending import send

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    result = run_cli(db_url, "privacy", "opt-out", "000001")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(": opted out")
    again = run_cli(db_url, "privacy", "opt-out", "000001")
    assert again.stdout.strip().endswith(": opted out (unchanged)")
    shown = run_cli(db_url, "privacy", "show", "000001", "--json",
                    env={"QUICKCRM_OUTBOX_DAYS": "30"})
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert (data["email"], data["relation"], data["opted_out"]) == (
        "klant000001@example.nl", "000001", True)
    held = {h["kind"]: h for h in data["held"]}
    assert held["campaign participations"]["count"] == 1
    assert held["invitations"]["count"] == 1
    assert held["e-mails to them (outbox rows)"]["count"] == 1
    assert held["e-mail texts"]["count"] == 1
    assert held["e-mail texts"]["purged"] == "30 days after sending"
    assert held["e-mail texts"]["purge_at"].startswith("2026-12-23T09:00")  # sent + 30 days
    assert held["campaign answers"]["purged"] == "kept (privacy.answers_days = 0)"
    assert held["events about them"]["count"] >= 3  # sent, delivered, opted out
    # what the person CRM holds is listed too, table by table
    noted = run_cli(db_url, "person", "note", "add", str(data["person_id"]), "--title", "Bel",
                    "--text", "Bellen na de zomer")
    assert noted.exit_code == 0, noted.output
    human = run_cli(db_url, "privacy", "show", "000001")
    assert "opted out: yes" in human.stdout and "e-mail texts" in human.stdout
    assert re.search(r"note rows\s*│\s*1\s", human.stdout), human.stdout
    for args, message in ((("privacy", "show", "nobody@x.example"), "no person matches"),
                          (("privacy", "opt-out", "000001", "--as", RM2),
                           "not permitted: recording the opt-out")):
        refused = run_cli(db_url, *args)
        assert refused.exit_code == 1 and refused.stderr.startswith(message), refused.stderr
    shown_rm = run_cli(db_url, "privacy", "show", "000001", "--as", RM1)
    assert shown_rm.stderr.strip() == "not permitted: handle privacy requests needs admin"


# --- retention --------------------------------------------------------------------------

def _answer(rt: Any, number: str, text: str) -> None:
    from sqlmodel import select

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.quickscans.answers import Respondent, save_answer
    from quickcrm.store.models import Relation

    with rt.session() as s:
        inv = s.exec(select(Invitation).join(Relation, Relation.id == Invitation.relation_id)
                     .where(Relation.number == number)).one()
        for qid, value in (("q-open", text), ("q-slider", "7")):
            save_answer(s, Respondent(invitation_id=inv.id), question_id=qid, value=value,
                        now=rt.clock.now())
        s.commit()


def _counts(rt: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.mail.models import OutboxBody, OutboxMessage
    from quickcrm.quickscans.models import Answer

    with rt.session(read_only=True) as s:
        return {name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in (("answers", Answer), ("bodies", OutboxBody),
                                    ("messages", OutboxMessage), ("invitations", Invitation))}


def test_purge_deletes_each_kind_once_its_period_passed(db_url, smtp_server):
    from test_remind import MONDAY_9

    from quickcrm.campaigns.campaign import close_campaign
    from quickcrm.campaigns.sending import send
    from quickcrm.privacy.retention import purge

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url, QUICKCRM_ANSWERS_DAYS="30",
                 QUICKCRM_OUTBOX_DAYS="10")
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    _answer(rt, "000001", "Mijn opvolger is Kees")
    report_before = run_cli(db_url, "report", "Voorjaar", "--json").stdout
    clock.at = MONDAY_9 + timedelta(days=1)
    with rt.session() as s:
        close_campaign(session=s, actor=rt.actor, now=clock.now(), campaign="Voorjaar")
    start = _counts(rt)
    assert start == {"answers": 2, "bodies": 6, "messages": 6, "invitations": 3}

    def purge_at(days: float, dry_run: bool = False) -> Any:
        with rt.session() as s:
            return purge(session=s, actor=rt.actor, now=MONDAY_9 + timedelta(days=days),
                         settings=rt.settings, dry_run=dry_run)

    assert purge_at(9.9).total == 0
    dry = purge_at(40, dry_run=True)
    assert (dry.answers, dry.outbox_bodies) == (2, 6) and _counts(rt) == start
    assert events_of(rt, events.PRIVACY_PURGED) == []
    first = purge_at(10.1)
    assert (first.answers, first.outbox_bodies) == (0, 6)
    assert _counts(rt) == {**start, "bodies": 0}  # the rows stay for the counts
    assert purge_at(30.9).total == 0  # closed on day 1: answers go after day 31
    second = purge_at(31.1)
    assert second.answers == 2
    assert _counts(rt) == {**start, "bodies": 0, "answers": 0}
    assert purge_at(60).total == 0  # idempotent
    recorded = events_of(rt, events.PRIVACY_PURGED)
    assert [(e["details"]["answers"], e["details"]["outbox_bodies"]) for e in recorded] == [
        (0, 6), (2, 0)]
    report_after = json.loads(run_cli(db_url, "report", "Voorjaar", "--json").stdout)
    before = json.loads(report_before)
    assert {k: v for k, v in report_after.items() if isinstance(v, int)} == \
        {k: v for k, v in before.items() if isinstance(v, int)}
    rt.close()


def test_purge_command_dry_run_json_now_and_bad_periods(db_url, smtp_server):
    from test_remind import MONDAY_9

    from quickcrm.campaigns.sending import send

    rt = runtime(db_url, FixedClock(MONDAY_9), smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    env = {"QUICKCRM_OUTBOX_DAYS": "7"}
    dry = run_cli(db_url, "privacy", "purge", "--dry-run", "--now", "2026-12-01", "--json",
                  env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["outbox_bodies"] == 6 and json.loads(dry.stdout)["dry_run"]
    done = run_cli(db_url, "privacy", "purge", "--now", "2026-12-01", env=env)
    assert done.stdout.splitlines()[0] == (
        "deleted: 0 answers of closed campaigns, 6 sent e-mail texts, 0 unconfirmed landing "
        "visitors (0 answers, 0 confirmation e-mails)")
    assert "kept (0 days): answers_days, unconfirmed_visitor_days" in done.stdout
    assert json.loads(run_cli(db_url, "privacy", "purge", "--now", "2026-12-01", "--json",
                              env=env).stdout)["outbox_bodies"] == 0
    bad = run_cli(db_url, "privacy", "purge", env={"QUICKCRM_ANSWERS_DAYS": "-3"})
    assert (bad.exit_code, bad.stderr.strip()) == (1, (
        "QUICKCRM_ANSWERS_DAYS: privacy.answers_days must be 0 (keep) or a number of days, "
        "got -3"))
    refused = run_cli(db_url, "privacy", "purge", "--as", RM1, env=env)
    assert refused.stderr.strip() == "not permitted: purge personal data needs admin or coordinator"


def test_daemon_runs_the_purge_once_a_day(cli, sqlite_url, smtp_server):
    from test_remind import MONDAY_9

    from quickcrm.campaigns.sending import send

    rt = runtime(sqlite_url, FixedClock(MONDAY_9), smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    env = {"QUICKCRM_OUTBOX_DAYS": "7", "QUICKCRM_SMTP_URL": smtp_server.url}
    first = cli("daemon", "--once", "--json", "--now", "2026-12-01T10:00", env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["purge"]["outbox_bodies"] == 6
    again = cli("daemon", "--once", "--json", "--now", "2026-12-01T11:00", env=env)
    assert json.loads(again.stdout)["purge"]["skipped"] is True


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_unconfirmed_landing_visitors_are_purged_with_their_mail(request, db_url):
    from test_landing_http import complete, register, visitors, wait_mail

    from quickcrm.mail.models import OutboxBody, OutboxMessage
    from quickcrm.privacy.retention import purge
    from quickcrm.settings import load_settings

    rt, client, smtp = request.getfixturevalue("site")  # a landing page on a real web server
    r = register(client)
    complete(client, r.headers["location"])
    wait_mail(smtp, 1)
    [visitor] = visitors(rt)
    # the client address is kept as an HMAC under the installation's secret
    assert visitor.address_hash and visitor.address_hash != hashlib.sha256(
        b"127.0.0.1").hexdigest()
    settings = load_settings(env={"QUICKCRM_DATABASE_URL": rt.settings.database_url,
                                  "QUICKCRM_UNCONFIRMED_VISITOR_DAYS": "7"})
    # an unconfirmed visitor is no person, but `privacy show` finds them by address
    from quickcrm.privacy.person import show

    with rt.session(read_only=True) as s:
        shown = show(session=s, actor=rt.actor, person="PIET@prospectbouw.example",
                     settings=settings)
    held = {h.kind: h for h in shown.held}
    assert (shown.person_id, shown.name, held["landing page visits"].count,
            held["landing page answers"].count) == (None, "Piet Prospect", 1, 1)
    assert held["landing page visits"].purge_at == visitor.started_at.replace(
        tzinfo=UTC) + timedelta(days=7)
    assert "person" not in held
    with rt.session() as s:
        early = purge(session=s, actor=rt.actor, now=rt.clock.now() + timedelta(days=6),
                      settings=settings)
        assert early.total == 0
        done = purge(session=s, actor=rt.actor, now=rt.clock.now() + timedelta(days=8),
                     settings=settings)
    assert (done.visitors, done.visitor_answers, done.visitor_messages) == (1, 1, 1)
    assert visitors(rt) == []
    from sqlmodel import select

    with rt.session(read_only=True) as s:
        [mail] = s.exec(select(OutboxMessage)).all()
        assert (mail.kind, mail.recipient, mail.subject, mail.status) == (
            "landing_confirm", "", "", "sent")
        assert s.exec(select(OutboxBody)).all() == []


# --- files and secrets ------------------------------------------------------------------

def test_new_database_and_maildir_are_the_owners_alone(tmp_path):
    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    runner = CliRunner()
    env = {"QUICKCRM_DATABASE_URL": f"sqlite:///{tmp_path}/data/crm.db",
           "QUICKCRM_SMTP_URL": f"maildir:{tmp_path}/mail"}
    old = os.umask(0o022)
    try:
        assert runner.invoke(app, ["user", "add", RM1, "-r", "rm"], env=env).exit_code == 0
        rt = runtime(env["QUICKCRM_DATABASE_URL"], FixedClock(MONDAY), env["QUICKCRM_SMTP_URL"])
        final_campaign(rt, n=1)
        from quickcrm.campaigns.sending import send

        assert send(rt=rt, campaign="Voorjaar").delivered == 2
        rt.close()
    finally:
        os.umask(old)

    def mode(path: Any) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "crm.db") == 0o600
    for sub in ("", "tmp", "new", "cur"):
        assert mode(tmp_path / "mail" / sub) == 0o700
    files = list((tmp_path / "mail" / "new").iterdir())
    assert len(files) == 2 and {mode(f) for f in files} == {0o600}


def test_the_file_store_is_the_owners_alone(cli, tmp_path):
    import sqlite3

    (tmp_path / "kopie-id.pdf").write_bytes(b"%PDF-1.4 paspoort")
    old = os.umask(0o022)
    try:
        cli("sample", "generate", "-n", "1", "-o", "c.csv")
        assert cli("import", "clients", "c.csv").exit_code == 0
        conn = sqlite3.connect(tmp_path / "test.db")
        [(pid,)] = conn.execute("SELECT min(id) FROM person").fetchall()
        conn.close()
        result = cli("person", "file", "add", str(pid), "kopie-id.pdf")
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    root = tmp_path / "files"
    dirs = [root, *[p for p in root.rglob("*") if p.is_dir()]]
    blobs = [p for p in root.rglob("*") if p.is_file()]
    assert blobs and {stat.S_IMODE(p.stat().st_mode) for p in blobs} == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in dirs} == {0o700}


def test_backups_and_restored_databases_are_the_owners_alone(cli, tmp_path):
    old = os.umask(0o022)
    try:
        assert cli("user", "add", RM1, "-r", "rm").exit_code == 0
        assert cli("db", "backup", "b.db").exit_code == 0
        restored = f"sqlite:///{tmp_path}/new/r.db"
        result = cli("db", "restore", "b.db", "--db", restored)
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "r.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_wal_and_shm_files_follow_the_database(tmp_path):
    from sqlalchemy import text

    from quickcrm.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM app_user"))
        for suffix in ("-wal", "-shm"):
            assert stat.S_IMODE(os.stat(f"{tmp_path}/x.db{suffix}").st_mode) == 0o600
    engine.dispose()


def test_deleted_values_do_not_linger_in_the_sqlite_file(tmp_path):
    import sqlite3

    from sqlalchemy import text

    from quickcrm.store.db import make_engine

    marker = "Zwanenburg-Onvindbaar-" * 20

    def write_and_delete(path: Any, engine: Any) -> bytes:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO team (name) VALUES (:n)"), {"n": marker})
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM team"))
        engine.dispose()
        raw = sqlite3.connect(path)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        return bytes(path.read_bytes())

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert marker.encode()[:40] not in write_and_delete(tmp_path / "x.db", engine)
    # side by side: the same without secure_delete leaves the deleted name in the file
    from sqlalchemy import create_engine, event

    plain = create_engine(f"sqlite:///{tmp_path / 'y.db'}")

    @event.listens_for(plain, "connect")
    def _off(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.execute("PRAGMA secure_delete=OFF")

    with plain.begin() as conn:
        conn.execute(text("CREATE TABLE team (id INTEGER PRIMARY KEY, name TEXT)"))
    assert marker.encode()[:40] in write_and_delete(tmp_path / "y.db", plain)


CONFIG = '[mail]\nurl = "smtp://mailer:Geheim-Wachtwoord-42@127.0.0.1:2525"\n'


@pytest.mark.parametrize(("content", "mode", "warned", "setting"), [
    (CONFIG, 0o644, "everyone", "mail.url"), (CONFIG, 0o640, "its group", "mail.url"),
    (CONFIG, 0o600, None, ""),
    ('[mail]\nurl = "smtp://127.0.0.1:2525"\n', 0o644, None, ""),
    ('[mail]\nimap_url = "imaps://bounce:pw@imap.example/INBOX"\n', 0o604, "everyone",
     "mail.imap_url"),
])
def test_a_readable_config_holding_a_password_is_warned_about(cli, tmp_path, content, mode,
                                                              warned, setting):
    path = tmp_path / "quickcrm.toml"
    path.write_text(content)
    path.chmod(mode)
    result = cli("config", "show", "--config", str(path))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    if warned is None:
        assert lines == []
    else:
        assert lines == [f"warning: {path} holds a password ({setting}) "
                         f"and is readable by {warned} (mode {mode:04o}); make it the owner's "
                         f"alone: chmod 600 {path}"]
    assert "Geheim-Wachtwoord-42" not in result.output


def test_a_wrong_smtp_password_appears_nowhere_after_a_failed_delivery(tmp_path):
    """A real aiosmtpd that asks for AUTH and refuses the password."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from quickcrm.mail.outbox import queue_message

    secret = "Zeer-Geheim-Wachtwoord-7"

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    def refuse(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 bad credentials for {auth_data.password.decode()}")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=refuse,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    db = tmp_path / "m.db"
    url = f"smtp://mailer:{secret}@127.0.0.1:{port}?timeout=5"
    try:
        rt = runtime(f"sqlite:///{db}", FixedClock(MONDAY), url)
        with rt.session() as s:
            queue_message(s, kind="test", ref="t:1", to="klant@example.nl",
                          from_="rm@k.example", subject="Hallo", text="Tekst",
                          sender="noreply@k.example", now=rt.clock.now())
            s.commit()
        counts = rt.deliver()
        rt.close()
        result = run_cli(f"sqlite:///{db}", "outbox", "deliver", "--json",
                         env={"QUICKCRM_SMTP_URL": url})
        listed = run_cli(f"sqlite:///{db}", "outbox", "list", "--json")
    finally:
        controller.stop()
    assert counts.delivered == 0 and "535" in counts.error
    assert "********" in counts.error and secret not in counts.error
    for text in (result.output, listed.output):
        assert secret not in text
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        errors = [r[0] for r in conn.execute(sql("SELECT last_error FROM outbox_message"))]
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    assert all(secret not in e for e in errors)
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes(), f
