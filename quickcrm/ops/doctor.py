"""``quickcrm doctor``: is this installation healthy? Each check gives one finding: ok,
warning or error, with how to fix it. Nothing is changed: the database is opened without
creating or migrating it (an SQLite file read-only), the mail server gets EHLO (and
STARTTLS and a login when configured) but no message, the bounce mailbox a login.

DNS (dnspython): the SPF record of the envelope sender's domain (``mail.sender``), the
DMARC record of the From domains the firm's relationship managers send with, and the DKIM
key mail is signed with (``mail.dkim_domain``/``_selector``/``_key_file``) against the one
published at SELECTOR._domainkey.DOMAIN; a missing SPF or DMARC record is the seed's
spam-box risk (a warning), a wrong or missing published DKIM key an error.
When DNS does not answer the finding says plainly "could not check".
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from quickcrm.settings import Settings, mask_url

OK, WARNING, ERROR = "ok", "warning", "error"
NET_TIMEOUT = 10.0


@dataclass
class Finding:
    check: str
    status: str  # ok | warning | error
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Diagnosis:
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.status == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.status == WARNING for f in self.findings)

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings], "errors": self.errors,
                "warnings": self.warnings}


@dataclass
class _Db:
    """What the database check learned, for the checks that read from it."""

    conn: Any = None
    at_head: bool = False


def diagnose(*, settings: Settings, nameserver: str | None = None,
             dns_timeout: float = 3.0) -> Diagnosis:
    findings: list[Finding] = []
    source = str(settings.config_path) if settings.config_path else "defaults and environment"
    findings.append(Finding("configuration", OK, f"parses ({source})"))
    with _database(settings, findings) as db:
        findings += _mail(settings)
        findings += _imap(settings)
        findings += _dns(settings, db, nameserver, dns_timeout)
        findings += _base_url(settings)
        findings += _templates(db)
        findings += _file_modes(settings)
    return Diagnosis(findings)


# -- database ------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _database(settings: Settings, out: list[Finding]) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def check() -> Iterator[_Db]:
        db = _Db()
        try:
            with _open(settings, out, db):
                yield db
        except _Stop:
            yield db

    return check()


def _open(settings: Settings, out: list[Finding], db: _Db) -> Any:
    from contextlib import contextmanager

    from quickcrm.errors import ConfigError
    from quickcrm.store.db import database_name, make_engine, parse_url, sqlite_path

    url = settings.database_url
    name = database_name(url)
    fix_url = "set database.url (QUICKCRM_DATABASE_URL) to sqlite:///FILE or " \
              "postgresql+psycopg://USER@HOST/DB"

    @contextmanager
    def opened() -> Iterator[None]:
        try:
            backend = parse_url(url).get_backend_name()
        except ConfigError as exc:
            out.append(Finding("database.url", ERROR, str(exc), fix_url))
            raise _Stop() from None
        if backend not in ("sqlite", "postgresql"):
            out.append(Finding("database.url", ERROR, f"{name}: unknown database kind "
                               f"{backend!r}", fix_url))
            raise _Stop()
        path = sqlite_path(url)
        if backend == "sqlite":
            if path is None:
                out.append(Finding("database.url", WARNING, "an in-memory SQLite database "
                                   "is lost when the command ends", fix_url))
                raise _Stop()
            if not path.exists():
                parent = _existing_parent(path)
                if not os.access(parent, os.W_OK):
                    out.append(Finding("database.url", ERROR, f"{path} does not exist and "
                                       f"{parent} is not writable",
                                       f"create {path.parent} writable for this user"))
                else:
                    out.append(Finding("database.url", WARNING, f"{path} does not exist yet: "
                                       f"it is created on first use",
                                       "run `quickcrm db upgrade` to create it now"))
                raise _Stop()
            import sqlite3

            from sqlalchemy import create_engine

            uri = f"{path.absolute().as_uri()}?mode=ro"
            engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
        else:
            engine = make_engine(url, migrate=False)
        try:
            try:
                conn = engine.connect()
            except Exception as exc:  # noqa: BLE001 - the driver's words, on one line
                out.append(Finding("database.url", ERROR, f"{name} is not reachable: "
                                   f"{_first_line(exc)}",
                                   "check host, port, user and password in database.url, and "
                                   "that the server accepts this machine (pg_hba.conf)"))
                raise _Stop() from None
            try:
                _check_schema(conn, backend, path, name, out, db)
                db.conn = conn
                yield
            finally:
                conn.close()
        finally:
            engine.dispose()

    return opened()


def _check_schema(conn: Any, backend: str, path: Path | None, name: str,
                  out: list[Finding], db: _Db) -> None:
    from quickcrm.store.migrate import current_revision, head_revision

    current, head = current_revision(conn), head_revision()
    if current is None:
        out.append(Finding("database", WARNING, f"{name} holds no QuickCRM schema yet: it is "
                           f"created on first use", "run `quickcrm db upgrade`"))
    elif current != head:
        out.append(Finding("database", ERROR, f"{name} is at revision {current}, this "
                           f"QuickCRM needs {head}",
                           "stop the daemons and run `quickcrm db upgrade` (an older "
                           "QuickCRM cannot use a newer database: upgrade QuickCRM)"))
    else:
        db.at_head = True
        out.append(Finding("database", OK, f"{name} reachable, at revision {head}"))
    if backend == "sqlite":
        assert path is not None
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        if str(mode).lower() != "wal":
            out.append(Finding("database", WARNING, f"{path} is in journal mode {mode}, not "
                               f"WAL: readers and the daemon block each other",
                               "run any quickcrm command that writes (it turns WAL on)"))
        else:
            out.append(Finding("database", OK, "SQLite in WAL mode"))
        blocked = [str(p) for p in (path, path.parent) if not os.access(p, os.W_OK)]
        if blocked:
            out.append(Finding("database", ERROR, f"not writable for this user: "
                               f"{', '.join(blocked)}",
                               "the file and its directory must be writable (WAL keeps "
                               "-wal and -shm files beside it)"))
        else:
            out.append(Finding("database", OK, "writable"))
    elif current is not None:
        from sqlalchemy import text

        conn.rollback()  # end the reading transaction; this one writes and is rolled back
        try:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            out.append(Finding("database", OK, "writable"))
        except Exception as exc:  # noqa: BLE001
            out.append(Finding("database", ERROR, f"not writable: {_first_line(exc)}",
                               "GRANT the QuickCRM user SELECT, INSERT, UPDATE, DELETE on "
                               "its tables (see docs/operations.md)"))
        finally:
            conn.rollback()


def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- mail ----------------------------------------------------------------------------


def _mail(settings: Settings) -> list[Finding]:
    from quickcrm.errors import ConfigError
    from quickcrm.mail.transports import MaildirTransport, make_transport

    fix = "set mail.url (QUICKCRM_SMTP_URL), e.g. smtp://user:pass@smtp.firma.nl:587?starttls=1"
    try:
        transport = make_transport(settings.mail_url, settings=settings)
    except ConfigError as exc:
        return [Finding("mail.url", ERROR, str(exc), fix)]
    if isinstance(transport, MaildirTransport):
        return _maildir(Path(transport.path))
    shown = mask_url(settings.mail_url)
    host, port = transport.host, transport.port
    timeout = min(transport.timeout, NET_TIMEOUT)
    context = ssl.create_default_context()
    if not transport.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        if transport.tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("mail.url", ERROR, f"{shown}: cannot connect to {host}:{port}: {exc}",
                        "check the host and port in mail.url and that the mail server "
                        "accepts connections from this machine")]
    found: list[Finding] = []
    try:
        code, answer = conn.ehlo()
        if code != 250:
            return [Finding("mail.url", ERROR, f"{shown}: EHLO answered {code} "
                            f"{answer.decode(errors='replace')}", fix)]
        did = ["EHLO"]
        if transport.starttls:
            conn.starttls(context=context)
            conn.ehlo()
            did.append("STARTTLS")
        elif not transport.tls and conn.has_extn("starttls"):
            found.append(Finding("mail.url", WARNING, f"{host}:{port} offers STARTTLS but "
                                 f"mail.url does not use it: mail travels unencrypted",
                                 "add ?starttls=1 to mail.url"))
        if transport.user:
            conn.login(transport.user, transport.password)
            did.append("login")
        found.insert(0, Finding("mail.url", OK, f"{shown} answers ({', '.join(did)}; "
                                f"nothing sent)"))
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("mail.url", ERROR, f"{shown}: {exc}",
                        "check the user, password and starttls/smtps choice in mail.url")]
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return found


def _maildir(path: Path) -> list[Finding]:
    where = path if path.exists() else _existing_parent(path)
    if not os.access(where, os.W_OK):
        return [Finding("mail.url", ERROR, f"maildir {path} is not writable",
                        f"make {where} writable for this user, or point mail.url elsewhere")]
    return [Finding("mail.url", WARNING, f"maildir {path}: messages are written there, "
                    f"nothing is sent",
                    "set mail.url to your SMTP relay before the first real campaign")]


def _imap(settings: Settings) -> list[Finding]:
    url = str(settings["mail.imap_url"])
    if not url:
        return []
    import imaplib
    from urllib.parse import parse_qs, unquote

    shown = mask_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        return [Finding("mail.imap_url", ERROR, f"{shown}: not imaps://user:pass@host/FOLDER "
                        f"or imap://...?starttls=1", "fix mail.imap_url (QUICKCRM_IMAP_URL)")]
    query = parse_qs(parts.query)
    context = ssl.create_default_context()
    if query.get("verify", ["1"])[-1] in ("0", "false", "no"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    conn: imaplib.IMAP4 | None = None
    try:
        if parts.scheme == "imaps":
            conn = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993, ssl_context=context,
                                     timeout=NET_TIMEOUT)
        else:
            conn = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=NET_TIMEOUT)
            if query.get("starttls", ["0"])[-1] in ("1", "true", "yes"):
                conn.starttls(ssl_context=context)
        conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
        status, _ = conn.select('"' + folder.replace('"', '\\"') + '"', readonly=True)
        if status != "OK":
            return [Finding("mail.imap_url", ERROR, f"{shown}: no folder {folder!r}",
                            "name an existing folder in mail.imap_url")]
        return [Finding("mail.imap_url", OK, f"{shown}: logged in, folder {folder} found")]
    except (OSError, imaplib.IMAP4.error) as exc:
        return [Finding("mail.imap_url", ERROR, f"{shown}: {_first_line(exc)}",
                        "check host, port, user and password in mail.imap_url")]
    finally:
        if conn is not None:
            try:
                conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass


# -- DNS -----------------------------------------------------------------------------


def _dns(settings: Settings, db: _Db, nameserver: str | None,
         timeout: float) -> list[Finding]:
    sender = str(settings["mail.sender"])
    sender_domain = sender.rpartition("@")[2].strip().lower()
    rm_domains = _rm_domains(db)
    lookup = _resolver(nameserver, timeout)
    out: list[Finding] = []
    unreachable: list[str] = []

    def txt(name: str) -> list[str] | None:
        """TXT strings of ``name`` ([] when there are none); None when DNS did not answer."""
        if unreachable:
            return None
        try:
            return lookup(name)
        except _NoAnswer:
            return []
        except _Unreachable as exc:
            unreachable.append(str(exc))
            return None

    def could_not(check: str, what: str) -> Finding:
        return Finding(check, WARNING, f"could not check {what}: DNS did not answer "
                       f"({unreachable[0] if unreachable else 'no reply'})",
                       "run doctor where DNS is reachable, or give --nameserver HOST:PORT")

    if sender_domain:
        records = txt(sender_domain)
        spf = [r for r in records or [] if r.lower().startswith("v=spf1")]
        if records is None:
            out.append(could_not("spf", f"SPF of {sender_domain}"))
        elif spf:
            out.append(Finding("spf", OK, f"{sender_domain}: {spf[0]}"))
        else:
            out.append(Finding("spf", WARNING, f"{sender_domain} (mail.sender) has no SPF "
                               f"record: invitations may land in the spam box",
                               f"publish a TXT record 'v=spf1 include:<your relay> -all' "
                               f"for {sender_domain}"))
    if db.conn is None or not db.at_head:
        out.append(Finding("dmarc", WARNING, "could not check the relationship managers' "
                           "domains: the database cannot be read", "fix the database first"))
        return out
    if not rm_domains:
        out.append(Finding("dmarc", OK, "no relationship managers yet: no From domains to "
                           "check"))
    for domain in rm_domains:
        records = txt(f"_dmarc.{domain}")
        dmarc = [r for r in records or [] if r.upper().startswith("V=DMARC1")]
        if records is None:
            out.append(could_not("dmarc", f"DMARC of {domain}"))
        elif dmarc:
            out.append(Finding("dmarc", OK, f"{domain}: {dmarc[0]}"))
        else:
            out.append(Finding("dmarc", WARNING, f"{domain} (the From: of relationship "
                               f"managers) has no DMARC record: receivers may reject or "
                               f"spam-box mail sent in its name",
                               f"publish a TXT record at _dmarc.{domain}, e.g. "
                               f"'v=DMARC1; p=none; rua=mailto:dmarc@{domain}'"))
    out += _dkim(settings, rm_domains, txt, could_not)
    return out


def _dkim(settings: Settings, rm_domains: list[str], txt: Callable[[str], list[str] | None],
          could_not: Callable[[str, str], Finding]) -> list[Finding]:
    """The DKIM key mail is signed with (``mail.dkim_*``, issue 24) against the public key
    published at SELECTOR._domainkey.DOMAIN, and the RMs' From domains against it."""
    from quickcrm.errors import ConfigError
    from quickcrm.mail.dkim import signer_from

    try:
        signer = signer_from(settings)
    except ConfigError as exc:
        return [Finding("dkim", ERROR, str(exc), "fix mail.dkim_domain, mail.dkim_selector "
                        "and mail.dkim_key_file (docs/mail.md)")]
    if signer is None:
        return [Finding("dkim", WARNING, "outgoing mail is not DKIM-signed (mail.dkim_domain "
                        "is empty): DMARC then rests on SPF alone",
                        "set mail.dkim_domain, mail.dkim_selector and mail.dkim_key_file "
                        "(docs/mail.md)")]
    domain = str(settings["mail.dkim_domain"]).strip().lower()
    selector = str(settings["mail.dkim_selector"]).strip()
    name = f"{selector}._domainkey.{domain}"
    out: list[Finding] = []
    records = txt(name)
    published = [r for r in records or [] if "p=" in r]
    if records is None:
        out.append(could_not("dkim", f"the DKIM key at {name}"))
    elif not published:
        out.append(Finding("dkim", ERROR, f"no DKIM key published at {name}: every signed "
                           f"message fails DKIM", f"publish the public key of "
                           f"{settings['mail.dkim_key_file']} as a TXT record at {name}"))
    else:
        ours = _public_key(Path(str(settings["mail.dkim_key_file"])).expanduser())
        theirs = _tag(published[0], "p")
        if ours is not None and theirs != ours:
            out.append(Finding("dkim", ERROR, f"the key published at {name} is not the public "
                               f"key of mail.dkim_key_file: every signed message fails DKIM",
                               f"publish p={ours[:16]}… at {name}, or use the matching key"))
        else:
            out.append(Finding("dkim", OK, f"{name} publishes the signing key"))
    for rm_domain in rm_domains:
        if rm_domain != domain and not rm_domain.endswith("." + domain):
            out.append(Finding("dkim", WARNING, f"relationship managers send From: "
                               f"{rm_domain}, but mail is signed for {domain}: DMARC "
                               f"alignment fails for it", "sign for the RMs' own domain "
                               "(mail.dkim_domain)"))
    return out


