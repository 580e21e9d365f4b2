"""Selection benchmark (issue 15): ``select`` on 1,000,000 clients with faces (SQLite),
with two refinements that keep about 10% of them, measured side by side in one run:

(a) the service function ``select_clients`` in-process (it first lets
    ``compute_profile_faces`` look for stale profile faces, which with nothing stale is a
    few index seeks and counts, then counts step 1's totals in one pass over every
    client's faces and contact (less a small count over the non-clients and the earlier
    recipients), then writes step 2 with one INSERT ... SELECT; per team and RM from
    step 2);
(b) a hand-written SQL script (sqlite3) that applies the same rules (step 1: never
    received, faces, no e-mail, opted out; the two refinements) and writes the same
    campaign_client rows; target: (a) at most 3x (b). The script's connection has
    sqlite3's defaults, so it skips the foreign-key checks the application's
    connections make on every row it deletes and writes;
(c) the whole CLI command in a subprocess: ``quickcrm select ... --db sqlite:///...``.

Usage: python benchmarks/bench_select.py [--clients 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

TEAMS, RMS = 12, 200
REFINE = {"industry": ["1", "2"], "size": ["1", "2", "3"]}  # 2/13 * 3/4 ~ 11.5% before step 1
STAMP = "2026-11-02 00:00:00.000000"  # faces written after the clients and rules changed
OLDER = "2026-10-01 00:00:00.000000"

SCRIPT = """
INSERT INTO campaign_client (campaign_id, relation_id, relation_number, person_id, first_name,
    last_name, email, company, team_name, rm_id, profile_face, update_face, rm_face)
SELECT :cid, r.id, r.number, p.id, p.first_name, p.last_name, p.email, r.company,
       COALESCE(t.name, ''), r.rm_id, f.profile_face, f.update_face, f.rm_face
FROM relation r
JOIN person p ON p.relation_id = r.id AND p.campaign_contact = 1
LEFT JOIN face f ON f.relation_id = r.id AND f.quickscan_id = :qs
LEFT JOIN team t ON t.id = r.team_id
WHERE r.stage = 'customer'
  AND r.industry IN ('1', '2') AND r.size IN ('1', '2', '3')
  AND f.received_at IS NULL
  AND r.id NOT IN (SELECT e.relation_id FROM campaign_client e JOIN campaign c
                   ON c.id = e.campaign_id
                   WHERE c.quickscan_id = :qs AND c.sent_at IS NOT NULL AND c.id != :cid
                     AND NOT EXISTS (SELECT 1 FROM invitation i WHERE i.campaign_client_id = e.id
                                     AND i.bounced_at IS NOT NULL))
  AND COALESCE(f.profile_face, '2') IN ('1', '2')
  AND COALESCE(f.update_face, '2') IN ('1', '2')
  AND COALESCE(f.rm_face, '2') IN ('1', '2')
  AND p.opted_out = 0
  AND p.email LIKE '_%@_%._%' AND p.email NOT LIKE '%@%@%' AND p.email NOT LIKE '% %'
"""

# What the service reports beside writing the rows: step 1's totals, which need every
# client joined with its faces and contact (the script above touches only ~11% of them).
COUNTS = """
SELECT count(*), sum(p.opted_out = 1),
       sum(p.opted_out != 1 AND p.email LIKE '_%@_%._%' AND p.email NOT LIKE '%@%@%'
           AND p.email NOT LIKE '% %')
FROM relation r
LEFT JOIN face f ON f.relation_id = r.id AND f.quickscan_id = :qs
LEFT JOIN person p ON p.relation_id = r.id AND p.campaign_contact = 1
WHERE r.stage = 'customer' AND f.received_at IS NULL
  AND r.id NOT IN (SELECT e.relation_id FROM campaign_client e JOIN campaign c
                   ON c.id = e.campaign_id
                   WHERE c.quickscan_id = :qs AND c.sent_at IS NOT NULL AND c.id != :cid)
  AND COALESCE(f.profile_face, '2') IN ('1', '2')
  AND COALESCE(f.update_face, '2') IN ('1', '2')
  AND COALESCE(f.rm_face, '2') IN ('1', '2')
