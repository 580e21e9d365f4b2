"""The installation's own secrets (table ``installation_secret``), made by the migration
that introduced each one and never printed: a key that stays on this installation's
database, so a copy of one table without it reveals nothing."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm.store.models import InstallationSecret

VISITOR_ADDRESS = "visitor_address"
# tables whose rows the migrations make (an empty database holds them): a copy of a
# database replaces them with the source's, so its keyed hashes stay comparable
SEEDED_TABLES: tuple[str, ...] = (InstallationSecret.__tablename__,)  # type: ignore[has-type]


def secret(session: Session, name: str) -> bytes:
    """The secret called ``name`` (made by the migrations; missing is a programming
    error)."""
    value = session.execute(select(col(InstallationSecret.value))
                            .where(col(InstallationSecret.name) == name)).scalar_one()
    return bytes.fromhex(value)


def keyed_hash(session: Session, name: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the secret ``name``, as 64 hex digits: equal values
    compare equal, but without the key no value can be found back by trying them all."""
    return hmac.new(secret(session, name), value.encode(), hashlib.sha256).hexdigest()