def _tag(record: str, name: str) -> str:
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip() == name:
            return "".join(value.split())
    return ""


def _public_key(path: Path) -> str | None:
    """The base64 SubjectPublicKeyInfo of a PEM private key (as DNS publishes it)."""
    import base64

    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001 - an Ed25519 key is published raw: not compared
        return None
    return base64.b64encode(der).decode()


class _NoAnswer(Exception):
    pass


class _Unreachable(Exception):
    pass


def _resolver(nameserver: str | None, timeout: float) -> Callable[[str], list[str]]:
    import dns.exception
    import dns.resolver

    if nameserver:
        host, _, port = nameserver.rpartition(":") if ":" in nameserver else (nameserver, "", "53")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [socket.gethostbyname(host or "127.0.0.1")]
        resolver.port = int(port or 53)
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            def nowhere(name: str) -> list[str]:
                raise _Unreachable("no nameserver configured")

            return nowhere
    resolver.lifetime = timeout
    resolver.timeout = timeout

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            raise _NoAnswer() from None
        except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError) as exc:
            raise _Unreachable(type(exc).__name__ if not str(exc) else str(exc)[:120]) from None
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    return lookup


def _rm_domains(db: _Db) -> list[str]:
    """The domains of the From addresses the firm's relationship managers send with."""
    if db.conn is None or not db.at_head:
        return []
    from sqlalchemy import select

    from quickcrm.permissions import RM
    from quickcrm.store.models import User, UserRight

    u, r = User.__table__, UserRight.__table__  # type: ignore[attr-defined]
    emails = db.conn.execute(select(u.c.email).join(r, r.c.user_id == u.c.id)
                             .where(r.c.right == RM, u.c.active)).scalars()
    return sorted({e.rpartition("@")[2].lower() for e in emails if "@" in e})


