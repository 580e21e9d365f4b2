"""DKIM signatures on outgoing mail (``mail.dkim_domain``, ``mail.dkim_selector``,
``mail.dkim_key_file``), made with dkimpy when a message is queued.

Why: From is the relationship manager's (the firm's) domain while the envelope sender is
the platform's, so SPF cannot align with From and DMARC passes only on a DKIM signature
whose ``d=`` is the From domain (../shared/pitfalls.md). So ``d=`` is ``mail.dkim_domain``,
the firm's domain; a message whose From is another domain (not a subdomain) is still
signed, and a warning says DMARC will not align for it.

Why at queue time: the outbox holds every message's final bytes, so a retry or a second
worker sends byte-for-byte the same, signed, message. The signature covers From, To,
Subject, Date, Message-ID, the MIME headers, Sender, and ``List-Unsubscribe`` with
``List-Unsubscribe-Post`` (RFC 8058 requires those two to be signed) and
``Auto-Submitted`` when present.

The runtime builds one ``Signer`` from the settings (``signer_from``) and hands it to the
sessions it opens (``session.info["dkim"]``), where ``quickcrm.mail.outbox`` finds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quickcrm.errors import ConfigError

log = logging.getLogger("quickcrm.mail")

SIGNED = (b"from", b"sender", b"reply-to", b"to", b"cc", b"subject", b"date", b"message-id",
          b"mime-version", b"content-type", b"content-transfer-encoding",
          b"list-unsubscribe", b"list-unsubscribe-post", b"auto-submitted", b"in-reply-to",
          b"references")


@dataclass
class Signer:
    domain: str
    selector: str
    key: bytes = field(repr=False)
    warned: set[str] = field(default_factory=set, repr=False)

    def aligned(self, from_domain: str) -> bool:
        """Whether DMARC (relaxed alignment) accepts ``d=domain`` for this From domain."""
        return from_domain == self.domain or from_domain.endswith("." + self.domain)

    def sign(self, message: bytes, from_domain: str) -> bytes:
        """``message`` with a DKIM-Signature header in front."""
        import dkim

        speed_up_dkimpy()

        if not self.aligned(from_domain) and from_domain not in self.warned:
            self.warned.add(from_domain)
            log.warning("mail.dkim_domain is %s but mail goes out From %s: DMARC will not "
                        "align for it (sign for that domain, or send From %s)",
                        self.domain, from_domain, self.domain)
        head = message.split(b"\r\n\r\n", 1)[0].lower()
        present = [h for h in SIGNED if head.startswith(h + b":") or b"\r\n" + h + b":" in head]
        signature = dkim.sign(message, self.selector.encode(), self.domain.encode(), self.key,
                              include_headers=present, canonicalize=(b"relaxed", b"relaxed"),
                              linesep=b"\r\n")
        return bytes(signature) + message


def speed_up_dkimpy() -> None:
    """Let dkimpy's RSA signing run in OpenSSL, once per process.

    dkimpy signs in pure Python: it parses the PEM key for every message (ASN.1 in
    Python) and raises to the private exponent with Python integers, some 15-30 ms a
    message on a busy machine, which a send of thousands of invitations would spend
    inside its queueing transactions. The RSASSA-PKCS1-v1_5 signature is deterministic,
    so the same bytes come from ``cryptography`` (OpenSSL) in about 0.5 ms with the key
    parsed once; dkimpy still canonicalises, hashes and writes the header. Its own code
    is the fallback for anything unexpected (and without ``cryptography``), and
    ``tests/test_mail_dkim.py`` checks both give the same signature."""
    import dkim

    if getattr(dkim.RSASSA_PKCS1_v1_5_sign, "quickcrm", False):
        return
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
    except ImportError:
        return
    original_sign, original_parse = dkim.RSASSA_PKCS1_v1_5_sign, dkim.parse_pem_private_key
    parsed: dict[bytes, Any] = {}
    keys: dict[int, Any] = {}
    algorithms = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}

    def parse(data: bytes) -> Any:
        if data not in parsed:
            parsed[data] = original_parse(data)
        return parsed[data]

    def sign(digest: Any, pk: Any) -> bytes:
        try:
            key = keys.get(pk["modulus"])
            if key is None:
                key = keys[pk["modulus"]] = rsa.RSAPrivateNumbers(
                    p=pk["prime1"], q=pk["prime2"], d=pk["privateExponent"],
                    dmp1=pk["exponent1"], dmq1=pk["exponent2"], iqmp=pk["coefficient"],
                    public_numbers=rsa.RSAPublicNumbers(pk["publicExponent"], pk["modulus"]),
                ).private_key()
            return bytes(key.sign(digest.digest(), padding.PKCS1v15(),
                                  utils.Prehashed(algorithms[digest.name]())))
        except Exception:  # noqa: BLE001 - dkimpy's own code decides
            return bytes(original_sign(digest, pk))

    sign.quickcrm = True  # type: ignore[attr-defined]
    sign.original = original_sign  # type: ignore[attr-defined]
    parse.original = original_parse  # type: ignore[attr-defined]
    dkim.RSASSA_PKCS1_v1_5_sign = sign
    dkim.parse_pem_private_key = parse


def signer_from(settings: Any) -> Signer | None:
    """The signer the settings configure, or None (no ``mail.dkim_domain``). A key that
    cannot be read or used stops with one line naming the file."""
    domain = str(settings["mail.dkim_domain"]).strip().lower()
    if not domain:
        return None
    selector = str(settings["mail.dkim_selector"]).strip()
    path = str(settings["mail.dkim_key_file"]).strip()
    if not selector or not path:
        raise ConfigError("mail.dkim_domain is set: mail.dkim_selector and mail.dkim_key_file "
                          "are needed too")
    try:
        key = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"mail.dkim_key_file: {path}: {exc.strerror or exc}") from None
    signer = Signer(domain=domain, selector=selector, key=key)
    try:
        signer.sign(b"From: a@" + domain.encode() + b"\r\nSubject: t\r\n\r\nt\r\n", domain)
    except Exception as exc:  # noqa: BLE001 - dkimpy raises several kinds for a bad key
        raise ConfigError(f"mail.dkim_key_file: {path}: not a usable RSA private key (PEM): "
                          f"{exc}") from None
    return signer
