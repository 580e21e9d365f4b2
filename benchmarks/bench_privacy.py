"""`privacy forget` of one person (issue 29 item 4) next to hand-written sqlite3, in one run.

The database: ``--relations`` relations (default 100,000) each with a campaign contact,
a campaign of ``--campaign`` (10,000) invited clients with three answers each (one an
open text) and two outbox messages each (invitation and the RM's copy, with their
texts), ``--events`` events (500,000, the issue's size) over the relations, a note on every tenth person;
a few other rows (notes, an exclusion reason, an import's ``changes``) name the person
forgotten. Each run forgets the same person in a fresh copy of that database file.

Side by side:
- QuickCRM: ``quickcrm.privacy.erasure.forget`` (finding the person and every row of
  theirs, the deletes and blanks, the free-text scan of every declared column, the
  event, the commit, ``wal_checkpoint(TRUNCATE)``); the runtime's bootstrap not timed;
- by ids: a hand-written sqlite3 script with the same DELETE/UPDATE statements by that
  person's ids, without the free-text scan (the issue's baseline; target within 5x);
- the same: that script plus a free-text scan done the hand-written way, SQL
  ``replace()`` over ``LIKE`` candidates of the same columns (case-sensitive, not word
  by word; target within 3x);
- and ``privacy export`` of that person next to what ``person show`` reads
  (``person_card``) plus reading their outbox texts (the issue's target: within 3x).

Both run with secure_delete on and end with the checkpoint. Best of ``--repeat`` runs,
wall and CPU (this process: both run in it). ``--quick``: 10,000 relations, a campaign of
1,000 and 20,000 events.

Usage: python benchmarks/bench_privacy.py [--quick] [--relations N] [--campaign N]
       [--events N] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Timing = tuple[float, float]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RNG = random.Random(29)
TARGET = 500  # the relation whose contact is forgotten: 000500
FIRST, LAST = "Wilhelmina", "Zonnebloem"
EMAIL = "w.zonnebloem@voorbeeld.nl"
BODY = (b"From: RM <rm@kantoor.example>\r\nSubject: Uitnodiging\r\n\r\n" + b"x" * 2000)


def build(db: Path, relations: int, campaign: int, n_events: int) -> None:
    """The database, written with SQLAlchemy Core in batches (not timed)."""
    from sqlalchemy import insert

    from quickcrm import events
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
    from quickcrm.crm.models import Note
    from quickcrm.mail.models import OutboxBody, OutboxMessage
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.quickscans.models import Answer
    from quickcrm.store.models import Person, Relation, Team

    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    admin = rt.actor.id
    with rt.session() as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=NOW)
        team = Team(name="Utrecht")
        s.add(team)
        s.flush()
        conn = s.connection()

        def many(model: object, rows: list[dict[str, object]]) -> None:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]

        many(Relation, [{"id": i, "number": f"{i:06d}", "company": f"Bedrijf {i} B.V.",
                         "team_id": team.id, "rm_id": admin, "created_at": NOW,
                         "updated_at": NOW} for i in range(1, relations + 1)])
        people = []
        for i in range(1, relations + 1):
            first, last = ("Klant", f"Achternaam{i}") if i != TARGET else (FIRST, LAST)
            people.append({"id": i, "relation_id": i, "first_name": first, "last_name": last,
                           "email": EMAIL if i == TARGET else f"klant{i}@example.nl",
                           "campaign_contact": True, "created_at": NOW, "updated_at": NOW})
        many(Person, people)
        camp = Campaign(name="Voorjaar", quickscan_id=qs.id, coordinator_id=admin,
                        status="sent", created_at=NOW, sent_at=NOW)
        s.add(camp)
        s.flush()
        invited = sorted({TARGET, *RNG.sample(range(1, relations + 1), campaign - 1)})
        many(CampaignClient, [{"id": i, "campaign_id": camp.id, "relation_id": r,
                               "relation_number": f"{r:06d}", "person_id": r,
                               "first_name": people[r - 1]["first_name"],
                               "last_name": people[r - 1]["last_name"],
                               "email": people[r - 1]["email"], "rm_id": admin}
                              for i, r in enumerate(invited, 1)])
        many(Invitation, [{"id": i, "campaign_id": camp.id, "campaign_client_id": i,
                           "relation_id": r, "token": f"t{i:040d}", "preview_token": f"p{i:040d}",
                           "invited_at": NOW, "delivered_at": NOW}
                          for i, r in enumerate(invited, 1)])
        answers = []
        for i, r in enumerate(invited, 1):
            text = f"{FIRST} wil stoppen" if r == TARGET else f"toelichting {i}"
            for qid, value in (("toelichting", text), ("leeftijd", "ke1"),
                               ("voorbereiding", str(i % 10))):
                answers.append({"invitation_id": i, "question_id": qid, "value": value,
                                "answered_at": NOW})
        many(Answer, answers)
        messages, bodies = [], []
        for i, r in enumerate(invited, 1):
            for kind, to in (("invitation", people[r - 1]["email"]),
                             ("rm_copy", "rm@kantoor.example")):
                mid = f"<{kind}-{i}@kantoor.example>"
                messages.append({"kind": kind, "ref": f"invitation:{i}", "message_id": mid,
                                 "sender": "bounce@kantoor.example", "recipient": to,
                                 "subject": f"Uitnodiging {people[r - 1]['last_name']}",
                                 "status": "sent", "created_at": NOW, "queued_at": NOW,
                                 "next_attempt_at": NOW, "sent_at": NOW})
                bodies.append({"message_id": mid, "body": BODY})
        many(OutboxMessage, messages)
        many(OutboxBody, bodies)
        many(Note, [{"person_id": i, "title": "Gesprek", "created_at": NOW,
                     "text": (f"{FIRST} {LAST} belde" if i == TARGET + 1 else f"notitie {i}")}
                    for i in range(1, relations + 1, 10)] + [
            {"person_id": TARGET, "title": "Eigen", "text": "over de zaak", "created_at": NOW}])
        conn.execute(insert(Exclusion.__table__), [{  # type: ignore[attr-defined]
            "campaign_id": camp.id, "relation_number": "000007",
            "reason": f"buurman van {LAST}", "created_at": NOW}])
        entries = []
        for i in range(n_events):
            r = TARGET if i % (n_events // 20 or 1) == 0 else RNG.randint(1, relations)
            details = ({"changes": {"contact": [f"{FIRST} {LAST}", "Piet"]}}
                       if i == 7 else {"note": f"contact {i}", "campaign_id": camp.id})
            entries.append(events.Entry(kind=events.CONTACT_HISTORIE, relation_id=r,
                                        person_id=r, user_id=admin, details=details,
                                        at=NOW - timedelta(minutes=i)))
        for i in range(0, len(entries), 20_000):
            events.record_many(s, entries[i:i + 20_000], at=NOW)
        s.commit()
    rt.close()
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


def copy_db(base: Path, to: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{to}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, to)


def run_quickcrm(db: Path) -> Timing:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.privacy.erasure import forget

    rt = bootstrap(database_url=f"sqlite:///{db}",
                   env={"QUICKCRM_SMTP_URL": f"maildir:{db.parent / 'outbox'}",
                        "QUICKCRM_FILES_DIR": str(db.parent / "files")})
    _ = rt.actor
    with rt.session(read_only=True) as s:  # warm the pool, as any command would
        s.connection()
    wall, cpu = time.perf_counter(), time.process_time()
    done = forget(rt=rt, person=f"relation:{TARGET:06d}")
    took = time.perf_counter() - wall, time.process_time() - cpu
    assert done.deleted.get("person") == 1, done
    rt.close()
    return took


CHILDREN = ("person_key", "property_value", "person_indicator", "note", "signal",
            "person_link", "risk_classification", "identification", "stored_file",
            "person_email", "dossier_applicant")


def run_by_hand(db: Path, scan: bool) -> Timing:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    pid, rid, email = conn.execute(
        "SELECT p.id, p.relation_id, lower(p.email) FROM person p JOIN relation r "
        "ON r.id = p.relation_id WHERE r.number = ? AND p.campaign_contact = 1",
        (f"{TARGET:06d}",)).fetchone()
    clients = [r[0] for r in conn.execute(
        "SELECT id FROM campaign_client WHERE person_id = ?", (pid,))]
    marks = ",".join("?" * len(clients))
    invitations = [r[0] for r in conn.execute(
        f"SELECT id FROM invitation WHERE campaign_client_id IN ({marks})", clients)]
    refs = [f"invitation:{i}" for i in invitations] + [f"person:{pid}"]
    rmarks = ",".join("?" * len(refs))
    imarks = ",".join("?" * len(invitations))
    messages = [r[0] for r in conn.execute(
        f"SELECT message_id FROM outbox_message WHERE ref IN ({rmarks}) OR lower(recipient) = ?",
        [*refs, email])]
    mmarks = ",".join("?" * len(messages))
    conn.execute(f"DELETE FROM outbox_body WHERE message_id IN ({mmarks})", messages)
    conn.execute(f"UPDATE outbox_message SET recipient = '', subject = '', last_error = '', "
                 f"bounce_reason = '' WHERE message_id IN ({mmarks})", messages)
    conn.execute(f"UPDATE answer SET value = '' WHERE invitation_id IN ({imarks}) "
                 "AND question_id = 'toelichting'", invitations)
    contacts = [r[0] for r in conn.execute(
        "SELECT id FROM project_contact WHERE person_id = ?", (pid,))]
    cmarks = ",".join("?" * len(contacts))
    conn.execute(f"DELETE FROM step_taken WHERE contact_id IN ({cmarks})", contacts)
    conn.execute("DELETE FROM appointment WHERE person_id = ?", (pid,))
    conn.execute("DELETE FROM project_contact WHERE person_id = ?", (pid,))
    for table in CHILDREN:
        conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (pid,))
    conn.execute("DELETE FROM person_pair WHERE person_id = ? OR other_id = ?", (pid, pid))
    conn.execute(f"UPDATE campaign_client SET first_name = '', last_name = '', email = '', "
                 f"person_id = NULL WHERE id IN ({marks})", clients)
    conn.execute(f"UPDATE invitation SET bounce_reason = '', failed_reason = '', "
                 f"copy_refused_reason = '' WHERE id IN ({imarks})", invitations)
    conn.execute("UPDATE landing_visitor SET first_name = '', last_name = '', company = '', "
                 "email = '', address_hash = '', person_id = NULL "
                 "WHERE person_id = ? OR lower(email) = ?", (pid, email))
    conn.execute("UPDATE event SET details = '{\"redacted\": true}' WHERE person_id = ?", (pid,))
    conn.execute("DELETE FROM person WHERE id = ?", (pid,))
    if scan:
        terms = [EMAIL, f"{FIRST} {LAST}", LAST, FIRST]
        for table, columns in (("note", ("title", "text")), ("signal", ("title",)),
                               ("exclusion", ("reason",)), ("answer", ("value",)),
                               ("event", ("details",)), ("risk_classification", ("motivation",)),
                               ("step_taken", ("note",)),
                               ("appointment", ("title", "place", "cancel_reason")),
                               ("person_email", ("subject", "body")),
                               ("outbox_message", ("subject", "last_error", "bounce_reason")),
                               ("invitation", ("bounce_reason", "failed_reason",
                                               "copy_refused_reason")),
                               ("property_value", ("value",)), ("saved_query", ("conditions",)),
                               ("attention_result", ("result",))):
            sets, where, args_set, args_where = [], [], [], []
            for c in columns:
                expr = c
                for t in terms:
                    expr = f"replace({expr}, ?, '')"
                    args_set.append(t)
                sets.append(f"{c} = {expr}")
                for t in terms:
                    where.append(f"{c} LIKE ?")
                    args_where.append(f"%{t}%")
            conn.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {' OR '.join(where)}",
                         [*args_set, *args_where])
    conn.execute("INSERT INTO event (at, kind, details) VALUES (?, 'privacy.forgotten', ?)",
                 (NOW.isoformat(), json.dumps({"forgotten_person_id": pid})))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return took


def run_export(db: Path) -> Timing:
    """``privacy export`` of the same person (zip written, event committed)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.privacy.access import export

    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    actor = rt.actor
    with rt.session(read_only=True) as s:
        s.connection()
    wall, cpu = time.perf_counter(), time.process_time()
    with rt.session() as s:
        done = export(session=s, actor=actor, now=NOW, person=f"relation:{TARGET:06d}",
                      out=db.parent / "export.zip", files_root=db.parent / "files")
    took = time.perf_counter() - wall, time.process_time() - cpu
    assert done.counts["emails"] == 2, done
    rt.close()
    return took


