"""Person CRM benchmarks (issue 26), measured side by side in one run.

(a) search: ``--persons`` persons (default 1,000,000); the median of 200 `person search`
    calls (``search_persons``, a fresh session each) next to the same range lookups in a
    hand-written sqlite3 script on an indexed key table (count of matches, the first 50
    ids, their names) (target: within 3x);
(b) the query manager's 3-filter query ``industry = 7``, ``indicator has lead``,
    ``product has hypotheek`` (latest dossier) next to one hand-written SQL statement
    with the same meaning on the same database (target: within 2x);
(c) ``import persons`` of ``--import-rows`` rows (default 100,000) next to the same with
    ``--no-duplicate-check`` (target: within 3x);
(d) ``person duplicates`` over ``--dup-persons`` persons (default 100,000) with 1,000
    planted pairs (a typo, a dropped accent, swapped names or another spelling, each with
    the same birth date or address): recall >= 95%, precision >= 90%.

The machine may be loaded (other work shares its cores): figures are medians or best of
runs, printed with wall time; the ratios are what the targets are about.

Usage: python benchmarks/bench_persons.py [--persons 1000000] [--import-rows 100000]
       [--dup-persons 100000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from quickcrm.sample_names import FIRST_NAMES, STREETS, SURNAMES

RNG = random.Random(26)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACCENTED = ("Zoë", "Çelik", "Ölçer", "Anaïs", "Søren", "Noël", "Chloé", "Ruben", "Ibrahim",
            "Yıldız", "Đorđević", "Łukasz", "Müller", "Ángel", "Björn")


def _surnames() -> list[str]:
    """A few thousand surnames: the sample's, with tussenvoegsels, compounds and suffixes,
    so that a search sees the spread of a real client file."""
    base = [f"{tv} {s}".strip() for tv, s in SURNAMES] + list(ACCENTED)
    out = list(base)
    for a in base:
        for suffix in ("", "s", "e", "ink", "man", "er", "sma", "stra"):
            out.append(a + suffix)
    for _ in range(3000):
        out.append(f"{RNG.choice(base)}-{RNG.choice(base).split()[-1]}")
    return sorted(set(out))


SURNAME_LIST = _surnames()
FIRST_LIST = list(FIRST_NAMES) + list(ACCENTED)


def person_rows(n: int) -> list[tuple[str, str, str, str, str, str, date]]:
    rows = []
    for i in range(n):
        first, last = RNG.choice(FIRST_LIST), RNG.choice(SURNAME_LIST)
        email = f"{first[0].lower()}.{last.split()[-1].lower()}{i}@mail.example"
        address = f"{RNG.choice(STREETS)} {RNG.randint(1, 300)}"
        postcode = f"{RNG.randint(1000, 9999)} {RNG.choice('ABCDEFGHJKLMNPRSTVWXZ')}" \
                   f"{RNG.choice('ABCDEFGHJKLMNPRSTVWXZ')}"
        dob = date(1940, 1, 1) + timedelta(days=RNG.randint(0, 60 * 365))
        rows.append((first, last, email, address, postcode, "Zwolle", dob))
    return rows


def fresh_db(path: Path) -> object:
    from quickcrm.bootstrap import bootstrap

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return bootstrap(database_url=f"sqlite:///{path}", env={})


def fill(rt: object, n: int) -> None:
    """``n`` persons (a fifth of them contacts of 100,000 relations), their keys through the
    one helper, indicators and dossiers with products. Setup: not timed against anything."""
    from quickcrm.crm import search_keys

    relations = min(100_000, max(1, n // 10))
    started = time.perf_counter()
    with rt.session() as s:  # type: ignore[attr-defined]
        conn = s.connection()
        conn.exec_driver_sql(
            "INSERT INTO relation (number, company, address, postcode, city, industry, stage, "
            "created_at, updated_at) VALUES (?, ?, '', '', '', ?, 'customer', ?, ?)",
            [(f"{i:07d}", f"Bedrijf {i}", str(RNG.randint(1, 13)), NOW, NOW)
             for i in range(1, relations + 1)])
        rows = person_rows(n)
        for start in range(0, n, 50_000):
            part = rows[start:start + 50_000]
            top = search_keys.top_person_id(conn)
            conn.exec_driver_sql(
                "INSERT INTO person (relation_id, first_name, last_name, email, phone, "
                "opted_out, campaign_contact, address, postcode, city, label, party_type, "
                "address_key, date_of_birth, created_at, updated_at) VALUES "
                "(?, ?, ?, ?, '', 0, 0, ?, ?, ?, '', '', ?, ?, ?, ?)",
                [(RNG.randint(1, relations) if RNG.random() < 0.2 else None, f, ln, e, a, pc, c,
                  search_keys.address_key(a, pc), dob, NOW, NOW)
                 for f, ln, e, a, pc, c, dob in part])
            search_keys.keys_since(conn, top)
        conn.exec_driver_sql("INSERT INTO indicator (name, show_in_dossier) VALUES ('Lead', 0)")
        conn.exec_driver_sql("INSERT INTO person_indicator (person_id, indicator_id) "
                             "SELECT id, 1 FROM person WHERE id % 10 = 3")
        conn.exec_driver_sql(
            "INSERT INTO dossier (number, created_at) SELECT 'D' || id, ? FROM person "
            "WHERE id % 3 = 0", (NOW,))
        conn.exec_driver_sql(
            "INSERT INTO dossier (number, created_at) SELECT 'E' || id, ? FROM person "
            "WHERE id % 6 = 0", (NOW + timedelta(days=30),))
        conn.exec_driver_sql("INSERT INTO dossier_applicant (dossier_id, person_id, position) "
                             "SELECT id, CAST(substr(number, 2) AS INTEGER), 1 FROM dossier")
        conn.exec_driver_sql(
            "INSERT INTO dossier_product (dossier_id, type, status) SELECT id, CASE "
            "WHEN id % 2 = 0 THEN 'hypotheek' ELSE 'woonlastenverzekering' END, '' FROM dossier")
        conn.exec_driver_sql(
            "INSERT INTO dossier_product (dossier_id, type, status) SELECT id, 'hypotheek', '' "
            "FROM dossier WHERE id % 5 = 1")
        s.commit()
        conn = s.connection()
        conn.exec_driver_sql("ANALYZE")
        s.commit()
    print(f"  setup: {n:,} persons with keys, indicators and dossiers in "
          f"{time.perf_counter() - started:.0f} s")


def prefixes(k: int) -> list[str]:
    from quickcrm.crm.search_keys import words

    out = []
    for _ in range(k):
        name = RNG.choice([RNG.choice(FIRST_LIST), RNG.choice(SURNAME_LIST)])
        word = RNG.choice(words(name))
        out.append(word[:RNG.randint(3, max(3, len(word)))])
    return out


def bench_search(rt: object, db: Path, work: Path) -> None:
    from quickcrm.crm.persons import search_persons
    from quickcrm.crm.search_keys import prefix_range

    texts = prefixes(200)
    ours = []
    totals = []
    for text in texts:
        t = time.perf_counter()
        with rt.session(read_only=True) as s:  # type: ignore[attr-defined]
            found = search_persons(session=s, text=text, limit=50)
        ours.append(time.perf_counter() - t)
        totals.append(found["total"])
    hand = work / "keys.db"
    hand.unlink(missing_ok=True)
    con = sqlite3.connect(hand)
    con.execute("CREATE TABLE k (key TEXT, person_id INTEGER, PRIMARY KEY (key, person_id)) "
                "WITHOUT ROWID")
    con.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, "
                "email TEXT)")
    con.execute(f"ATTACH '{db}' AS q")
    con.execute("INSERT INTO k SELECT key, person_id FROM q.person_key ORDER BY key, person_id")
    con.execute("INSERT INTO p SELECT id, first_name, last_name, email FROM q.person")
    con.commit()
    con.execute("DETACH q")
    theirs = []
    for text, total in zip(texts, totals, strict=True):
        low, high = prefix_range(text)
        t = time.perf_counter()
        n = con.execute("SELECT count(DISTINCT person_id) FROM k WHERE key >= ? AND key < ?",
                        (low, high)).fetchone()[0]
        ids = list(dict.fromkeys(r[0] for r in con.execute(
            "SELECT person_id FROM k WHERE key >= ? AND key < ? ORDER BY key, person_id "
            "LIMIT 308", (low, high))))[:50]
        con.execute(f"SELECT id, first_name, last_name, email FROM p WHERE id IN "
                    f"({', '.join('?' * len(ids))})", ids).fetchall()
        theirs.append(time.perf_counter() - t)
        assert n == total, (text, n, total)
    con.close()
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"  matches per search: median {statistics.median(totals):,.0f}, max {max(totals):,}")
    print(f"  quickcrm search_persons     median {a * 1000:8.2f} ms")
    print(f"  hand-written sqlite3        median {b * 1000:8.2f} ms")
    print(f"  ratio {a / b:.2f}x (target <= 3)")


HAND_QUERY = """
SELECT p.id, p.first_name, p.last_name, p.email, p.phone, p.address, p.postcode, p.city,
       r.number, r.company,
       (SELECT d.number FROM dossier d WHERE d.id = (
           SELECT da.dossier_id FROM dossier_applicant da JOIN dossier d2 ON d2.id = da.dossier_id
           WHERE da.person_id = p.id ORDER BY d2.created_at DESC, d2.id DESC LIMIT 1))
