"""SMTP with TLS (smtps://, STARTTLS) and login against a real aiosmtpd on loopback."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quickcrm.mail.transports import ServerUnavailable, make_transport

MESSAGE = (b"From: jan@kantoor.example\r\nTo: piet@example.nl\r\nSubject: test\r\n"
           b"Message-ID: <t1@kantoor.example>\r\n\r\n.leading dot\r\nbody\r\n")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"crm" and auth_data.password == b"p@ss:word"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture(params=["smtps", "starttls"])
def tls_server(request, tmp_path):  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    # with implicit TLS aiosmtpd does not know the socket is encrypted: let it offer AUTH
    options = {"authenticator": sink.authenticate,
               "auth_require_tls": request.param == "starttls"}
    if request.param == "smtps":
        controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context,
                                **options)
        url = f"smtps://crm:p%40ss%3Aword@127.0.0.1:{port}?verify=0"
    else:
        controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=context,
                                require_starttls=True, **options)
        url = f"smtp://crm:p%40ss%3Aword@127.0.0.1:{port}?starttls=1&verify=0"
    controller.start()
    try:
        yield sink, url
    finally:
        controller.stop()


def test_tls_and_login_with_one_connection_for_many_messages(tls_server):
    sink, url = tls_server
    transport = make_transport(url)
    try:
        for _ in range(3):
            transport.send(sender="noreply@kantoor.example", recipient="piet@example.nl",
                           data=MESSAGE)
    finally:
        transport.close()
    assert transport.connections == 1 and sink.logins == ["crm"]
    assert [f for f, _ in sink.messages] == ["noreply@kantoor.example"] * 3
    assert b"\r\n.leading dot\r\n" in sink.messages[0][1]  # dot-stuffing undone by the server


def test_wrong_password_is_server_unavailable_and_sends_nothing(tls_server):
    sink, url = tls_server
    # (aiosmtpd stops answering after the second refused mechanism: keep the wait short)
    transport = make_transport(url.replace("p%40ss", "wrong") + "&timeout=3")
    with pytest.raises(ServerUnavailable):
        transport.send(sender="noreply@kantoor.example", recipient="piet@example.nl",
                       data=MESSAGE)
    assert sink.messages == []


def test_certificate_is_verified_by_default(tls_server):
    sink, url = tls_server
    transport = make_transport(url.replace("verify=0", "verify=1"))
    with pytest.raises(ServerUnavailable, match="CERTIFICATE|certificate"):
        transport.send(sender="noreply@kantoor.example", recipient="piet@example.nl",
                       data=MESSAGE)
    assert sink.messages == []
