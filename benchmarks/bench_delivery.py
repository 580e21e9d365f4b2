"""Delivery benchmark (issue 16): queue (render + write) and deliver N invitations plus N
relationship-manager copies to a local aiosmtpd running in a separate process, against
the floor of a plain script that builds the same number of messages of the same size with
Python's email package and sends them with smtplib over one connection, in the same run.

Target: QuickCRM at most 2x the floor. Both sides pay for building the messages; QuickCRM
also writes each one to the outbox, claims it, and commits its result after its 250.

Issue 24: the same run then queues and delivers the same messages once more, DKIM-signed
(``mail.dkim_*``, a 2048-bit RSA key, dkimpy with its RSA step in OpenSSL) into a fresh
database, and reports that ratio too (``--no-dkim`` leaves it out).

With ``--invitations`` the database first gets a sent campaign whose N invitations the
messages belong to, so the campaigns area's hook marks each invitation delivered and
records its ``campaign.invitation_delivered`` event in the result's commit (without it
the refs point at no invitation and the hook finds nothing to mark).

Usage: python benchmarks/bench_delivery.py [--n 10000] [--db sqlite|postgresql+psycopg://...]
       [--durable] [--invitations]
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import smtplib
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from quickcrm.areas import wire
from quickcrm.clock import SystemClock
from quickcrm.mail.delivery import deliver
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.mail.transports import make_transport
from quickcrm.store.db import make_engine, session_scope

SENDER = "QuickCRM <noreply@kantoor.example>"
RM = "Jan de Vries <jan.devries@kantoor.example>"

TEXT = """Beste {name},

Graag nodigen wij u uit voor de Personal QuickScan van {firm}. In ongeveer tien minuten
brengt u in kaart waar uw onderneming staat en waar u de komende jaren naartoe wilt.
Uw antwoorden worden vertrouwelijk behandeld; na afloop ontvangt u een persoonlijke
rapportage die wij graag met u bespreken.

Start de QuickScan: {link}

De link is persoonlijk en blijft geldig tot het einde van de actie. Heeft u vragen?
Neem gerust contact met mij op.

Met vriendelijke groet,

