"""Several daemons on one PostgreSQL database (issue 30): one daemon, then two, each over
its own SMTP connection, deliver a sent campaign's invitations and their RM copies to an
SMTP sink in another process that holds each DATA 50 ms while it serves the other
connections (a relay's latency: with it the daemons wait on the network, not on the two
cores). Checked: no message lost, none twice (Message-IDs at the sink). Target: two
daemons deliver at least 1.8x as many messages a second as one, in the same run.

    python benchmarks/bench_daemons.py --db postgresql+psycopg://postgres@127.0.0.1/test
        [--clients 1000000 --invitations 20000]   (documented full size)
        [--quick]                                 (100,000 clients, 500 invitations)

The database gets ``--clients`` relations first (the size of a firm's client base) and a
sent campaign with ``--invitations`` invitations; each phase queues the invitations and
copies afresh (2 x invitations messages) and runs real ``quickcrm daemon`` processes. A
fresh schema is made on the server and dropped afterwards. The last line printed is one
JSON document (``benchmarks/run_all.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_delivery import RM, SENDER, messages, seed_invitations

TARGET = 1.8
HOLD = 0.05  # seconds the sink holds each DATA


def run_sink(port: int, log: str, ready) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    out = open(log, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            await asyncio.sleep(HOLD)  # the relay's latency; other connections go on
            mid = BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]
            out.write(f"{time.time():.4f} {mid}\n")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def seed_clients(url: str, n: int, after: int) -> None:
    """``n`` relations in one INSERT ... SELECT on the server (the client base), with ids
    after those the invitations' relations have."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO relation (id, number, company, address, postcode, city, stage) "
            "SELECT g + :after, 'C' || lpad(g::text, 8, '0'), 'Bedrijf ' || g, 'Straat ' || g, "
            "'1234 AB', 'Utrecht', 'customer' FROM generate_series(1, :n) AS g"),
            {"n": n, "after": after})
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('relation', 'id'), "
                             "(SELECT max(id) FROM relation))"))
    engine.dispose()


def queue(url: str, invitations: int) -> list[str]:
    from quickcrm.clock import SystemClock
    from quickcrm.mail.outbox import Draft, queue_many
    from quickcrm.store.db import make_engine, session_scope

    engine = make_engine(url)
    drafts = (Draft(kind=kind, ref=ref, to=to, from_=RM, sender=SENDER, subject=subject,
                    text=text, html=html)
              for kind, ref, to, subject, text, html in messages(invitations))
    with session_scope(engine) as s:
        ids = queue_many(s, drafts, now=SystemClock().now())
        s.commit()
    engine.dispose()
    return ids


def sent(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM outbox_message WHERE status = 'sent'"))
        value = int(n.scalar_one())
    engine.dispose()
    return value


def phase(url: str, port: int, log: Path, daemons: int, invitations: int,
          work: Path) -> tuple[float, list[str], list[str]]:
    """Queue the messages, run ``daemons`` daemons until all are sent; (messages a
    second between the first and the last arrival, ids queued, ids received)."""
    log.write_text("")
    before = sent(url)
    ids = queue(url, invitations)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update({"QUICKCRM_DATABASE_URL": url, "QUICKCRM_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "QUICKCRM_DELIVER_EVERY": "1", "QUICKCRM_REMIND_EVERY": "86400",
                "QUICKCRM_BOUNCES_EVERY": "86400", "QUICKCRM_MAIL_LEASE_SECONDS": "30"})
    procs = [subprocess.Popen([sys.executable, "-m", "quickcrm", "daemon"], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(daemons)]
    try:
        deadline = time.monotonic() + 3600
        while sent(url) - before < len(ids):
            if time.monotonic() > deadline:
                raise SystemExit("the daemons did not deliver everything within an hour")
            time.sleep(0.5)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    lines = [line.split(" ", 1) for line in log.read_text().splitlines()]
    times = [float(t) for t, _ in lines]
    received = [mid.strip() for _, mid in lines]
    span = max(times) - min(times) if len(times) > 1 else float("nan")
    return len(received) / span, ids, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get(
        "QUICKCRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--invitations", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true",
                        help="100,000 clients, 500 invitations (1,000 messages)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.invitations = 100_000, 500
    import sqlalchemy as sa

    from quickcrm.store.db import make_engine

    schema = "bench_" + secrets.token_hex(4)
    admin = sa.create_engine(args.db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{args.db}{'&' if '?' in args.db else '?'}options=-csearch_path%3D{schema}"
    work = Path(tempfile.mkdtemp(prefix="qcrm-daemons-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = work / "sink.log"
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=run_sink, args=(port, str(log), ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        engine = make_engine(url)
        seed_invitations(engine, args.invitations)
        engine.dispose()
        seed_clients(url, max(0, args.clients - args.invitations), args.invitations)
        n = 2 * args.invitations
        print(f"PostgreSQL, {args.clients:,} clients; {n:,} messages a phase "
              f"({args.invitations:,} invitations + RM copies); sink holds each DATA "
              f"{HOLD * 1000:.0f} ms")
        rates, problems = {}, []
        for daemons in (1, 2):
            rate, ids, received = phase(url, port, log, daemons, args.invitations, work)
            lost = len(set(ids) - set(received))
            twice = len(received) - len(set(received))
            rates[daemons] = rate
            print(f"  {daemons} daemon{'s' if daemons > 1 else ' '}: {rate:7.1f} messages/s, "
                  f"lost {lost}, twice {twice}")
            if lost or twice:
                problems.append(f"{daemons} daemons: {lost} lost, {twice} twice")
        ratio = rates[2] / rates[1]
        ok = ratio >= TARGET and not problems
        print(f"  two / one: {ratio:.2f}x (target >= {TARGET}x): "
              f"{'OK' if ratio >= TARGET else 'TOO SLOW'}"
              + (f"; {'; '.join(problems)}" if problems else ""))
        print("(the machine is shared; both phases ran in this run, side by side)")
        print(json.dumps({"bench": "bench_daemons", "results": [
            {"figure": "2 daemons vs 1, messages/s", "value": round(rates[2], 1),
             "unit": "msg/s", "target": TARGET, "ratio": round(ratio, 2), "pass": ok,
             "better": "higher"}]}))
        if not ok:
            sys.exit(1)
    finally:
        sink.terminate()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


if __name__ == "__main__":
    main()