"""


def face(rng: random.Random) -> str | None:
    x = rng.random()
    return None if x < 0.05 else "3" if x < 0.10 else "2" if x < 0.45 else "1"


def generate(db: Path, n: int, qs_id: int) -> None:
    """Teams, RMs, n clients with a campaign contact and faces, straight into SQLite."""
    rng = random.Random(42)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    con.executemany("INSERT INTO team (id, name) VALUES (?, ?)",
                    [(i, f"Team {i}") for i in range(1, TEAMS + 1)])
    con.executemany(
        "INSERT INTO app_user (id, email, first_name, last_name, initials, signature, team_id,"
        " active, created_at) VALUES (?, ?, 'Rm', ?, 'R.', '', ?, 1, ?)",
        [(1000 + i, f"rm{i}@kantoor.example", f"Nummer {i}", 1 + i % TEAMS, OLDER)
         for i in range(RMS)])
    con.executemany("INSERT INTO user_right (user_id, right) VALUES (?, 'relationship-manager')",
                    [(1000 + i,) for i in range(RMS)])
    own, grp = "ABCDEFGHI", "ABCD"

    def relations():  # type: ignore[no-untyped-def]
        for i in range(1, n + 1):
            rm = rng.randrange(RMS)
            yield (i, f"{i:07d}", f"Bedrijf {i} B.V.", str(rng.randint(1, 13)),
                   str(rng.randint(1, 4)), own[rng.randrange(9)], grp[rng.randrange(4)],
                   1 + rm % TEAMS, 1000 + rm, "customer" if rng.random() < 0.97 else "ex-customer",
                   OLDER, OLDER, OLDER)

    con.executemany(
        "INSERT INTO relation (id, number, company, address, postcode, city, industry, size,"
        " ownership, client_group, team_id, rm_id, stage, created_at, updated_at, segments_at)"
        " VALUES (?, ?, ?, '', '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", relations())

    def persons():  # type: ignore[no-untyped-def]
        for i in range(1, n + 1):
            x = rng.random()
            email = "" if x < 0.02 else "geen adres" if x < 0.03 else f"klant{i}@example.nl"
            yield (i, i, "Klant", f"Nummer {i}", email, int(rng.random() < 0.01), OLDER)

    con.executemany(
        "INSERT INTO person (id, relation_id, first_name, last_name, email, phone, opted_out,"
        " campaign_contact, created_at) VALUES (?, ?, ?, ?, ?, '', ?, 1, ?)", persons())

    def faces():  # type: ignore[no-untyped-def]
        for i in range(1, n + 1):
            received = OLDER if rng.random() < 0.02 else None
            yield (i, qs_id, rng.choice("1112"), STAMP, face(rng), STAMP, face(rng), STAMP,
                   received)

    con.executemany(  # profile faces as computed ones (profile_computed), the harder case
        "INSERT INTO face (relation_id, quickscan_id, profile_face, profile_at, update_face,"
        " update_at, rm_face, rm_at, received_at, profile_computed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", faces())
    con.commit()
    con.execute("ANALYZE")
    con.close()


def setup(db: Path) -> tuple[int, list[int]]:
    """A migrated database with the shipped QuickScans, an earlier sent campaign and three
    draft campaigns (service, script, CLI). Returns the QuickScan id and campaign ids."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.campaign import create_campaign
    from quickcrm.clock import FixedClock

    rt = bootstrap(database_url=f"sqlite:///{db}", env={},
                   clock=FixedClock(datetime(2026, 11, 1, tzinfo=UTC)))
    ids = []
    with rt.session() as s:
        for name in ("Eerder", "Service", "Script", "Cli"):
            ids.append(create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name=name,
                                       quickscan="bedrijfsopvolging",
                                       coordinator="admin@quickcrm.example").id)
    with rt.engine.connect() as conn:
        qs_id = conn.exec_driver_sql(
            "SELECT id FROM quickscan WHERE key = 'bedrijfsopvolging'").scalar_one()
    rt.close()
    return int(qs_id), ids


def mark_earlier_sent(db: Path, campaign_id: int) -> None:
    """1% of clients were in an earlier campaign of the same QuickScan that went out."""
    con = sqlite3.connect(db)
    con.execute("INSERT INTO campaign_client (campaign_id, relation_id, relation_number,"
                " first_name, last_name, email, company, team_name)"
                " SELECT ?, id, number, '', '', '', '', '' FROM relation WHERE id % 100 = 7",
                (campaign_id,))
    con.execute("UPDATE campaign SET status = 'sent', sent_at = ? WHERE id = ?", (OLDER, campaign_id))
    con.commit()
    con.close()


