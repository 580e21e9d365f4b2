"""One settings object for the CLI, the daemon and the web app.

Precedence, lowest first: built-in defaults, ``quickcrm.toml`` (``--config`` /
``QUICKCRM_CONFIG``, else ``./quickcrm.toml`` when present), environment variables,
command-line options (``--db``). Each setting has a dotted name (``mail.url``) that is its
place in the TOML file, and one environment variable.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quickcrm.errors import ConfigError


@dataclass(frozen=True)
class Option:
    name: str  # dotted: section.key
    env: str
    default: Any
    help: str
    secret: bool = False
    choices: tuple[str, ...] = ()  # a text setting that takes one of these only

    @property
    def kind(self) -> type:
        return type(self.default)


OPTIONS: tuple[Option, ...] = (
    Option("database.url", "QUICKCRM_DATABASE_URL", "sqlite:///quickcrm.db",
           "SQLAlchemy URL of the store; sqlite:///FILE or postgresql+psycopg://..."),
    Option("mail.url", "QUICKCRM_SMTP_URL", "maildir:./outbox",
           "Mail transport: smtp://[user:pass@]host:port[?starttls=1], smtps://..., maildir:PATH"),
    Option("mail.sender", "QUICKCRM_MAIL_SENDER", "noreply@quickcrm.example",
           "Envelope sender and Sender: header; From: is the relationship manager"),
    Option("mail.sender_name", "QUICKCRM_MAIL_SENDER_NAME", "QuickCRM",
           "Display name for mail the platform sends in its own name"),
    Option("mail.rate_per_minute", "QUICKCRM_MAIL_RATE", 0,
           "At most this many messages a minute (0: no limit)"),
    Option("mail.retry_max_age_hours", "QUICKCRM_MAIL_RETRY_HOURS", 72,
           "How long a message that got a 4xx reply is retried before it is failed"),
    Option("mail.lease_seconds", "QUICKCRM_MAIL_LEASE_SECONDS", 300,
           "A delivery or once-a-day job claim not renewed for this long is taken over "
           "(its worker is presumed dead)"),
    Option("mail.durable_results", "QUICKCRM_MAIL_DURABLE_RESULTS", False,
           "Flush every delivery result to disk: no resends after a power failure, but slower"),
    Option("mail.imap_url", "QUICKCRM_IMAP_URL", "",
           "Mailbox the daemon polls for bounces: imaps://user:pass@host/INBOX", secret=True),
    # mail (issue 24)
    Option("mail.imap_bounce_folder", "QUICKCRM_IMAP_BOUNCE_FOLDER", "",
           "IMAP folder ingested bounces are moved to (created if missing); empty: they stay "
           "and are flagged \\Seen. Other mail in the mailbox is never touched"),
    Option("mail.bounce_window_days", "QUICKCRM_BOUNCE_WINDOW_DAYS", 7,
           "A bounce without our Message-ID marks every message sent to its address in "
           "this many days before the bounce"),
    Option("mail.dkim_domain", "QUICKCRM_DKIM_DOMAIN", "",
           "Sign outgoing mail with DKIM for this domain (d=; the From domain, the "
           "relationship managers' firm); empty: no signature"),
    Option("mail.dkim_selector", "QUICKCRM_DKIM_SELECTOR", "quickcrm",
           "DKIM selector (s=): the public key is published at SELECTOR._domainkey.DOMAIN"),
    Option("mail.dkim_key_file", "QUICKCRM_DKIM_KEY_FILE", "",
           "PEM file with the DKIM private key (RSA or Ed25519)", secret=True),
    Option("web.base_url", "QUICKCRM_BASE_URL", "http://localhost:8000",
           "Public base URL of the web app, used in links in e-mails"),
    Option("firm.name", "QUICKCRM_FIRM_NAME", "Voorbeeld Accountants",
           "The firm's name, shown in e-mails, pages and reports"),
    Option("firm.timezone", "QUICKCRM_TIMEZONE", "Europe/Amsterdam",
           "Time zone in which times are shown and calendar days counted"),
    # Firm branding (issue 25): one place for the web pages, the mails, the PDF and the
    # PowerPoint.
    Option("firm.logo_file", "QUICKCRM_FIRM_LOGO", "",
           "The firm's logo, a PNG or JPEG file (empty: the firm's name in text)"),
    Option("firm.color_primary", "QUICKCRM_FIRM_COLOR", "#1f4e79",
           "The firm's main colour (#rrggbb), for headings, buttons and bars"),
    Option("firm.color_accent", "QUICKCRM_FIRM_ACCENT", "#b34700",
           "The firm's second colour (#rrggbb), for accents and attention points"),
    Option("firm.phone", "QUICKCRM_FIRM_PHONE", "", "The firm's general phone number"),
    Option("firm.email", "QUICKCRM_FIRM_EMAIL", "", "The firm's general e-mail address"),
    Option("firm.website", "QUICKCRM_FIRM_WEBSITE", "", "The firm's website (https://...)"),
    Option("firm.address", "QUICKCRM_FIRM_ADDRESS", "",
           "The firm's postal address, one line (shown in page footers and reports)"),
    Option("firm.privacy_url", "QUICKCRM_FIRM_PRIVACY_URL", "",
           "The firm's privacy statement (empty: the web app's own /privacy page)"),
    Option("firm.pptx_template", "QUICKCRM_FIRM_PPTX", "",
           "A .pptx whose slide master the conversation PowerPoint uses (empty: the shipped one)"),
    Option("web.frame_ancestors", "QUICKCRM_FRAME_ANCESTORS", "",
           "Sites allowed to embed landing pages in a frame, e.g. https://www.firma.nl "
           "(empty: none)"),
    Option("admin.email", "QUICKCRM_ADMIN_EMAIL", "admin@quickcrm.example",
           "The administrator created on first use and the default acting user"),
    Option("admin.name", "QUICKCRM_ADMIN_NAME", "Beheerder",
           "Display name of that administrator"),
    Option("campaigns.max_per_rm", "QUICKCRM_MAX_PER_RM", 40,
           "Warn when a relationship manager has more clients than this in one selection"),
    Option("selection.policy", "QUICKCRM_SELECTION_POLICY", "default",
           "Face policy of new campaigns: default (seed 000 step 1: every face neutral or "
           "positive) or strict (the Happy Faces footnote)", choices=("default", "strict")),
    Option("reminders.skip_weekdays", "QUICKCRM_SKIP_WEEKDAYS", "sun",
           "Weekdays on which no reminder goes out (comma separated: mon..sun, or empty)"),
    Option("reminders.skip_holidays", "QUICKCRM_SKIP_HOLIDAYS", False,
           "Also skip Dutch public holidays"),
    Option("reminders.send_window", "QUICKCRM_SEND_WINDOW", "09:00-17:00",
           "Local hours in which reminders and no-response notices go out (HH:MM-HH:MM; "
           "an overnight window such as 22:00-06:00 spans midnight; empty: any time)"),
    Option("landing.number_prefix", "QUICKCRM_LANDING_PREFIX", "LP",
           "Prefix of the relation numbers given to prospects from a landing page"),
    Option("landing.privacy_text", "QUICKCRM_LANDING_PRIVACY",
           "Ik geef toestemming om mijn gegevens en antwoorden te gebruiken voor het "
           "toesturen van mijn rapportage en om contact met mij op te nemen over de "
           "uitkomsten. Mijn gegevens worden vertrouwelijk behandeld en niet met derden "
           "gedeeld.",
           "The consent text next to the landing page's checkbox (kept with each visitor)"),
    Option("daemon.deliver_every", "QUICKCRM_DELIVER_EVERY", 30,
           "Seconds between delivery runs of the daemon"),
    Option("daemon.remind_every", "QUICKCRM_REMIND_EVERY", 900,
           "Seconds between reminder runs of the daemon"),
    Option("daemon.bounces_every", "QUICKCRM_BOUNCES_EVERY", 900,
           "Seconds between bounce-mailbox polls of the daemon"),
    # the person CRM (issue 26)
    Option("files.path", "QUICKCRM_FILES_DIR", "./files",
           "Folder of the files stored on person cards and dossiers (content-addressed)"),
    Option("files.max_mb", "QUICKCRM_FILES_MAX_MB", 25, "Largest file to store, in MB"),
    Option("risk.review_hoog_days", "QUICKCRM_RISK_REVIEW_HOOG_DAYS", 365,
           "Days after a 'hoog' risk classification that its review signal is due (0: none)"),
    Option("risk.review_laag_days", "QUICKCRM_RISK_REVIEW_LAAG_DAYS", 1095,
           "Days after a 'laag' risk classification that its review signal is due (0: none)"),
    # procedures (issue 27)
    Option("procedures.number_prefix", "QUICKCRM_SUSPECT_PREFIX", "SU",
           "Prefix of the relation numbers given to imported suspects without one"),
    # attention (issue 28)
    Option("daemon.attention_every", "QUICKCRM_ATTENTION_EVERY", 3600,
           "Seconds between the daemon's checks for the nightly attention monitor of "
           "relation groups (it runs once per local day)"),
    # operations (issue 30)
    Option("log.format", "QUICKCRM_LOG_FORMAT", "plain",
           "Log lines of the daemon, serve and the web app: plain (for people) or json "
           "(one JSON object a line, for a log collector)", choices=("plain", "json")),
    Option("log.file", "QUICKCRM_LOG_FILE", "",
           "File the daemon, serve and the web app append their log to (empty: stderr)"),
    Option("log.level", "QUICKCRM_LOG_LEVEL", "info",
           "Least important log lines written: debug, info, warning or error",
           choices=("debug", "info", "warning", "error")),
    # privacy (issue 29): retention periods (0: keep) and the daemon's daily purge
    Option("privacy.answers_days", "QUICKCRM_ANSWERS_DAYS", 0,
           "Days after a campaign closed that its clients' answers are kept (0: keep)"),
    Option("privacy.outbox_days", "QUICKCRM_OUTBOX_DAYS", 0,
           "Days a sent e-mail's text is kept in the outbox; the row stays for the counts "
           "(0: keep)"),
    Option("privacy.unconfirmed_visitor_days", "QUICKCRM_UNCONFIRMED_VISITOR_DAYS", 0,
           "Days a landing page visitor who never confirmed their e-mail address is kept "
           "(0: keep)"),
    Option("daemon.purge_every", "QUICKCRM_PURGE_EVERY", 3600,
           "Seconds between the daemon's checks for the once-a-day privacy purge"),
    # audit (issue 29, item 7): need-to-know reading
    Option("privacy.read_all_rms", "QUICKCRM_READ_ALL_RMS", False,
           "Let every relationship manager read the risk class, identification, notes, "
           "files and e-mails of every relation (false: only their own and their team's)"),
)

_BY_NAME = {o.name: o for o in OPTIONS}


def _coerce(option: Option, raw: Any, origin: str) -> Any:
    value = _typed(option, raw, origin)
    if option.choices:
        value = str(value).lower()
    if option.choices and value not in option.choices:
        raise ConfigError(f"{origin}: {option.name} must be one of "
                          f"{', '.join(option.choices)}, got {raw!r}")
    return value


def _typed(option: Option, raw: Any, origin: str) -> Any:
    kind = option.kind
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            if kind is bool:
                if text.lower() in {"1", "true", "yes", "on", "ja"}:
                    return True
                if text.lower() in {"0", "false", "no", "off", "nee", ""}:
                    return False
                raise ValueError(text)
            if kind is int:
                return int(text)
        except ValueError:
            raise ConfigError(
                f"{origin}: {option.name} must be {kind.__name__}, got {raw!r}"
            ) from None
        return text
    raise ConfigError(f"{origin}: {option.name} must be {kind.__name__}, got {raw!r}")


@dataclass
class Settings:
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    config_path: Path | None = None
    warnings: list[str] = field(default_factory=list)  # for stderr (``exposed_secrets``)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def database_url(self) -> str:
        return str(self.values["database.url"])

    @property
    def mail_url(self) -> str:
        return str(self.values["mail.url"])

    @property
    def base_url(self) -> str:
        return str(self.values["web.base_url"]).rstrip("/")

    @property
    def timezone(self) -> str:
        return str(self.values["firm.timezone"])

    @property
    def admin_email(self) -> str:
        return str(self.values["admin.email"]).strip().lower()

    def masked(self) -> dict[str, Any]:
        """The effective settings with passwords and secret values hidden."""
        out: dict[str, Any] = {}
        for option in OPTIONS:
            value = self.values[option.name]
            if option.secret and value:
                value = mask_url(str(value)) if "://" in str(value) else MASK
            elif isinstance(value, str) and "://" in value:
                value = mask_url(value)
            out[option.name] = value
        return out


MASK = "********"
# Query parameters whose value is a secret: password=, pass=, pwd=, token=, api_key=, ...
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|auth|credential|sig", re.IGNORECASE)


def _mask_param(param: str) -> str:
    name, eq, value = param.partition("=")
    return f"{name}={MASK}" if eq and value and _SECRET_PARAM.search(name) else param


def mask_url(url: str) -> str:
    """Hide every secret in a URL wherever it sits: the password of
    ``scheme://user:password@host`` (up to the last ``@`` before the query, so an
    unescaped ``@`` in it hides too) and each query parameter named like a secret."""
    base, qmark, rest = url.partition("?")
    query, hash_, fragment = rest.partition("#")
    scheme, sep, after = base.partition("://")
    if sep and "@" in after:
        userinfo, _, host = after.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        base = f"{scheme}://{user}{':' + MASK if colon else ''}@{host}"
    if qmark:
        query = "&".join(";".join(_mask_param(p) for p in part.split(";"))
                         for part in query.split("&"))
    return base + qmark + query + hash_ + fragment


def redact(text: str, password: str, user: str = "") -> str:
    """``text`` without ``password`` in any form a server could echo it in: as is,
    URL-quoted, and base64 as AUTH LOGIN and AUTH PLAIN send it (issue 29: an error
    reaches the log, the outbox's ``last_error`` and the screen)."""
    if not password:
        return text
    import base64
    from urllib.parse import quote

    forms = {password, quote(password, safe=""), base64.b64encode(password.encode()).decode(),
             base64.b64encode(f"\0{user}\0{password}".encode()).decode()}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    flat: dict[str, Any] = {}
    for section, body in data.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
        for key, value in body.items():
            name = f"{section}.{key}"
            if name not in _BY_NAME:
                raise ConfigError(f"{path}: unknown setting {name!r}")
            flat[name] = value
    return flat


def load_settings(
    config: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the effective settings; see the module docstring for precedence."""
    environ = os.environ if env is None else env
    path: Path | None = None
    if config:
        path = Path(config)
    elif environ.get("QUICKCRM_CONFIG"):
        path = Path(environ["QUICKCRM_CONFIG"])
    elif Path("quickcrm.toml").is_file():
        path = Path("quickcrm.toml")
    from_file = _read_toml(path) if path else {}

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        value, source = option.default, "default"
        if option.name in from_file:
            value = _coerce(option, from_file[option.name], str(path))
            source = str(path)
        if environ.get(option.env) is not None:
            value = _coerce(option, environ[option.env], option.env)
            source = option.env
        if overrides and overrides.get(option.name) is not None:
            value = _coerce(option, overrides[option.name], "command line")
            source = "command line"
        values[option.name], sources[option.name] = value, source
    warnings = [w for w in [exposed_secrets(path, from_file)] if w] if path else []
    return Settings(values=values, sources=sources, config_path=path, warnings=warnings)


def _has_password(value: Any) -> bool:
    from urllib.parse import urlsplit

    text = str(value)
    if "://" not in text:
        return False
    try:
        return bool(urlsplit(text).password)
    except ValueError:
        return "@" in text


def exposed_secrets(path: Path, from_file: dict[str, Any]) -> str | None:
    """A warning when the configuration file holds a password (a URL's userinfo, a
    secret setting) while others than its owner may read it (issue 29); else None."""
    held = sorted(name for name, value in from_file.items() if value and (
        _has_password(value) or (_BY_NAME[name].secret and "://" not in str(value))))
    if not held:
        return None
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (f"warning: {path} holds a password ({', '.join(held)}) and is readable by "
            f"{'everyone' if mode & 0o007 else 'its group'} (mode {mode:04o}); "
            f"make it the owner's alone: chmod 600 {path}")