def run_card_and_bodies(db: Path) -> Timing:
    """What ``person show`` reads (``person_card``) plus their outbox texts, by hand."""
    from sqlalchemy import or_, select
    from sqlmodel import col

    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.persons import person_card
    from quickcrm.mail.models import OutboxBody, OutboxMessage

    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    _ = rt.actor
    with rt.session(read_only=True) as s:
        s.connection()
    wall, cpu = time.perf_counter(), time.process_time()
    refs = _refs(db)
    with rt.session(read_only=True) as s:
        card = person_card(session=s, person_id=TARGET)
        bodies = s.execute(select(col(OutboxBody.body)).join(
            OutboxMessage, col(OutboxMessage.message_id) == col(OutboxBody.message_id))
            .where(or_(col(OutboxMessage.recipient) == EMAIL,
                       col(OutboxMessage.ref).in_([*refs, f"person:{TARGET}"])))
        ).scalars().all()
    took = time.perf_counter() - wall, time.process_time() - cpu
    assert card and len(bodies) == 2, len(bodies)  # the invitation and the RM copy
    rt.close()
    return took


def _refs(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute(
        "SELECT i.id FROM invitation i JOIN campaign_client c ON c.id = i.campaign_client_id "
        "WHERE c.person_id = ?", (TARGET,))]
    conn.close()
    return [f"invitation:{i}" for i in ids]


