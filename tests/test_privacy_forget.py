"""Issue 29, items 3, 4 and 6: `privacy export` (the zip, its person.json and .eml files),
`privacy forget` (no byte of the name or e-mail left in the SQLite file, its -wal, the
maildir and the file store; none in PostgreSQL's rows; the report's counts unchanged)
and `privacy show`'s counts of procedure rows; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from test_campaigns import RM1, add_clients, new_campaign, run_select
from test_landing_http import site  # noqa: F401 - the fixture, asked for by name
from test_privacy import run_cli
from test_send import runtime

from quickcrm.clock import FixedClock

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FIRST, LAST, EMAIL = "Wilhelmina", "Zonnebloem", "W.Zonnebloem@voorbeeld.nl"
TERMS = (FIRST.lower().encode(), LAST.lower().encode(), EMAIL.lower().encode())
OPEN_TEXT = f"{FIRST} wil in 2027 stoppen; mail naar {EMAIL.lower()}"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"QUICKCRM_SMTP_URL": f"maildir:{tmp_path / 'outbox'}",
            "QUICKCRM_FILES_DIR": str(tmp_path / "files"),
            "QUICKCRM_BASE_URL": "https://scan.kantoor.example"}


def _person(rt: Any, number: str) -> Any:
    from sqlmodel import select

    from quickcrm.store.models import Person, Relation

    with rt.session(read_only=True) as s:
        return s.exec(select(Person).join(Relation, Relation.id == Person.relation_id)
                      .where(Relation.number == number)).one()


def build_world(rt: Any, tmp_path: Path, clock: FixedClock) -> dict[str, Any]:
    """A full campaign around one person (sent to a maildir, answered with an open text,
    reminded), plus a note and a file on their card, mail filed on it, a landing visit,
    a procedure contact with a step and an appointment, and other rows that name them."""
    from sqlmodel import select

    from quickcrm import events
    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.exclusions import change_exclusions
    from quickcrm.campaigns.invitation import Invitation, mark_finished
    from quickcrm.campaigns.sending import send
    from quickcrm.crm.filestore import add_file
    from quickcrm.crm.notes import add_note
    from quickcrm.landing.models import LandingPage, LandingVisitor
    from quickcrm.mail.person_mail import file_person_email
    from quickcrm.procedures.models import (
        Appointment,
        Procedure,
        Project,
        ProjectContact,
        StepTaken,
        StepType,
    )
    from quickcrm.quickscans.answers import Respondent, save_answer
    from quickcrm.quickscans.models import QuickScan
    from quickcrm.store.models import Person, Relation

    add_clients(rt, {"number": "000001", "email": EMAIL, "company": "Bakkerij De Zon B.V."},
                {"number": "000002", "rm": RM1}, {"number": "000003"})
    now = rt.clock.now()
    with rt.session() as s:
        me = s.exec(select(Person).where(Person.email == EMAIL)).one()
        me.first_name, me.last_name = FIRST, LAST
        s.add(me)
        s.commit()
    pid = me.id
    new_campaign(rt, "Voorjaar")
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=now, campaign="Voorjaar")
    send(rt=rt, campaign="Voorjaar")
    new_campaign(rt, "Najaar")
    run_select(rt, "Najaar")
    other = _person(rt, "000002")
    with rt.session() as s:
        change_exclusions(session=s, actor=rt.actor, now=now, campaign="Najaar",
                          numbers=["000003"], reason=f"buurman van {FIRST} {LAST.upper()}")
        inv = s.exec(select(Invitation).join(Relation, Relation.id == Invitation.relation_id)
                     .where(Relation.number == "000002")).one()
        for qid, value in (("toelichting", "geen toelichting"), ("leeftijd", "ke1"),
                           ("voorbereiding", "7")):
            save_answer(s, Respondent(invitation_id=inv.id), question_id=qid, value=value,
                        now=now)
        mark_finished(s, inv.id, now)
        s.commit()
        add_note(session=s, actor=rt.actor, now=now, person_id=pid, title="Belafspraak",
                 text="Bellen over de overdracht")
        add_note(session=s, actor=rt.actor, now=now, person_id=other.id,
                 title=f"Doorverwezen door {LAST}", text=f"{FIRST.upper()} {LAST} belde namens "
                 f"de buren (<{EMAIL}>); de Dorpsstraat blijft staan")
        mine = s.exec(select(Invitation).join(Relation, Relation.id == Invitation.relation_id)
                      .where(Relation.number == "000001")).one()
    # they answer in the web app (a real uvicorn) but do not finish yet
    import httpx
    from test_web_http import csrf_of, start
    from web_support import running_app

    with running_app(rt) as base, httpx.Client(base_url=base, timeout=20) as client:
        csrf = start(client, mine.token)
        for qid, value in (("toelichting", OPEN_TEXT), ("leeftijd", "ke1"),
                           ("voorbereiding", "35")):
            saved = client.post(f"/q/{mine.token}/antwoord", headers={
                "accept": "application/json"}, data={"csrf": csrf, "vraag": qid, "waarde": value})
            assert saved.status_code == 200, saved.text
    # they never finish: two reminders, then their RM's notice whose subject names them
    from quickcrm.campaigns.reminders import remind

    for day in (26, 30, 33):
        clock.at = datetime(2026, 11, day, 9, tzinfo=UTC) if day <= 30 else \
            datetime(2026, 12, day - 30, 9, tzinfo=UTC)
        remind(rt=rt)
    # then they finish: the report mails (theirs and the RM's copy) go out too
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=20) as client:
        csrf = csrf_of(client.get(f"/q/{mine.token}").text)
        assert client.post(f"/q/{mine.token}/rapportage", data={"csrf": csrf}
                           ).status_code == 303
    rt.deliver()
    clock.at = MONDAY
    card_file = tmp_path / "paspoort.txt"
    card_file.write_text(f"paspoort van {FIRST} {LAST}")
    eml = tmp_path / "in.eml"
    eml.write_bytes((f"From: {FIRST} {LAST} <{EMAIL}>\r\nTo: rm.utrecht@kantoor.example\r\n"
                     f"Subject: Vraag van {FIRST}\r\nMessage-ID: <in-1@voorbeeld.nl>\r\n"
                     "Date: Mon, 23 Nov 2026 09:00:00 +0100\r\n\r\nBeste, graag een "
                     "afspraak. Groet, " f"{FIRST}\r\n").encode())
    with rt.session() as s:
        add_file(session=s, actor=rt.actor, now=now, root=tmp_path / "files", max_mb=5,
                 person_id=pid, path=card_file)
    with rt.session() as s:
        file_person_email(session=s, actor=rt.actor, now=now, person_id=pid, path=eml)
    with rt.session() as s:
        qs = s.exec(select(QuickScan)).first()
        page = LandingPage(slug="opvolging", quickscan_id=qs.id, title="Opvolging", secret="s",
                           created_at=now)
        s.add(page)
        s.flush()
        visit = LandingVisitor(page_id=page.id, token="t" * 40, secret="s", confirm_token="c" * 40,
                               first_name=FIRST, last_name=LAST, company="Bakkerij De Zon",
                               email=EMAIL.lower(), address_hash="ab" * 32, consent_text="Ja",
                               consent_at=now, started_at=now, confirmed_at=now, person_id=pid)
        s.add(visit)
        s.flush()
        save_answer(s, Respondent(landing_visitor_id=visit.id), question_id="toelichting",
                    value=f"Ik ben {FIRST}", now=now)
        step_type = StepType(name="bellen")
        procedure = Procedure(name="Werving")
        s.add_all([step_type, procedure])
        s.flush()
        project = Project(name="Opvolging 2027", procedure_id=procedure.id, created_at=now)
        s.add(project)
        s.flush()
        rel1 = s.get(Person, pid).relation_id
        contacts = [ProjectContact(project_id=project.id, relation_id=rel1, person_id=pid,
                                   created_at=now),
                    ProjectContact(project_id=project.id, relation_id=other.relation_id,
                                   person_id=other.id, created_at=now)]
        s.add_all(contacts)
        s.flush()
        step = StepTaken(contact_id=contacts[0].id, step_type_id=step_type.id, at=now,
                         note=f"{FIRST} gebeld")
        s.add(step)
        s.flush()
        s.add(Appointment(uid="appt-1@kantoor.example", user_id=rt.actor.id, person_id=pid,
                          contact_id=contacts[0].id, step_id=step.id,
                          title=f"Gesprek {FIRST} {LAST}", start=now + timedelta(days=2)))
        s.add(StepTaken(contact_id=contacts[1].id, step_type_id=step_type.id, at=now,
                        note=f"vroeg naar {LAST}"))
        events.record(s, kind=events.RELATION_UPDATED, at=now, relation_id=other.relation_id,
                      user_id=rt.actor.id, changes={"contact": [f"{FIRST} {LAST}", "Piet"]})
        events.record(s, kind=events.SALES_ORDER, at=now, relation_id=rel1, person_id=pid,
                      user_id=rt.actor.id, amount=1250.0, product="jaarrekening")
        s.commit()
    return {"person_id": pid, "other_id": other.id}


def _report(db_url: str, env: dict[str, str]) -> dict[str, Any]:
    result = run_cli(db_url, "report", "Voorjaar", "--json", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    data.pop("at")  # when the report was made
    return data


def _row_texts(rt: Any) -> list[str]:
    """Every row of every table as text (what a data dump would hold)."""
    from quickcrm.areas import metadata

    out = []
    with rt.engine.connect() as conn:
        for table in metadata().sorted_tables:
            for row in conn.execute(table.select()):
                out.append(f"{table.name}: " + " | ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    return out


def _found(data: bytes) -> list[bytes]:
    low = data.lower()
    return [t for t in TERMS if t in low]


def test_forget_leaves_no_byte_of_them_and_the_counts_stay(db_url, tmp_path):
    from sqlalchemy import func, select

    from quickcrm.procedures.models import ProjectContact, StepTaken
    from quickcrm.quickscans.models import Answer
    from quickcrm.store.models import Event

    env = _env(tmp_path)
    clock = FixedClock(MONDAY)
    rt = runtime(db_url, clock, env["QUICKCRM_SMTP_URL"],
                 QUICKCRM_FILES_DIR=env["QUICKCRM_FILES_DIR"])
    ids = build_world(rt, tmp_path, clock)
    before = _report(db_url, env)
    with rt.session(read_only=True) as s:
        answers_before = s.execute(select(func.count()).select_from(Answer)).scalar_one()
    maildir = tmp_path / "outbox"
    assert any(_found(p.read_bytes()) for p in maildir.rglob("*") if p.is_file())
    if db_url.startswith("sqlite"):  # the grep below would find them before
        db = Path(db_url.removeprefix("sqlite:///"))
        held_bytes = b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())
        assert len(_found(held_bytes)) == 3

    shown = run_cli(db_url, "privacy", "show", "000001", "--json", env=env)
    held = {h["kind"]: h["count"] for h in json.loads(shown.stdout)["held"]}
    assert (held["project contacts"], held["procedure steps"], held["appointments"]) == (1, 1, 1)

    dry = run_cli(db_url, "privacy", "forget", "000001", "--dry-run", "--json", env=env)
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] is True and planned["deleted"]["person"] == 1
    assert _person(rt, "000001").first_name == FIRST  # nothing changed

    done = run_cli(db_url, "privacy", "forget", "000001", "--json", env=env)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert {k: result[k] for k in ("deleted", "blanked", "redacted", "scrubbed")} == {
        k: planned[k] for k in ("deleted", "blanked", "redacted", "scrubbed")}
    assert result["deleted"]["person"] == 1 and result["deleted"]["note"] == 1
    assert result["deleted"]["project_contact"] == 1 and result["deleted"]["step_taken"] == 1
    assert result["deleted"]["appointment"] == 1
    assert result["blanked"]["campaign_client"] == 1 and result["blanked"]["answer"] == 2
    assert result["blanked"]["landing_visitor"] == 1
    assert result["scrubbed"]["note"] == 1 and result["scrubbed"]["exclusion"] == 1
    assert result["scrubbed"]["step_taken"] == 1 and result["scrubbed"]["event"] >= 1
    # the invitation, the RM's copy, two reminders, the RM's no-response notice, the report
    # and the RM's copy of it
    assert result["files"] == 1 and result["maildir"] == 7
    assert result["running_campaigns"] == ["Voorjaar"]

    # the report's counts and the number of answers are what they were
    assert _report(db_url, env) == before
    with rt.session(read_only=True) as s:
        assert s.execute(select(func.count()).select_from(Answer)).scalar_one() == answers_before
        values = sorted(s.execute(select(Answer.question_id, Answer.value)
                                  .where(Answer.invitation_id.is_not(None))).all())
        # their open text is blanked; numbers and choices stay (theirs: ke1 and 35)
        assert values == [("leeftijd", "ke1"), ("leeftijd", "ke1"), ("toelichting", ""),
                          ("toelichting", "geen toelichting"), ("voorbereiding", "35"),
                          ("voorbereiding", "7")]
        # the other contact of the project is still there, with its step
        assert s.execute(select(func.count()).select_from(ProjectContact)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(StepTaken)).scalar_one() == 1
        # the audit trail keeps who, when, what kind (and the amount); details redacted
        [order] = s.execute(select(Event).where(Event.kind == "sales.order")).scalars()
        assert (order.details, order.amount, order.person_id) == ('{"redacted": true}',
                                                                  1250.0, None)
        from quickcrm.mail.models import OutboxBody, OutboxMessage

        notices = s.execute(select(OutboxMessage).where(OutboxMessage.kind == "no_response")
                            ).scalars().all()
        mine = [m for m in notices if m.subject == ""]
        assert [(m.recipient, m.subject) for m in mine] == [("", "")]
        assert s.get(OutboxBody, mine[0].message_id) is None
        # the notice about another client keeps its subject and text
        [kept] = [m for m in notices if m.subject]
        assert kept.subject.endswith("Bedrijf 000003 B.V.") and s.get(OutboxBody, kept.message_id)
        [forgotten] = s.execute(select(Event).where(Event.kind == "privacy.forgotten")).scalars()
        details = json.loads(forgotten.details)
        assert details["forgotten_person_id"] == ids["person_id"]
        assert details["counts"]["deleted"]["person"] == 1
    texts = _row_texts(rt)
    leaks = [t for t in texts if any(term.decode() in t.lower() for term in TERMS)]
    assert leaks == []
    # what was not theirs stays: the rest of the other note, its title
    assert any("belde namens de buren (<>); de Dorpsstraat blijft staan" in t for t in texts)
    assert any("Doorverwezen door " in t for t in texts)
    rt.close()

    # the bytes: the SQLite file and its -wal/-shm, the maildir, the file store
    paths = [p for p in maildir.rglob("*") if p.is_file()]
    paths += [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    if db_url.startswith("sqlite"):
        db = Path(db_url.removeprefix("sqlite:///"))
        paths += [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
        assert db in paths
    leaked = {str(p): _found(p.read_bytes()) for p in paths if _found(p.read_bytes())}
    assert leaked == {}
    assert len([p for p in maildir.rglob("*") if p.is_file()]) >= 1  # others' mail stays
    if db_url.startswith("postgresql"):
        _assert_pg_dump_clean(db_url)


def _assert_pg_dump_clean(db_url: str) -> None:
    """`pg_dump --data-only` of the test's schema holds none of them."""
    from urllib.parse import unquote

    schema = re.search(r"search_path%3D(\w+)", db_url).group(1)
    base = unquote(db_url.split("?")[0]).replace("postgresql+psycopg://", "postgresql://")
    try:
        dump = subprocess.run(["pg_dump", "--data-only", "-n", schema, base],
                              capture_output=True, check=True, timeout=120).stdout
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"pg_dump not usable here: {exc}")
    assert b"COPY" in dump
    assert _found(dump) == []


