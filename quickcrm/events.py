"""Appending to the events table: the one log every area writes as things happen."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from quickcrm.store.models import Event


def record(
    session: Session,
    *,
    kind: str,
    at: datetime,
    relation_id: int | None = None,
    person_id: int | None = None,
    user_id: int | None = None,
    **details: Any,
) -> Event:
    """Add an event to ``session`` (committed with the change that caused it)."""
    event = Event(kind=kind, at=at, relation_id=relation_id, person_id=person_id,
                  user_id=user_id, details=json.dumps(details, default=str, ensure_ascii=False))
    session.add(event)
    return event