def best(label: str, repeat: int, base: Path, work: Path,
         fn: Callable[[Path], Timing]) -> Timing:
    runs = []
    for i in range(repeat):
        db = work / f"run-{label.split()[0]}-{i}.db"
        copy_db(base, db)
        runs.append(fn(db))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"  {label:<58} wall {wall * 1000:8.1f} ms   cpu {cpu * 1000:8.1f} ms")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--relations", type=int, default=None)
    parser.add_argument("--campaign", type=int, default=None)
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    opts = parser.parse_args()
    relations = opts.relations or (10_000 if opts.quick else 100_000)
    campaign = opts.campaign or (1_000 if opts.quick else 10_000)
    n_events = opts.events or (20_000 if opts.quick else 500_000)
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-bench-privacy-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / f"base-{relations}-{campaign}-{n_events}.db"
    if not base.exists():
        t = time.perf_counter()
        build(base, relations, campaign, n_events)
        print(f"built {base} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    print(f"data: {relations:,} relations, a campaign of {campaign:,} answered invitations, "
          f"{n_events:,} events; best of {opts.repeat} runs on a fresh copy each")
    q = best("quickcrm privacy forget (service call)", opts.repeat, base, work, run_quickcrm)
    ids = best("hand-written sqlite3, by the person's ids", opts.repeat, base, work,
               lambda db: run_by_hand(db, scan=False))
    same = best("hand-written sqlite3, by ids + replace() free-text scan", opts.repeat, base,
                work, lambda db: run_by_hand(db, scan=True))
    exported = best("quickcrm privacy export (service call, zip + event)", opts.repeat, base,
                    work, run_export)
    card = best("person show's card + their outbox texts", opts.repeat, base, work,
                run_card_and_bodies)
    for label, mine, other, target in (
            ("forget vs by ids", q, ids, 5), ("forget vs the same with scan", q, same, 3),
            ("export vs card + texts", exported, card, 3)):
        ratio_w, ratio_c = mine[0] / other[0], mine[1] / other[1]
        verdict = "met" if ratio_w <= target else "MISSED"
        print(f"  {label}: wall {ratio_w:.2f}x, cpu {ratio_c:.2f}x "
              f"(target <= {target}x, wall: {verdict})")
    if not opts.dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
