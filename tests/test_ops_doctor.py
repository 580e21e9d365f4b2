"""`quickcrm doctor` (issue 30 item 5) against real parts: the database (SQLite file and
PostgreSQL schema), a real aiosmtpd, and a loopback DNS server answering TXT queries
(dnspython's own wire format) for SPF, DMARC and DKIM."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ops_copy import run

from quickcrm.store.db import make_engine


class DnsStub:
    """A UDP DNS server on loopback: TXT answers from ``records``, NXDOMAIN otherwise."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.asked: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        import dns.message
        import dns.rcode
        import dns.rrset

        while True:
            try:
                data, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.asked.append(name)
            texts = self.records.get(name)
            if texts:
                # a TXT record is strings of at most 255 bytes (a DKIM key is longer)
                reply.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", *(
                    " ".join(f'"{t[i:i + 255]}"' for i in range(0, len(t), 255))
                    for t in texts)))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(reply.to_wire(), addr)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def dns_stub() -> Iterator[DnsStub]:
    stub = DnsStub()
    yield stub
    stub.sock.close()


HEALTHY_DNS = {
    "mail.firma.nl": ["v=spf1 include:relay.firma.nl -all"],
    "_dmarc.kantoor.example": ["v=DMARC1; p=quarantine"],
}
KEY: dict[str, str] = {}  # the test's DKIM key file and its public key as DNS has it


@pytest.fixture(autouse=True)
def dkim_key(tmp_path: Path) -> None:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    KEY.update(file=str(path), p=base64.b64encode(der).decode())
    HEALTHY_DNS["sel1._domainkey.kantoor.example"] = [f"v=DKIM1; k=rsa; p={KEY['p']}"]


def setup_db(url: str) -> None:
    make_engine(url).dispose()
    r = run("user", "add", "rik@kantoor.example", "--name", "Rik Manager", "-r", "rm",
            "--db", url)
    assert r.exit_code == 0, r.output
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for p in (path, Path(f"{path}-wal")):
            if p.exists():
                os.chmod(p, 0o600)


def doctor(url: str, smtp_url: str, dns: str, *args: str, **env: str) -> tuple[int, Any, Any]:
    environ = {"QUICKCRM_SMTP_URL": smtp_url, "QUICKCRM_MAIL_SENDER": "noreply@mail.firma.nl",
               "QUICKCRM_BASE_URL": "https://quickscan.firma.nl",
               "QUICKCRM_DKIM_DOMAIN": "kantoor.example", "QUICKCRM_DKIM_SELECTOR": "sel1",
               "QUICKCRM_DKIM_KEY_FILE": KEY["file"], **env}
    r = run("doctor", "--db", url, "--nameserver", dns, "--json", *args, env=environ)
    data = json.loads(r.stdout)
    human = run("doctor", "--db", url, "--nameserver", dns, *args, env=environ)
    assert human.exit_code == r.exit_code
    return r.exit_code, data, human.stdout


def by_status(data: Any, status: str) -> list[str]:
    return [f"{f['check']}: {f['message']}" for f in data["findings"] if f["status"] == status]


def test_a_healthy_setup_is_all_ok_and_exits_0(db_url, smtp_server, dns_stub):
    setup_db(db_url)
    dns_stub.records.update(HEALTHY_DNS)
    code, data, text = doctor(db_url, smtp_server.url, dns_stub.address, "--strict")
    assert code == 0, by_status(data, "error") + by_status(data, "warning")
    assert by_status(data, "warning") == [] and by_status(data, "error") == []
    checks = {f["check"] for f in data["findings"]}
    assert {"configuration", "database", "mail.url", "spf", "dmarc", "dkim", "web.base_url",
            "templates", "file modes"} <= checks
    assert "kantoor.example: v=DMARC1; p=quarantine" in text
    assert smtp_server.messages == []  # EHLO only, nothing sent
    assert {"mail.firma.nl", "_dmarc.kantoor.example",
            "sel1._domainkey.kantoor.example"} <= set(dns_stub.asked)


def test_an_unreachable_smtp_port_is_an_error_naming_mail_url(sqlite_url, dead_smtp_url,
                                                              dns_stub):
    setup_db(sqlite_url)
    dns_stub.records.update(HEALTHY_DNS)
    code, data, text = doctor(sqlite_url, dead_smtp_url, dns_stub.address)
    assert code == 1
    errors = by_status(data, "error")
    assert len(errors) == 1 and errors[0].startswith("mail.url: ")
    assert "cannot connect" in errors[0]
    assert "error   mail.url:" in text and "check the host and port in mail.url" in text


