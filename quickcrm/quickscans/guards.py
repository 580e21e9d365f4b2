"""What keeps each respondent's pages to that respondent, for both flows (the invited
client's /q/ pages and the landing visitor's /l/ pages).

- Tokens: ``new_token`` has 192 random bits; only a ``well_formed`` token reaches the
  database, and the found row's token is compared again with ``hmac.compare_digest``.
- CSRF: every form carries ``csrf_token(token, secret)``, an HMAC of the respondent's
  token keyed with a secret their pages never show (an invitation's preview token, a
  visitor's secret), so it is stable across devices and needs no cookie.
- A POST is also refused when the browser says it comes from another site
  (``cross_site``: Origin, Sec-Fetch-Site).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

TOKEN_BYTES = 24  # 192 random bits; at least 128 are asked for
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # >= 128 bits of url-safe base64


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def same_token(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode())


def csrf_token(token: str, secret: str) -> str:
    """The hidden form field of one respondent's pages."""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(given: str | None, token: str, secret: str) -> bool:
    # bytes: compare_digest refuses str with non-ASCII characters (a browser can send any)
    return bool(given) and hmac.compare_digest(str(given).encode(),
                                               csrf_token(token, secret).encode())


# C0 control characters but tab, line feed and carriage return, and DEL: never typed,
# only pasted from broken documents; PostgreSQL refuses NUL in text outright.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """A browser's text as it may be stored: NUL dropped, other control characters
    (but tab and line ends) made spaces, lone surrogates replaced."""
    text = _CONTROLS.sub(lambda m: "" if m.group() == "\x00" else " ", value)
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text) if not text.isascii() else False


def cross_site(headers: Any) -> bool:
    """True when the browser tells us the POST comes from another site."""
    if headers.get("sec-fetch-site", "") == "cross-site":
        return True
    origin = headers.get("origin")
    if not origin or origin == "null":  # no-referrer pages post with Origin: null
        return False
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