def test_export_zip_holds_their_card_mail_files_and_answers(db_url, tmp_path):
    env = _env(tmp_path)
    clock = FixedClock(MONDAY)
    rt = runtime(db_url, clock, env["QUICKCRM_SMTP_URL"],
                 QUICKCRM_FILES_DIR=env["QUICKCRM_FILES_DIR"])
    ids = build_world(rt, tmp_path, clock)
    rt.close()
    out = tmp_path / "export.zip"
    result = run_cli(db_url, "privacy", "export", EMAIL.upper(), "--out", str(out), "--json",
                     env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["amounts"] is True
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        doc = json.loads(z.read("person.json"))
        mails = [BytesParser(policy=policy.default).parsebytes(z.read(n))
                 for n in names if n.endswith(".eml")]
        stored = [z.read(n) for n in names if n.startswith("files/")]
    assert doc["person"]["id"] == ids["person_id"]
    assert (doc["person"]["first_name"], doc["person"]["email"]) == (FIRST, EMAIL)
    assert doc["relation"]["number"] == "000001"
    assert [n["title"] for n in doc["notes"]] == ["Belafspraak"]
    [campaign] = doc["campaigns"]
    assert campaign["campaign"] == "Voorjaar" and campaign["invitation"]["invited_at"]
    answers = {a["question_id"]: a["value"] for a in campaign["answers"]}
    assert answers == {"toelichting": OPEN_TEXT, "leeftijd": "ke1", "voorbereiding": "35"}
    [visit] = doc["landing_visits"]
    assert (visit["page"], visit["consent_text"], visit["answers"][0]["value"]) == (
        "opvolging", "Ja", f"Ik ben {FIRST}")
    [procedure] = doc["procedures"]
    assert procedure["project"] == "Opvolging 2027"
    assert [s["note"] for s in procedure["steps"]] == [f"{FIRST} gebeld"]
    assert [a["title"] for a in doc["appointments"]] == [f"Gesprek {FIRST} {LAST}"]
    kinds = {e["kind"] for e in doc["events"]}
    assert {"sales.order", "person.file_added"} <= kinds, kinds
    [order] = [e for e in doc["events"] if e["kind"] == "sales.order"]
    assert order["amount"] == 1250.0
    # every e-mail to or from them: the invitation, its reminder-free world, the RM's
    # copy naming them, the mail filed on the card
    subjects = [str(m["Subject"]) for m in mails]
    to = [str(m["To"]) for m in mails]
    assert any(EMAIL.lower() in t.lower() for t in to)
    assert f"Vraag van {FIRST}" in subjects
    filed = next(m for m in mails if str(m["Subject"]) == f"Vraag van {FIRST}")
    assert "graag een afspraak" in filed.get_body(preferencelist=("plain",)).get_content()
    assert len(mails) >= 3  # invitation, RM copy, filed
    assert stored == [f"paspoort van {FIRST} {LAST}".encode()]
    assert [f["name"] for f in doc["files"]] == ["paspoort.txt"]

    # written whole or not at all: a stored file gone missing leaves no zip behind
    for blob in (tmp_path / "files").rglob("*"):
        if blob.is_file():
            blob.unlink()
    broken = tmp_path / "broken.zip"
    failed = run_cli(db_url, "privacy", "export", "000001", "--out", str(broken), env=env)
    assert failed.exit_code == 1 and "missing from" in failed.stderr
    assert not broken.exists() and not list(tmp_path.glob(".quickcrm-export-*"))

    # several matches: listed, exit 1, no file; refused for a coordinator or an RM
    from test_campaigns import add_clients as more

    rt = runtime(db_url, FixedClock(MONDAY), env["QUICKCRM_SMTP_URL"])
    more(rt, {"number": "000009", "email": "dubbel@voorbeeld.nl"},
         {"number": "000010", "email": "Dubbel@voorbeeld.nl"})
    rt.close()
    twice = tmp_path / "twice.zip"
    several = run_cli(db_url, "privacy", "export", "dubbel@voorbeeld.nl", "--out", str(twice),
                      env=env)
    assert several.exit_code == 1
    assert several.stderr.startswith("'dubbel@voorbeeld.nl' matches 2 persons: id:")
    assert not twice.exists() and not list(tmp_path.glob(".quickcrm-export-*"))
    for user in (RM1,):
        refused = run_cli(db_url, "privacy", "export", "000001", "--out", str(twice),
                          "--as", user, env=env)
        assert refused.exit_code == 1
        assert refused.stderr.strip() == "not permitted: handle privacy requests needs admin"
        assert not twice.exists()


def test_export_of_a_bare_campaign_contact_and_refusals(tmp_path, cli, sqlite_url):
    """A person with nothing but a campaign participation; a coordinator is refused, and
    forget on an unknown person changes nothing."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.campaign import finalize_campaign

    rt = bootstrap(database_url=sqlite_url, clock=FixedClock(MONDAY), env={})
    add_clients(rt, {"number": "000001", "email": "alleen@campagne.example"})
    new_campaign(rt, "Voorjaar")
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
    rt.close()
    out = tmp_path / "alleen.zip"
    done = cli("privacy", "export", "000001", "--out", str(out))
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(out) as z:
        doc = json.loads(z.read("person.json"))
        assert [n for n in z.namelist() if n.endswith(".eml")] == []
    [campaign] = doc["campaigns"]
    assert (campaign["campaign"], campaign["invitation"], campaign["answers"]) == (
        "Voorjaar", None, [])
    assert campaign["snapshot"]["email"] == "alleen@campagne.example"
    assert (doc["notes"], doc["files"], doc["emails"], doc["landing_visits"]) == ([], [], [], [])
    added = cli("user", "add", "coord@kantoor.example", "--right", "coordinator")
    assert added.exit_code == 0, added.output
    refused = cli("privacy", "forget", "000001", "--as", "coord@kantoor.example")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "not permitted: handle privacy requests needs admin"
    from quickcrm.bootstrap import bootstrap as boot

    rt = boot(database_url=sqlite_url, clock=FixedClock(MONDAY), env={})
    add_clients(rt, {"number": "000009", "email": "dubbel@voorbeeld.nl"},
                {"number": "000010", "email": "DUBBEL@voorbeeld.nl"})
    rt.close()
    several = cli("privacy", "forget", "dubbel@voorbeeld.nl")
    assert several.exit_code == 1
    assert several.stderr.startswith("'dubbel@voorbeeld.nl' matches 2 persons: id:")
    assert cli("privacy", "show", "000009").exit_code == 0  # nothing changed
    assert cli("privacy", "show", "000010").exit_code == 0
    unknown = cli("privacy", "forget", "nobody@nergens.example")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("no person matches")
    refused = cli("privacy", "export", "000001", "--out", str(tmp_path / "c.zip"),
                  "--as", "coord@kantoor.example")
    assert refused.exit_code == 1 and not (tmp_path / "c.zip").exists()
    shown = cli("privacy", "show", "000001", "--json")
    assert json.loads(shown.stdout)["name"] == "Klant 000001"  # still there
    # the campaign is final: forget erases and says it lost a recipient
    done = cli("privacy", "forget", "000001")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"id:{doc['person']['id']}: erased")
    assert "note: running campaign 'Voorjaar' lost a recipient" in done.stderr
    gone = cli("privacy", "show", "000001")
    assert gone.exit_code == 1 and gone.stderr.startswith("no person matches")


def test_free_texts_lose_each_name_part_and_the_address_word_by_word():
    from quickcrm.privacy.erasure import (
        _pattern,
        is_open_text,
        scrub_json,
        scrub_text,
        search_terms,
    )

    terms = search_terms("Jan", "de Vries-Öztürk", "jan@vries.example")
    assert terms == ["jan@vries.example", "Jan de Vries-Öztürk", "de Vries-Öztürk", "Jan"]
    pattern = _pattern(terms)
    assert scrub_text("JAN DE VRIES-ÖZTÜRK belde; mail JAN@Vries.example in januari, "
                      "Janssen of jan.", pattern) == " belde; mail  in januari, Janssen of ."
    assert search_terms("J", "", "") == []  # an initial alone is not searched for
    assert json.loads(scrub_json('{"changes": {"contact": ["Jan de Vries-Öztürk", "Piet"]}, '
                                 '"n": 3}', pattern)) == {"changes": {"contact": ["", "Piet"]},
                                                          "n": 3}
    assert (is_open_text("text", "wil stoppen"), is_open_text("choice", "ke2"),
            is_open_text(None, "7"), is_open_text(None, "ke1, ke3"),
            is_open_text(None, "mijn zoon"), is_open_text("text", "")) == (
        True, False, False, False, True, False)


def test_forget_blanks_accented_names_in_any_case_on_both_databases(rt):
    from sqlmodel import select

    from quickcrm.crm.models import Note
    from quickcrm.crm.notes import add_note
    from quickcrm.privacy.erasure import forget
    from quickcrm.store.models import Event, Person

    add_clients(rt, {"number": "000001", "email": "s.ozturk@voorbeeld.nl"},
                {"number": "000002"})
    with rt.session() as s:
        me = s.exec(select(Person).where(Person.email == "s.ozturk@voorbeeld.nl")).one()
        me.first_name, me.last_name = "Şükrü", "Öztürk"
        s.add(me)
        s.commit()
        other = _person(rt, "000002")
        add_note(session=s, actor=rt.actor, now=rt.clock.now(), person_id=other.id,
                 title="ÖZTÜRK belde", text="Met şükrü öztürk gesproken; 100% zeker_")
    done = forget(rt=rt, person="s.ozturk@voorbeeld.nl")
    assert done.scrubbed == {"note": 1, "event": 1}  # the note, and its event's title
    with rt.session(read_only=True) as s:
        [note] = s.exec(select(Note)).all()
        texts = [e.details for e in s.exec(select(Event)).all()]
    assert not [t for t in texts if "öztürk" in t.lower() or "şükrü" in t.lower()]
    assert (note.title, note.text) == (" belde", "Met  gesproken; 100% zeker_")


def test_export_leaves_amounts_out_for_a_reader_without_revenue():
    from quickcrm.privacy.access import _details

    text = json.dumps({"product": "jaarrekening", "amount": 1250.0,
                       "changes": {"revenue": [1, 2], "city": ["A", "B"]}})
    assert _details(text, revenue=False) == {"product": "jaarrekening",
                                             "changes": {"city": ["A", "B"]}}
    assert _details(text, revenue=True)["amount"] == 1250.0


def test_forget_a_landing_visitor_who_never_confirmed(rt):
    """An address no person has but a landing visitor gave: forget blanks the visit, its
    open answer and the confirmation e-mail (row kept, text gone)."""
    from sqlmodel import select

    from quickcrm.landing.models import LandingPage, LandingVisitor
    from quickcrm.mail.models import OutboxBody, OutboxMessage
    from quickcrm.mail.outbox import queue_message
    from quickcrm.privacy.erasure import forget
    from quickcrm.quickscans.answers import Respondent, save_answer
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.quickscans.models import Answer

    now = rt.clock.now()
    with rt.session() as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=now)
        page = LandingPage(slug="scan", quickscan_id=qs.id, secret="s", created_at=now)
        s.add(page)
        s.flush()
        visit = LandingVisitor(page_id=page.id, token="t" * 40, secret="s",
                               confirm_token="c" * 40, first_name="Piet", last_name="Prospect",
                               company="Prospectbouw", email="piet@prospectbouw.example",
                               consent_text="Ja", consent_at=now, started_at=now)
        s.add(visit)
        s.flush()
        save_answer(s, Respondent(landing_visitor_id=visit.id), question_id="toelichting",
                    value="Piet wil groeien", now=now)
        save_answer(s, Respondent(landing_visitor_id=visit.id), question_id="leeftijd",
                    value="ke2", now=now)
        queue_message(s, kind="landing_confirm", ref=f"landing:{visit.id}",
                      to="Piet Prospect <piet@prospectbouw.example>",
                      from_="Kantoor <info@kantoor.example>", subject="Bevestig uw adres, Piet",
                      text="Beste Piet, bevestig uw adres.", sender="bounce@kantoor.example",
                      now=now)
        s.commit()
    from quickcrm.privacy.access import export

    with rt.session() as s:
        out = export(session=s, actor=rt.actor, now=now, person="piet@prospectbouw.example",
                     out=Path("piet.zip"), files_root=Path("files"))
    assert out.person_id is None
    with zipfile.ZipFile("piet.zip") as z:
        doc = json.loads(z.read("person.json"))
        assert len([n for n in z.namelist() if n.endswith(".eml")]) == 1  # the confirmation
    assert doc["person"] is None
    assert [a["value"] for a in doc["landing_visits"][0]["answers"]] == ["Piet wil groeien",
                                                                        "ke2"]
    done = forget(rt=rt, person="PIET@prospectbouw.example")
    assert done.person_id is None and "person" not in done.deleted
    assert done.blanked == {"landing_visitor": 1, "answer": 1, "outbox_message": 1}
    assert done.deleted == {"outbox_body": 1}
    with rt.session(read_only=True) as s:
        [v] = s.exec(select(LandingVisitor)).all()
        assert (v.first_name, v.last_name, v.company, v.email, v.consent_at) == (
            "", "", "", "", now.replace(tzinfo=None) if v.consent_at.tzinfo is None else now)
        assert sorted(a.value for a in s.exec(select(Answer)).all()) == ["", "ke2"]
        [m] = s.exec(select(OutboxMessage)).all()
        assert (m.recipient, m.subject, s.exec(select(OutboxBody)).all()) == ("", "", [])


def test_forget_a_prospect_a_landing_visit_made(site):  # noqa: F811 - the fixture
    """A visitor who confirmed on a real landing page (mail through aiosmtpd) became a
    prospect relation of their own: forget keeps the relation but its company name loses
    their name, and nothing else holds their first name or address."""
    from test_landing_http import DETAILS, complete, register, visitors, wait_mail
    from test_landing_http import body as body_of
    from test_landing_http import csrf_of as landing_csrf

    from quickcrm.privacy.erasure import forget
    from quickcrm.store.models import Relation

    rt, client, smtp = site
    r = register(client)
    complete(client, r.headers["location"])
    [confirm] = wait_mail(smtp, 1)
    link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)", body_of(confirm)).group(1)
    page = client.get(link)
    client.post(link, data={"csrf": landing_csrf(page.text)})
    wait_mail(smtp, 4)
    [v] = visitors(rt)
    assert v.person_id and DETAILS["bedrijf"] == "Prospect Bouw B.V."
    done = forget(rt=rt, person=DETAILS["email"])
    assert done.deleted["person"] == 1 and done.blanked["landing_visitor"] == 1
    assert done.scrubbed["relation"] == 1 and done.redacted["event"] >= 2
    with rt.session(read_only=True) as s:
        relation = s.get(Relation, v.relation_id)
        assert (relation.number, relation.company, relation.stage) == (
            "LP000001", " Bouw B.V.", "prospect")
    word = re.compile(r"(?<!\w)piet(?!\w)|piet@prospectbouw\.example", re.IGNORECASE)
    assert [t for t in _row_texts(rt) if word.search(t)] == []