def test_missing_spf_and_dmarc_are_warnings_and_strict_fails(sqlite_url, smtp_server, dns_stub):
    setup_db(sqlite_url)
    dkim = "sel1._domainkey.kantoor.example"
    dns_stub.records[dkim] = HEALTHY_DNS[dkim]
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address)
    assert code == 0
    warnings = by_status(data, "warning")
    assert any(w.startswith("spf: mail.firma.nl (mail.sender) has no SPF record") for w in warnings)
    assert any(w.startswith("dmarc: kantoor.example") for w in warnings)
    code, _data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address, "--strict")
    assert code == 1


def test_a_missing_or_wrong_published_dkim_key_is_an_error(sqlite_url, smtp_server, dns_stub):
    setup_db(sqlite_url)
    dns_stub.records.update({k: v for k, v in HEALTHY_DNS.items() if "_domainkey" not in k})
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address)
    assert code == 1
    assert by_status(data, "error") == [
        "dkim: no DKIM key published at sel1._domainkey.kantoor.example: every signed "
        "message fails DKIM"]
    dns_stub.records["sel1._domainkey.kantoor.example"] = ["v=DKIM1; k=rsa; p=MIIBIjANBgkq"]
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address)
    assert code == 1 and "is not the public key of mail.dkim_key_file" in by_status(
        data, "error")[0]
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address,
                               QUICKCRM_DKIM_DOMAIN="")
    assert any(w.startswith("dkim: outgoing mail is not DKIM-signed")
               for w in by_status(data, "warning"))


def test_dns_that_does_not_answer_says_could_not_check(sqlite_url, smtp_server):
    setup_db(sqlite_url)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        silent = f"127.0.0.1:{s.getsockname()[1]}"  # bound, never answers
        code, data, _text = doctor(sqlite_url, smtp_server.url, silent)
    assert code == 0
    warnings = by_status(data, "warning")
    assert any(w.startswith("spf: could not check SPF of mail.firma.nl") for w in warnings)
    assert any("could not check DMARC of kantoor.example" in w for w in warnings)


def test_an_unmigrated_database_is_an_error_and_is_left_as_it_was(db_url, smtp_server,
                                                                  dns_stub):
    from quickcrm.store.migrate import current_revision, upgrade

    engine = make_engine(db_url, migrate=False)
    try:
        upgrade(engine, "0001")
    finally:
        engine.dispose()
    dns_stub.records.update(HEALTHY_DNS)
    code, data, _text = doctor(db_url, smtp_server.url, dns_stub.address)
    assert code == 1
    assert any(e.startswith("database: ") and "is at revision 0001" in e
               for e in by_status(data, "error"))
    engine = make_engine(db_url, migrate=False)
    try:
        assert current_revision(engine) == "0001"  # the doctor does not migrate
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_is_a_warning_and_not_created(tmp_path, smtp_server, dns_stub):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, data, _text = doctor(url, smtp_server.url, dns_stub.address)
    assert code == 0
    assert any("does not exist yet: it is created on first use" in w
               for w in by_status(data, "warning"))
    assert not (tmp_path / "new.db").exists()


def test_a_bad_quickscan_template_in_the_database_is_an_error(sqlite_url, smtp_server,
                                                              dns_stub):
    setup_db(sqlite_url)
    assert run("quickscan", "list", "--db", sqlite_url).exit_code == 0  # loads the shipped
    import sqlite3

    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        (text,) = conn.execute("SELECT definition FROM quickscan WHERE key = "
                               "'bedrijfsopvolging'").fetchone()
        data = json.loads(text)
        data["mails"]["invitation"]["subject"] = "Uw QuickScan {{ klant.naam "
        conn.execute("UPDATE quickscan SET definition = ? WHERE key = 'bedrijfsopvolging'",
                     (json.dumps(data),))
    dns_stub.records.update(HEALTHY_DNS)
    code, out, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address)
    assert code == 1
    errors = by_status(out, "error")
    assert len(errors) == 1 and errors[0].startswith("templates: ")
    assert "bedrijfsopvolging" in errors[0]


def test_localhost_base_url_and_world_readable_files_are_warnings(sqlite_url, smtp_server,
                                                                 dns_stub):
    setup_db(sqlite_url)
    os.chmod(sqlite_url.removeprefix("sqlite:///"), 0o644)
    dns_stub.records.update(HEALTHY_DNS)
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address,
                               QUICKCRM_BASE_URL="http://localhost:8000")
    assert code == 0
    warnings = by_status(data, "warning")
    assert any(w.startswith("web.base_url: http://localhost:8000") for w in warnings)
    assert any(w.startswith("file modes: database file") and "mode 644" in w for w in warnings)
    code, data, _text = doctor(sqlite_url, smtp_server.url, dns_stub.address,
                               QUICKCRM_BASE_URL="quickscan.firma.nl")
    assert code == 1 and by_status(data, "error")[0].startswith("web.base_url: ")
