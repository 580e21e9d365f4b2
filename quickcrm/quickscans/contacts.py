"""The relationship manager a respondent's pages name (issue 25 item 4): the invited
client's own RM, or a landing page's RM, with function, phone, e-mail and whether a
photo is stored (``user edit --photo``), for both flows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col


@dataclass(frozen=True)
class Contact:
    """The client's relationship manager as their pages show them."""

    name: str
    first_name: str
    function: str
    phone: str
    email: str
    has_photo: bool


def contact_of(session: Session, user_id: int | None) -> Contact | None:
    """The relationship manager ``user_id`` (None: no one to name)."""
    from quickcrm.store.models import User, UserPhoto

    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or "@" not in user.email:
        return None
    photo = session.execute(select(col(UserPhoto.user_id))
                            .where(col(UserPhoto.user_id) == user_id)).first()
    return Contact(name=user.name, first_name=user.first_name, function=user.function,
                   phone=user.phone, email=user.email, has_photo=photo is not None)


def photo_of(session: Session, user_id: int | None) -> tuple[str, bytes] | None:
    """(content type, bytes) of a relationship manager's photo, re-encoded on upload."""
    from quickcrm.store.models import UserPhoto

    if user_id is None:
        return None
    photo = session.get(UserPhoto, user_id)
    return (photo.content_type, photo.data) if photo is not None else None