Jan de Vries
Relatiemanager, {firm}
T 030 123 45 67 | jan.devries@kantoor.example
"""

HTML_ROW = ('<tr><td style="padding:0 32px 16px 32px;font-family:Arial,Helvetica,sans-serif;'
            'font-size:15px;line-height:22px;color:#1f2a37;">{}</td></tr>\n')


def html_for(name: str, link: str, firm: str) -> str:
    paragraphs = [p.replace("\n", " ") for p in TEXT.format(name=name, link=link, firm=firm)
                  .split("\n\n")]
    rows = "".join(HTML_ROW.format(p) for p in paragraphs[:-1])
    button = (f'<tr><td align="center" style="padding:8px 32px 24px 32px;"><a href="{link}" '
              'style="background:#0b5cad;border-radius:4px;color:#ffffff;display:inline-block;'
              'font-family:Arial,Helvetica,sans-serif;font-size:16px;font-weight:bold;'
              'line-height:44px;text-align:center;text-decoration:none;width:260px;">'
              'Start de QuickScan</a></td></tr>\n')
    return ('<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width"><title>QuickScan</title>'
            '</head><body style="margin:0;padding:0;background:#f3f5f8;">'
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
            'style="background:#f3f5f8;"><tr><td align="center" style="padding:24px 0;">'
            '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
            'style="background:#ffffff;border:1px solid #dde3ea;">'
            f'<tr><td style="padding:24px 32px;font-family:Arial;font-size:20px;'
            f'color:#0b5cad;">{firm}</td></tr>\n' + rows + button
            + HTML_ROW.format(paragraphs[-1].replace("  ", "<br>"))
            + '</table></td></tr></table></body></html>')


def messages(n: int):  # type: ignore[no-untyped-def]
    """n invitations and n copies: (kind, ref, to, subject, text, html)."""
    firm = "Voorbeeld Accountants"
    for i in range(n):
        name = f"mevrouw Klant-{i:05d}"
        token = secrets.token_urlsafe(24)
        for kind, to, link in (
                ("invitation", f"Klant {i} <klant{i}@example.nl>", f"https://scan.example/q/{token}"),
                ("rm_copy", RM, f"https://scan.example/p/{token}")):
            subject = f"Uitnodiging Personal QuickScan – {name}"
            yield (kind, f"invitation:{i + 1}", to, subject,
                   TEXT.format(name=name, link=link, firm=firm), html_for(name, link, firm))


def run_server(port: int, ready, count) -> None:  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def floor(n: int, port: int) -> tuple[float, int]:
    """The plain script: build with the email package, send with smtplib, one connection."""
    utf8 = Charset("utf-8")
    utf8.body_encoding = QP
    started = time.perf_counter()
    size = 0
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _kind, _ref, to, subject, text, html in messages(n):
            msg = MIMEMultipart("alternative", _subparts=[MIMEText(text, "plain", utf8),
                                                          MIMEText(html, "html", utf8)])
            msg["From"] = RM
            msg["To"] = to
            msg["Sender"] = SENDER
            msg["Subject"] = Header(subject, utf8)
            msg["Date"] = format_datetime(datetime.now(UTC))
            msg["Message-ID"] = make_msgid(domain="kantoor.example")
            smtp.send_message(msg, "noreply@kantoor.example", [parseaddr(to)[1]])
            size += len(msg.as_bytes()) if size == 0 else 0
    return time.perf_counter() - started, size


def seed_invitations(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    """A sent campaign with invitations 1..n (one RM, one contact each), in Core SQL."""
    from sqlalchemy import insert

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import Campaign, CampaignClient
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.store.models import Person, Relation, User

    now = datetime.now(UTC)
    with session_scope(engine) as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=now).id
        rm = s.execute(insert(User).returning(User.id), {  # type: ignore[arg-type]
            "email": "jan.devries@kantoor.example", "first_name": "Jan",
            "last_name": "de Vries", "initials": "J.d.V.", "signature": "", "active": True,
        }).scalar_one()
        s.execute(insert(Campaign), {"id": 1, "name": "Bench", "quickscan_id": qs,
                                     "coordinator_id": rm, "status": "sent"})
        ids = range(1, n + 1)
        for table, rows in (
                (Relation, [{"id": i, "number": f"{i:07d}", "rm_id": rm} for i in ids]),
                (Person, [{"id": i, "relation_id": i, "email": f"klant{i}@example.nl",
                           "campaign_contact": True} for i in ids]),
                (CampaignClient, [{"id": i, "campaign_id": 1, "relation_id": i,
                                   "relation_number": f"{i:07d}", "person_id": i,
                                   "email": f"klant{i}@example.nl", "rm_id": rm} for i in ids]),
                (Invitation, [{"id": i, "campaign_id": 1, "campaign_client_id": i,
                               "relation_id": i, "token": f"t{i}", "preview_token": f"p{i}",
                               "invited_at": now} for i in ids])):
            s.execute(insert(table), rows)  # type: ignore[arg-type]
        s.commit()


def dkim_signer(where: Path):  # type: ignore[no-untyped-def]
    """A DKIM signer for kantoor.example with a fresh 2048-bit RSA key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from quickcrm.mail.dkim import signer_from

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = where / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return signer_from({"mail.dkim_domain": "kantoor.example", "mail.dkim_selector": "bench",
                        "mail.dkim_key_file": str(path)})