def run_service(db: Path, qs_id: int) -> tuple[float, float, int]:
    """(seconds for select_clients, of which compute_profile_faces alone, step 2)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.faces import compute_profile_faces

    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    actor = rt.actor
    with rt.session() as s:
        start = time.perf_counter()
        compute_profile_faces(session=s, quickscan_id=qs_id, now=rt.clock.now())
        faces = time.perf_counter() - start
        s.rollback()
    from quickcrm.campaigns.selection import select_clients

    with rt.session() as s:
        start = time.perf_counter()
        out = select_clients(session=s, actor=actor, now=rt.clock.now(), campaign="Service",
                             criteria=Refinements(**REFINE))
        took = time.perf_counter() - start
    rt.close()
    return took, faces, out.step2


def run_script(db: Path, qs_id: int, campaign_id: int, counts: bool = False) -> tuple[float, int]:
    """The hand-written script; with ``counts`` it also computes step 1's totals."""
    con = sqlite3.connect(db, isolation_level=None)
    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    if counts:
        con.execute(COUNTS, {"cid": campaign_id, "qs": qs_id}).fetchall()
    con.execute("DELETE FROM campaign_client WHERE campaign_id = ?", (campaign_id,))
    rows = con.execute(SCRIPT, {"cid": campaign_id, "qs": qs_id}).rowcount
    con.execute("COMMIT")
    took = time.perf_counter() - start
    con.close()
    return took, rows


def run_cli(db: Path) -> float:
    args = [sys.executable, "-m", "quickcrm", "select", "Cli", "--db", f"sqlite:///{db}", "--json"]
    for name, values in REFINE.items():
        for v in values:
            args += [f"--{name}", v]
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def same_rows(db: Path, a: int, b: int) -> bool:
    con = sqlite3.connect(db)
    cols = "relation_id, person_id, email, company, team_name, rm_id, profile_face, update_face, rm_face"
    diff = con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM campaign_client WHERE campaign_id = ?"
        f" EXCEPT SELECT {cols} FROM campaign_client WHERE campaign_id = ?)", (a, b)).fetchone()[0]
    diff += con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM campaign_client WHERE campaign_id = ?"
        f" EXCEPT SELECT {cols} FROM campaign_client WHERE campaign_id = ?)", (b, a)).fetchone()[0]
    con.close()
    return diff == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the database here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "bench_select.db"
        db.unlink(missing_ok=True)
        qs_id, (earlier, service_id, script_id, _cli) = setup(db)
        start = time.perf_counter()
        generate(db, args.clients, qs_id)
        mark_earlier_sent(db, earlier)
        print(f"generated {args.clients:,} clients with contacts and faces in "
              f"{time.perf_counter() - start:.1f} s")
        script_times, counted_times, service_times, faces_times = [], [], [], []
        for _ in range(3):  # alternate, best of three: same cache state for both
            t, script_rows = run_script(db, qs_id, script_id)
            script_times.append(t)
            counted_times.append(run_script(db, qs_id, script_id, counts=True)[0])
            t, f, service_rows = run_service(db, qs_id)
            service_times.append(t)
            faces_times.append(f)
        cli = run_cli(db)
        best_script, best_service = min(script_times), min(service_times)
        print(f"selected (step 2): service {service_rows:,}, script {script_rows:,} "
              f"({service_rows / args.clients:.1%}); same rows: {same_rows(db, service_id, script_id)}")
        print(f"hand-written SQL script:       {best_script:6.3f} s")
        print(f"select_clients (in-process):   {best_service:6.3f} s   "
              f"ratio {best_service / best_script:.2f}x (target <= 3x)")
        faces = min(faces_times)
        print(f"  of which compute_profile_faces (nothing stale): {faces:.3f} s")
        counted = min(counted_times)
        print(f"script + step-1 totals (same work as the service but the face refresh): "
              f"{counted:.3f} s; service without the face refresh vs that: "
              f"{(best_service - faces) / counted:.2f}x")
        print(f"quickcrm select (subprocess):  {cli:6.2f} s   "
              f"ratio {cli / best_script:.2f}x")


if __name__ == "__main__":
    main()