# -- web, templates, file modes --------------------------------------------------------


def _base_url(settings: Settings) -> list[Finding]:
    url = settings.base_url
    parts = urlsplit(url)
    fix = "set web.base_url (QUICKCRM_BASE_URL) to the address clients open, e.g. " \
          "https://quickscan.firma.nl"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Finding("web.base_url", ERROR, f"{url!r} is not an absolute http(s) URL: "
                        f"links in e-mails would not work", fix)]
    if parts.hostname in ("localhost", "127.0.0.1", "::1") or parts.hostname.endswith(".local"):
        return [Finding("web.base_url", WARNING, f"{url}: clients cannot open links to "
                        f"{parts.hostname}", fix)]
    if parts.scheme != "https":
        return [Finding("web.base_url", WARNING, f"{url}: links are not https",
                        "serve the web app behind TLS and use an https:// base URL")]
    return [Finding("web.base_url", OK, url)]


def _templates(db: _Db) -> list[Finding]:
    from jinja2 import TemplateError

    from quickcrm.errors import QuickCRMError
    from quickcrm.quickscans.definitions import read_file, shipped_dir
    from quickcrm.resources import templates_dir
    from quickcrm.templating import html_files, parse

    out: list[Finding] = []
    bad: list[str] = []
    count = 0
    for folder in ("web", "mail"):
        env = html_files(folder)
        for path in sorted((templates_dir() / folder).glob("*.html")):
            count += 1
            try:
                parse(env, path.read_text(encoding="utf-8"))
            except (TemplateError, UnicodeDecodeError) as exc:
                bad.append(f"{path}: {exc}")
    files = sorted(shipped_dir().glob("*.toml"))
    for path in files:
        try:
            read_file(path)
        except QuickCRMError as exc:
            bad.append(_first_line(exc))
    stored = 0
    if db.conn is not None and db.at_head:
        from sqlalchemy import select

        from quickcrm.quickscans.models import QuickScan
        from quickcrm.quickscans.schema import parse_definition

        q = QuickScan.__table__  # type: ignore[attr-defined]
        for key, text in db.conn.execute(select(q.c.key, q.c.definition)):
            stored += 1
            try:
                parse_definition(json.loads(text), f"QuickScan {key!r} in the database")
            except (QuickCRMError, ValueError, TemplateError) as exc:
                bad.append(_first_line(exc))
    for problem in bad:
        out.append(Finding("templates", ERROR, problem,
                           "correct the file and load it again (`quickcrm quickscan load`)"))
    if not bad:
        out.append(Finding("templates", OK, f"{count} page and mail templates, {len(files)} "
                           f"shipped and {stored} loaded QuickScan definitions validate"))
    return out


