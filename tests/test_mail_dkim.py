"""Issue 24 item 8: deliverability. Outgoing mail is DKIM-signed (dkimpy) with d= the
From domain, covering List-Unsubscribe and List-Unsubscribe-Post; the signature is
verified with dkimpy against the public key served by a real DNS server on loopback.
The one-click opt-out (RFC 8058) works end to end against the real web app, and the
opt-out survives a client import with an empty "Afgemeld" cell."""

from __future__ import annotations

import base64
import logging
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_send import final_campaign, parsed, runtime
from web_support import running_app

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SELECTOR = "qc2026"


class DnsStub:
    """A real DNS server (UDP, loopback) answering TXT queries from ``records``."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = {k.lower().rstrip(".") + ".": v for k, v in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().lower()
            self.queries.append(name)
            value = self.records.get(name)
            if value is not None and question.rdtype == dns.rdatatype.TXT:
                chunks = " ".join(f'"{value[i:i + 200]}"' for i in range(0, len(value), 200))
                reply.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", chunks))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), peer)

    def dnsfunc(self, name: bytes | str, timeout: int = 5) -> bytes:
        """dkimpy's lookup, asking this server (and nothing else)."""
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], self.port, 5
        text = name.decode() if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(text, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return b""
        return b"".join(b"".join(r.strings) for r in answer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dkim_key(tmp_path: Path) -> Iterator[tuple[Path, DnsStub]]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    stub = DnsStub({f"{SELECTOR}._domainkey.kantoor.example":
                    f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"})
    yield path, stub
    stub.close()


def signed_rt(db_url: str, smtp_url: str, key: Path, domain: str = "kantoor.example") -> Any:
    return runtime(db_url, FixedClock(MONDAY_9), smtp_url, QUICKCRM_DKIM_DOMAIN=domain,
                   QUICKCRM_DKIM_SELECTOR=SELECTOR, QUICKCRM_DKIM_KEY_FILE=str(key))


def test_every_message_is_signed_and_verifies_against_the_key_in_dns(db_url, smtp_server,
                                                                     dkim_key):
    import dkim

    from quickcrm.campaigns.sending import send

    key, stub = dkim_key
    rt = signed_rt(db_url, smtp_server.url, key)
    final_campaign(rt, n=2)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    raws = [raw for _f, _r, raw in smtp_server.messages]
    assert len(raws) == 4
    for raw in raws:
        assert dkim.verify(raw, dnsfunc=stub.dnsfunc), raw[:400]
        signature = raw.split(b"\r\n\r\n")[0].decode()
        assert "d=kantoor.example" in signature and f"s={SELECTOR}" in signature
    assert f"{SELECTOR}._domainkey.kantoor.example." in stub.queries
    invitation = next(raw for raw in raws if b"[Kopie]" not in raw)
    signed = re.search(rb"h=([^;]+);", invitation.replace(b"\r\n\t", b"").replace(b"\r\n ", b""))
    assert signed is not None
    headers = {h.strip().lower() for h in signed.group(1).split(b":")}
    assert {b"from", b"list-unsubscribe", b"list-unsubscribe-post"} <= headers
    # a changed unsubscribe URL breaks the signature
    tampered = re.sub(rb"/u/[A-Za-z0-9_-]+", b"/u/somebody-else-token-0000000000", invitation)
    assert tampered != invitation and not dkim.verify(tampered, dnsfunc=stub.dnsfunc)


def test_a_from_domain_other_than_the_dkim_domain_is_warned_about(sqlite_url, smtp_server,
                                                                  dkim_key, caplog):
    from quickcrm.campaigns.sending import send

    key, _stub = dkim_key
    rt = signed_rt(sqlite_url, smtp_server.url, key, domain="ander-kantoor.example")
    final_campaign(rt, n=1)
    with caplog.at_level(logging.WARNING, logger="quickcrm.mail"):
        send(rt=rt, campaign="Voorjaar")
    rt.close()
    warned = [r.getMessage() for r in caplog.records if "DMARC will not align" in r.getMessage()]
    assert len(warned) == 1 and "kantoor.example" in warned[0]


def test_an_unusable_key_file_is_one_clear_line(sqlite_url, smtp_server, tmp_path):
    from quickcrm.errors import ConfigError

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    rt = signed_rt(sqlite_url, smtp_server.url, bad)
    with pytest.raises(ConfigError, match=r"mail.dkim_key_file: .*bad.pem"), rt.session():
        pass
    rt.close()


def test_one_click_opt_out_end_to_end(db_url, smtp_server, tmp_path):
    """The invitation's List-Unsubscribe URL: a GET changes nothing, the provider's POST
    (another site, no cookie, no CSRF token) opts out; no reminder follows; an import with
    an empty Afgemeld cell keeps it; notices carry Auto-Submitted, client mail does not."""
    from sqlmodel import select

    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send
    from quickcrm.crm.importer import import_clients
    from quickcrm.events import CLIENT_OPTED_OUT
    from quickcrm.store.models import Event, Person

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt, n=2)
    send(rt=rt, campaign="Voorjaar")
    msgs = parsed(smtp_server)
    invitation = next(m for m in msgs if m["To"].addresses[0].addr_spec ==
                      "klant000001@example.nl")
    copy = next(m for m in msgs if str(m["Subject"]).startswith("[Kopie]"))
    assert copy["Auto-Submitted"] == "auto-generated" and invitation["Auto-Submitted"] is None
    assert copy["List-Unsubscribe"] is None
    assert invitation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https://scan\.kantoor\.example/u/([A-Za-z0-9_-]{22,}))>",
                       str(invitation["List-Unsubscribe"]).strip())
    assert url is not None
    body = invitation.get_body(("plain",)).get_content()
    assert url.group(2) not in body  # its own token, not the QuickScan's

    def opted_out() -> list[bool]:
        with rt.session(read_only=True) as s:
            return [p.opted_out for p in s.exec(select(Person).order_by(Person.id))
                    if p.email.startswith("klant0000")]

    with running_app(rt) as base, httpx.Client(base_url=base, timeout=20) as client:
        path = f"/u/{url.group(2)}"
        page = client.get(path)
        assert page.status_code == 200 and "Afmelden" in page.text and "<form" in page.text
        assert opted_out() == [False, False]
        done = client.post(path, content=b"List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://mail.google.example", "Sec-Fetch-Site": "cross-site"})
        assert done.status_code == 200 and "U bent afgemeld" in done.text
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert client.post("/u/" + "x" * 22, data={"List-Unsubscribe": "One-Click"}
                           ).status_code == 404
    assert opted_out() == [True, False]
    with rt.session(read_only=True) as s:
        kinds = [e.kind for e in s.exec(select(Event)) if e.kind == CLIENT_OPTED_OUT]
    assert kinds == [CLIENT_OPTED_OUT]  # once, though posted twice
    clock.at = MONDAY_9 + timedelta(days=3, hours=1)
    counts = remind(rt=rt)
    assert counts.first_reminders == 1 and counts.opted_out == 1

    def import_afgemeld(cell: str) -> None:
        sheet = tmp_path / f"klanten-{cell or 'leeg'}.csv"
        sheet.write_text("Relatienummer klant;E-mail klant;Afgemeld\r\n"
                         f"000001;klant000001@example.nl;{cell}\r\n", encoding="utf-8")
        with rt.session() as s:
            import_clients(session=s, actor=rt.actor, now=clock.now(), path=sheet)

    import_afgemeld("")
    assert opted_out() == [True, False]  # the client's opt-out sticks
    import_afgemeld("nee")
    assert opted_out() == [False, False]  # only an explicit "nee" clears it
    rt.close()


def test_the_fast_rsa_path_gives_dkimpys_own_signature(dkim_key, monkeypatch):
    """quickcrm.mail.dkim lets OpenSSL do dkimpy's RSA step: the same bytes."""
    import time

    import dkim

    from quickcrm.mail.dkim import speed_up_dkimpy

    key, stub = dkim_key
    speed_up_dkimpy()
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000)
    message = (b"From: Jan <jan@kantoor.example>\r\nTo: klant@example.nl\r\nSubject: Test\r\n"
               b"Date: Mon, 23 Nov 2026 09:00:00 +0100\r\nMessage-ID: <a@kantoor.example>\r\n"
               b"\r\n" + b"Beste klant,\r\n" * 200)
    args = {"include_headers": [b"from", b"to", b"subject"], "linesep": b"\r\n"}
    fast = dkim.sign(message, SELECTOR.encode(), b"kantoor.example", key.read_bytes(), **args)
    monkeypatch.setattr(dkim, "RSASSA_PKCS1_v1_5_sign", dkim.RSASSA_PKCS1_v1_5_sign.original)
    monkeypatch.setattr(dkim, "parse_pem_private_key", dkim.parse_pem_private_key.original)
    slow = dkim.sign(message, SELECTOR.encode(), b"kantoor.example", key.read_bytes(), **args)
    assert fast == slow
    assert dkim.verify(fast + message, dnsfunc=stub.dnsfunc)
