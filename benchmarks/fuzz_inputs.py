"""Robustness under hostile input, measured (issue 30 item 10): coverage-guided fuzzing
with atheris of what reads a user's or a stranger's bytes, one subprocess per target, a
fixed number of runs each, seeded from the test suite's own kinds of input.

Targets: ``csv`` (``import clients`` of a CSV file), ``xlsx`` (the same of an .xlsx
whose worksheet XML is fuzzed inside a valid zip, so the fuzzer gets past the zip
header), ``quickscan`` (the QuickScan definition loader), ``bounce`` (the bounce parser of
``bounces ingest``) and ``web`` (the web app's answer autosave and section form, in
process, with a valid CSRF token so the handlers are reached).

A run fails on any exception other than the project's named errors (``QuickCRMError``),
on any 500, and on any partial write: after a refused input the checksum of the tables
it could touch must be what it was before. Every crash found becomes a regular test first.

    python benchmarks/fuzz_inputs.py [--runs 2000] [--quick] [--target csv ...]

``--quick``: two minutes in all (24 s a target). Needs ``pip install atheris``. The last
line printed is one JSON document (``benchmarks/run_all.py`` reads it).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("csv", "xlsx", "quickscan", "bounce", "web")
TABLES = ("relation", "person", "team", "app_user", "user_right", "event", "answer",
          "invitation")


def checksum(rt: Any) -> str:
    """One hash of every row of the tables an input could touch."""
    from sqlalchemy import text

    digest = hashlib.sha256()
    with rt.session(read_only=True) as s:
        for table in TABLES:
            for row in s.execute(text(f"SELECT * FROM {table} ORDER BY 1")):  # fixed names
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class Partial(Exception):
    """A refused input left something written."""


def _runtime(work: Path) -> Any:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.clock import FixedClock

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from datetime import UTC, datetime

    return bootstrap(database_url=f"sqlite:///{work / 'fuzz.db'}", env={},
                     clock=FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))


def _seed_clients(work: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    from _clientfiles import client, write_csv, write_xlsx

    rows = [client(f"{100 + i:06d}") for i in range(5)]
    return [write_csv(work / "seed.csv", rows), write_xlsx(work / "seed.xlsx", rows)]


def target_import(work: Path, kind: str) -> tuple[Any, list[bytes]]:
    from quickcrm.crm.importer import import_clients
    from quickcrm.errors import QuickCRMError

    rt = _runtime(work)
    csv_seed, xlsx_seed = _seed_clients(work)
    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=csv_seed)
    members = dict((i.filename, zipfile.ZipFile(xlsx_seed).read(i.filename))
                   for i in zipfile.ZipFile(xlsx_seed).infolist())
    sheet = "xl/worksheets/sheet1.xml"
    path = work / ("input.csv" if kind == "csv" else "input.xlsx")

    def one(data: bytes) -> None:
        if kind == "csv":
            path.write_bytes(data)
        else:  # a valid zip around the fuzzed worksheet
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                for name, body in members.items():
                    z.writestr(name, data if name == sheet else body)
            path.write_bytes(buf.getvalue())
        before = checksum(rt)
        try:
            with rt.session() as s:
                import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)
        except QuickCRMError:
            if checksum(rt) != before:
                raise Partial("a refused file changed the tables") from None

    seeds = [csv_seed.read_bytes()] if kind == "csv" else [members[sheet]]
    return one, seeds


def target_quickscan(work: Path) -> tuple[Any, list[bytes]]:
    from quickcrm.errors import QuickCRMError
    from quickcrm.quickscans.definitions import read_file, shipped_dir

    path = work / "input.toml"

    def one(data: bytes) -> None:
        path.write_bytes(data)
        try:
            read_file(path)
        except QuickCRMError:
            pass

    return one, [p.read_bytes() for p in sorted(shipped_dir().glob("*.toml"))]


def target_bounce(work: Path) -> tuple[Any, list[bytes]]:
    from quickcrm.errors import QuickCRMError
    from quickcrm.mail.bounces import parse_bounce

    seed = (b"From: MAILER-DAEMON@mx.example\r\nTo: noreply@kantoor.example\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
            b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; klant@example.nl\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            b"Message-ID: <abc@kantoor.example>\r\n--b--\r\n")

    def one(data: bytes) -> None:
        try:
            parse_bounce(data)
        except QuickCRMError:
            pass

    return one, [seed]


def target_web(work: Path) -> tuple[Any, list[bytes]]:
    import re

    import atheris
    from starlette.testclient import TestClient

    from quickcrm.web.app import create_app

    sys.path.insert(0, str(ROOT / "tests"))
    from web_support import seed_invitation

    rt = _runtime(work)
    seeded = seed_invitation(rt)
    client = TestClient(create_app(rt), base_url="http://localhost:8000",
                        raise_server_exceptions=True)
    page = client.get(f"/q/{seeded.token}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(f"/q/{seeded.token}/keuze", data={"csrf": csrf, "keuze": "ja"})
    questions = ["leeftijd", "zorgen", "toelichting", "opvolger", "x"]

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        where = fdp.ConsumeIntInRange(0, 2)
        fields = {"csrf": csrf if fdp.ConsumeBool() else fdp.ConsumeUnicodeNoSurrogates(8)}
        if where == 0:
            path = f"/q/{seeded.token}/antwoord"
            fields["vraag"] = questions[fdp.ConsumeIntInRange(0, len(questions) - 1)]
            fields["waarde"] = fdp.ConsumeUnicodeNoSurrogates(64)
        else:
            path = f"/q/{seeded.token}/stap/{fdp.ConsumeIntInRange(-1, 12)}"
            for q in questions[:fdp.ConsumeIntInRange(0, len(questions))]:
                fields[q] = fdp.ConsumeUnicodeNoSurrogates(32)
        headers = {"accept": "application/json"} if fdp.ConsumeBool() else {}
        before = checksum(rt)
        response = client.post(path, data=fields, headers=headers, follow_redirects=False)
        if response.status_code >= 500:
            raise AssertionError(f"{path}: {response.status_code}")
        if response.status_code >= 400 and checksum(rt) != before:
            raise Partial(f"{path}: refused ({response.status_code}) but the tables changed")

    return one, [b"\x00" * 16, b"\x01ja\x00toelichting" * 4]


def child(target: str, runs: int, seconds: int) -> None:
    import atheris

    work = Path(tempfile.mkdtemp(prefix=f"qcrm-fuzz-{target}-"))
    with atheris.instrument_imports(include=["quickcrm"]):
        import quickcrm.crm.importer  # noqa: F401
        import quickcrm.documents.tabular  # noqa: F401
        import quickcrm.mail.bounces  # noqa: F401
        import quickcrm.quickscans.definitions  # noqa: F401
        import quickcrm.web.app  # noqa: F401
    if target in ("csv", "xlsx"):
        one, seeds = target_import(work, target)
    else:
        one, seeds = {"quickscan": target_quickscan, "bounce": target_bounce,
                      "web": target_web}[target](work)
    corpus = work / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(seed)
    atheris.Setup([sys.argv[0], f"-runs={runs}", f"-max_total_time={seconds}",
                   "-max_len=65536", "-rss_limit_mb=2048", f"-artifact_prefix={work}/",
                   str(corpus)], one)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="inputs per target")
    parser.add_argument("--quick", action="store_true", help="two minutes in all")
    parser.add_argument("--target", nargs="*", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=int, default=600, help="at most, per target")
    opts = parser.parse_args()
    if opts.child:
        child(opts.child, opts.runs, opts.seconds)
        return
    seconds = 120 // len(opts.target) if opts.quick else opts.seconds
    runs = 10_000_000 if opts.quick else opts.runs
    results = []
    for target in opts.target:
        started = time.monotonic()
        done = subprocess.run([sys.executable, __file__, "--child", target, "--runs", str(runs),
                               "--seconds", str(seconds)], capture_output=True, text=True,
                              timeout=seconds + 300)
        took = time.monotonic() - started
        log = done.stderr
        executed = [line for line in log.splitlines() if line.startswith("Done ")]
        crashed = done.returncode != 0
        detail = ""
        if crashed:
            tail = [line for line in log.splitlines() if line.strip()][-12:]
            detail = " | ".join(tail)
        print(f"  {target:<10} {took:5.0f} s  {executed[-1] if executed else '':<40} "
              f"{'CRASH' if crashed else 'ok'}")
        if crashed:
            print("    " + detail[:2000])
        results.append({"figure": f"{target}: no crash, 500 or partial write",
                        "value": executed[-1].split()[1] if executed else None,
                        "unit": "runs", "target": None, "ratio": None, "pass": not crashed})
    print(json.dumps({"bench": "fuzz_inputs", "results": results}))
    if any(not r["pass"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