def _file_modes(settings: Settings) -> list[Finding]:
    from quickcrm.mail.transports import MaildirTransport, make_transport
    from quickcrm.store.db import sqlite_path

    out: list[Finding] = []
    paths: list[tuple[str, Path]] = []
    try:
        db = sqlite_path(settings.database_url)
    except Exception:  # noqa: BLE001 - reported by the database check
        db = None
    if db is not None:
        paths += [("database file", p) for p in (db, Path(f"{db}-wal")) if p.exists()]
    try:
        transport = make_transport(settings.mail_url)
        if isinstance(transport, MaildirTransport) and Path(transport.path).exists():
            paths.append(("maildir", Path(transport.path)))
    except Exception:  # noqa: BLE001 - reported by the mail check
        pass
    if settings.config_path is not None and settings.config_path.exists():
        paths.append(("configuration file", settings.config_path))
    for what, path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & stat.S_IRWXO:
            wanted = "700" if path.is_dir() else "600"
            out.append(Finding("file modes", WARNING, f"{what} {path} is readable by every "
                               f"user of this machine (mode {mode:o}): it holds clients' "
                               f"data or passwords", f"chmod {wanted} {path}"))
    if not out:
        out.append(Finding("file modes", OK, f"{len(paths)} files and folders not readable by "
                           f"others" if paths else "nothing on disk to check"))
    return out