FROM person p JOIN relation r ON r.id = p.relation_id
WHERE r.industry = '7'
  AND EXISTS (SELECT 1 FROM person_indicator pi WHERE pi.person_id = p.id AND pi.indicator_id = 1)
  AND EXISTS (SELECT 1 FROM dossier_product dp WHERE dp.type = 'hypotheek' AND dp.dossier_id = (
           SELECT da.dossier_id FROM dossier_applicant da JOIN dossier d ON d.id = da.dossier_id
           WHERE da.person_id = p.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1))
ORDER BY p.last_name, p.first_name, p.id
"""


def bench_query(rt: object, db: Path) -> None:
    from quickcrm.crm.queries import run_query

    conditions = ["industry = 7", "indicator has lead", "product has hypotheek"]
    ours, theirs = [], []
    for _ in range(5):
        t = time.perf_counter()
        with rt.session(read_only=True) as s:  # type: ignore[attr-defined]
            found = run_query(session=s, actor=rt.actor, conditions=conditions)  # type: ignore[attr-defined]
        ours.append(time.perf_counter() - t)
        con = sqlite3.connect(db)
        t = time.perf_counter()
        rows = con.execute(HAND_QUERY).fetchall()
        theirs.append(time.perf_counter() - t)
        con.close()
        assert len(rows) == found["total"], (len(rows), found["total"])
    a, b = min(ours), min(theirs)
    print(f"  rows: {found['total']:,}")
    print(f"  quickcrm run_query          best {a * 1000:8.1f} ms")
    print(f"  one hand-written statement  best {b * 1000:8.1f} ms")
    print(f"  ratio {a / b:.2f}x (target <= 2)")


def write_person_file(path: Path, n: int, planted: int = 0) -> list[tuple[int, int]]:
    """A person file; with ``planted``: that many rows near the end are variants of
    earlier rows (returns their 1-based row pairs)."""
    rows = person_rows(n - planted)
    pairs = []
    variants = []
    for i in range(planted):
        j = RNG.randrange(len(rows))
        first, last, _email, address, postcode, city, dob = rows[j]
        kind = i % 4
        if kind == 0:  # a typo in the last name
            pos = RNG.randrange(len(last))
            last = last[:pos] + last[pos + 1:] if len(last) > 4 else last + "e"
        elif kind == 1:  # accents dropped, case changed
            first, last = first.upper(), last.replace("ë", "e").replace("Ç", "C").lower()
        elif kind == 2:  # first and last name swapped
            first, last = last, first
        else:  # "van der Meer" as "Meer, van der"-like spelling: tussenvoegsel moved
            last = " ".join(reversed(last.split())) if " " in last else last + "s"
        same_dob = i % 2 == 0
        variants.append((first, last, "", address if not same_dob else "",
                         postcode if not same_dob else "", city, dob if same_dob else
                         dob + timedelta(days=1)))
        pairs.append((j, len(rows) + i))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Voornaam", "Achternaam", "E-mail", "Adres", "Postcode", "Plaats",
                    "Geboortedatum"])
        for r in rows + variants:
            w.writerow([*r[:6], r[6].isoformat()])
    return pairs


def bench_import(work: Path, n: int) -> None:
    from quickcrm.crm.person_import import import_persons

    path = work / "personen.csv"
    write_person_file(path, n, planted=n // 100)
    times = {}
    for check in (True, False):
        rt = fresh_db(work / "import.db")
        t = time.perf_counter()
        with rt.session() as s:  # type: ignore[attr-defined]
            result = import_persons(session=s, actor=rt.actor, now=NOW, path=path,  # type: ignore[attr-defined]
                                    duplicate_check=check,
                                    duplicates_path=work / "dups.csv")
        times[check] = time.perf_counter() - t
        rt.close()  # type: ignore[attr-defined]
        label = "with the duplicate check" if check else "--no-duplicate-check"
        print(f"  import persons {label:<26} {times[check]:7.2f} s "
              f"({result.created:,} created, {result.duplicates:,} likely duplicates listed)")
    print(f"  ratio {times[True] / times[False]:.2f}x (target <= 3)")


def bench_duplicates(work: Path, n: int) -> None:
    from quickcrm.crm.person_import import import_persons
    from quickcrm.crm.persons import scan_duplicates

    path = work / "dups.csv"
    planted = write_person_file(path, n, planted=1000)
    rt = fresh_db(work / "dups.db")
    with rt.session() as s:  # type: ignore[attr-defined]
        import_persons(session=s, actor=rt.actor, now=NOW, path=path, duplicate_check=False)  # type: ignore[attr-defined]
    t = time.perf_counter()
    with rt.session(read_only=True) as s:  # type: ignore[attr-defined]
        pairs = scan_duplicates(session=s, actor=rt.actor)  # type: ignore[attr-defined]
    took = time.perf_counter() - t
    rt.close()  # type: ignore[attr-defined]
    found = {(p["keep"], p["other"]) for p in pairs}
    wanted = {(a + 1, b + 1) for a, b in planted}  # ids follow the file's rows
    hits = len(found & wanted)
    print(f"  person duplicates over {n:,} persons: {took:.2f} s, {len(found):,} pairs found")
    print(f"  recall {hits / len(wanted):.1%} (target >= 95%), precision "
          f"{hits / max(1, len(found)):.1%} (target >= 90%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--dup-persons", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--skip", default="", help="comma separated: search,query,import,dups")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-persons-"))
    work.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.split(","))
    print(f"work dir {work}; python {sys.version.split()[0]}; sqlite {sqlite3.sqlite_version}")
    if not {"search", "query"} <= skip:
        db = work / "persons.db"
        rt = fresh_db(db)
        print(f"(a)/(b) on {args.persons:,} persons")
        fill(rt, args.persons)
        if "search" not in skip:
            print("(a) search")
            bench_search(rt, db, work)
        if "query" not in skip:
            print("(b) query manager, 3 filters")
            bench_query(rt, db)
        rt.close()  # type: ignore[attr-defined]
    if "import" not in skip:
        print(f"(c) import persons, {args.import_rows:,} rows")
        bench_import(work, args.import_rows)
    if "dups" not in skip:
        print("(d) person duplicates, 1,000 planted pairs")
        bench_duplicates(work, args.dup_persons)


if __name__ == "__main__":
    main()