def quickcrm(n: int, port: int, db_url: str, durable: bool = False,
             invitations: bool = False, signer=None) -> tuple[float, float, dict[str, int]]:  # type: ignore[no-untyped-def]
    wire()  # as bootstrap does: the campaigns area's delivery hooks run for each invitation
    engine = make_engine(db_url)  # created and migrated before the clock starts
    if invitations:
        seed_invitations(engine, n)
    clock = SystemClock()
    started = time.perf_counter()
    drafts = (Draft(kind=kind, ref=ref, to=to, from_=RM, sender=SENDER, subject=subject,
                    text=text, html=html) for kind, ref, to, subject, text, html in messages(n))
    with session_scope(engine) as session:
        session.info["dkim"] = signer  # as the runtime's sessions carry it
        queue_many(session, drafts, now=clock.now())
        session.commit()
    queued = time.perf_counter() - started
    with make_transport(f"smtp://127.0.0.1:{port}") as transport:
        counts = deliver(engine=engine, transport=transport, clock=clock,
                         settings={"mail.durable_results": durable})
    total = time.perf_counter() - started
    engine.dispose()
    return queued, total, counts.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="invitations (and as many copies)")
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a fresh file) or a URL")
    parser.add_argument("--durable", action="store_true",
                        help="flush every delivery result to disk (mail.durable_results)")
    parser.add_argument("--invitations", action="store_true",
                        help="deliver the invitations of a real campaign (marked + events)")
    parser.add_argument("--no-dkim", action="store_true",
                        help="leave out the run with DKIM signatures")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    ready, count = ctx.Event(), ctx.Value("i", 0)
    server = ctx.Process(target=run_server, args=(port, ready, count), daemon=True)
    server.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.db == "sqlite" else args.db
            floor_s, size = floor(args.n, port)
            floor_count = count.value
            queued_s, total_s, counts = quickcrm(args.n, port, db_url, args.durable,
                                                 args.invitations)
            marked = check_invitations(db_url, args.n) if args.invitations else ""
            ours_count = count.value - floor_count
            signed: tuple[float, float, dict[str, int]] | None = None
            if not args.no_dkim:
                signed_url = (f"sqlite:///{Path(tmp) / 'bench-dkim.db'}" if args.db == "sqlite"
                              else args.db)
                if args.db != "sqlite":  # the same PostgreSQL database: start empty again
                    reset(signed_url)
                before = count.value
                signed = quickcrm(args.n, port, signed_url, args.durable, args.invitations,
                                  signer=dkim_signer(Path(tmp)))
                signed_count = count.value - before
    finally:
        server.terminate()
    total = 2 * args.n
    print(f"messages: {total} ({args.n} invitations + {args.n} copies), "
          f"about {size / 1024:.1f} kB each, database {args.db}"
          f"{', durable results' if args.durable else ''}"
          f"{', real invitations' if args.invitations else ''}")
    print(f"floor (email + smtplib, one connection): {floor_s:7.2f} s "
          f"({total / floor_s:,.0f} msg/s), server received {floor_count}")
    print(f"quickcrm queue (render + write):           {queued_s:7.2f} s")
    print(f"quickcrm queue + deliver:                  {total_s:7.2f} s "
          f"({total / total_s:,.0f} msg/s), server received {ours_count}, {counts}")
    ratio = total_s / floor_s
    print(f"ratio: {ratio:.2f}x the floor (target at most 2x) -> "
          f"{'OK' if ratio <= 2 else 'OVER TARGET'}")
    if marked:
        print(marked)
    if signed is not None:
        s_queued, s_total, s_counts = signed
        print(f"quickcrm, DKIM-signed, queue:              {s_queued:7.2f} s")
        print(f"quickcrm, DKIM-signed, queue + deliver:    {s_total:7.2f} s "
              f"({total / s_total:,.0f} msg/s), server received {signed_count}")
        print(f"ratio with DKIM: {s_total / floor_s:.2f}x the floor "
              f"({s_total / total_s:.2f}x the unsigned run; reported, no target)")
        if signed_count != total or s_counts["delivered"] != total:
            sys.exit("not every signed message arrived")
    if floor_count != total or ours_count != total or counts["delivered"] != total:
        sys.exit("not every message arrived")


def reset(db_url: str) -> None:
    """Empty the outbox (and what --invitations seeded) of a PostgreSQL database."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in ("event", "invitation", "campaign_client", "campaign", "person",
                      "relation", "outbox_body", "outbox_message"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM app_user WHERE email = 'jan.devries@kantoor.example'"))
    engine.dispose()


def check_invitations(db_url: str, n: int) -> str:
    """Every invitation is marked delivered (and, where the code records it, has its
    delivered event): the run did the work it is timed for."""
    from sqlalchemy import func, select

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.store.models import Event

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        marked = s.scalar(select(func.count()).where(Invitation.delivered_at.is_not(None)))  # type: ignore[union-attr]
        events = s.scalar(select(func.count()).select_from(Event)
                          .where(Event.kind == "campaign.invitation_delivered"))
    engine.dispose()
    if marked != n:
        sys.exit(f"only {marked} of {n} invitations were marked delivered")
    return f"invitations marked delivered: {marked}, delivered events: {events}"


if __name__ == "__main__":
    main()
