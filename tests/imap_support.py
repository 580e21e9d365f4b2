"""A private Dovecot IMAP server for the tests: ``dovecot -F -c <tmp>/dovecot.conf`` with
its own base_dir, a passwd-file user, free loopback ports for imap (STARTTLS offered) and
imaps, and a self-signed certificate the tests trust by file. Any system dovecot service
is left alone. Without Debian's ``dovecot-imapd`` the tests skip, except under CI=true,
where that is a failure (scripts/test.sh installs it)."""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD = "bounces@kantoor.example", "geheim wachtwoord"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(where: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = where / "cert.pem", where / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    server = start_dovecot()
    try:
        yield server
    finally:
        stop_dovecot(server)


@dataclass
class Dovecot:
    root: Path
    port: int  # imap, STARTTLS offered
    tls_port: int  # imaps
    cafile: Path
    process: subprocess.Popen[bytes]

    def url(self, scheme: str = "imaps", folder: str = "INBOX", starttls: bool = False) -> str:
        from urllib.parse import quote

        port = self.tls_port if scheme == "imaps" else self.port
        query = f"cafile={quote(str(self.cafile))}" + ("&starttls=1" if starttls else "")
        return (f"{scheme}://{quote(USER)}:{quote(PASSWORD)}@localhost:{port}/"
                f"{quote(folder)}?{query}")

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """A plain client of the test's own (the person reading the mailbox)."""
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port,
                                 ssl_context=ssl.create_default_context(cafile=str(self.cafile)))
        conn.login(USER, PASSWORD)
        try:
            yield conn
        finally:
            conn.logout()

    def append(self, raw: bytes | str, folder: str = "INBOX", flags: str = "") -> None:
        data = raw.encode() if isinstance(raw, str) else raw
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with self.client() as conn:
            status, _ = conn.append(folder, flags or None, None, data)
            assert status == "OK"

    def messages(self, folder: str = "INBOX") -> list[tuple[int, str]]:
        """(UID, flags) of every message in ``folder``."""
        with self.client() as conn:
            status, _ = conn.select(folder, readonly=True)
            if status != "OK":
                return []
            _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        out = []
        for item in data or ():
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else str(item)
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            flags = text.split("FLAGS (")[1].split(")")[0].split()
            out.append((uid, " ".join(f for f in flags if f != "\\Recent")))
        return sorted(out)


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) for this process."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    internal = pwd.getpwnam("dovecot")
    login = pwd.getpwnam("dovenull")
    return login.pw_name, internal.pw_name, internal.pw_uid, internal.pw_gid


def start_dovecot() -> Dovecot:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists()
                                        else None)
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("dovecot is not installed (Debian package dovecot-imapd; "
                        "scripts/test.sh installs it)")
        pytest.skip("dovecot not installed (apt-get install dovecot-imapd)")
    import tempfile

    # its own directory that the dovecot users can reach (pytest's tmp dirs are 0700)
    root = Path(tempfile.mkdtemp(prefix="quickcrm-dovecot-"))
    root.chmod(0o755)
    login, internal, uid, gid = _users()
    cert, key = _certificate(root)
    home = root / "home"
    home.mkdir()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n")
    for d in (home,):
        os.chown(d, uid, gid)
    port, tls_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = quickcrm-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode() if process.stdout else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {out}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", tls_port), timeout=1), \
                    socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return Dovecot(root=root, port=port, tls_port=tls_port, cafile=cert, process=process)


def stop_dovecot(server: Dovecot) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.root, ignore_errors=True)
