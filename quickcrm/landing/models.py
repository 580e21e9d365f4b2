"""Tables of the landing pages: the page and its visitors (with consent and double
opt-in). A visitor has no relation until the e-mail address is confirmed; their answers
are in the respondent core's answer table, under ``landing_visitor_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, Text
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column


class LandingPage(SQLModel, table=True):
    __tablename__ = "landing_page"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    quickscan_id: int = Field(foreign_key="quickscan.id", index=True)
    title: str = Field(default="", max_length=300)
    intro: str = Field(default="", sa_type=Text)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    rm_id: int | None = Field(default=None, foreign_key="app_user.id")
    secret: str = Field(max_length=64)  # keys the form's CSRF token
    visits: int = 0
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class LandingVisitor(SQLModel, table=True):
    __tablename__ = "landing_visitor"

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="landing_page.id", index=True, ondelete="CASCADE")
    token: str = Field(max_length=64, unique=True)  # the visitor's own pages
    secret: str = Field(max_length=64)  # keys the CSRF token of those pages
    confirm_token: str = Field(max_length=64, unique=True)  # the link in the e-mail
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=150)
    company: str = Field(default="", max_length=300)
    email: str = Field(default="", max_length=320, index=True)
    address_hash: str = Field(default="", max_length=64, index=True)  # HMAC-SHA256 of the IP (store.secrets)
    consent_text: str = Field(default="", sa_type=Text)
    consent_at: datetime | None = Field(default=None, sa_column=utc_column())
    started_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())
    confirm_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column())
    report_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    relation_id: int | None = Field(default=None, foreign_key="relation.id",
                                    ondelete="SET NULL")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    new_prospect: bool = False


class LandingImage(SQLModel, table=True):
    """A landing page's Open Graph image (PNG, 1200x630), drawn when the page is created
    from its title, the firm's name and logo (``quickcrm.landing.og_image``); apart from
    ``landing_page`` so reading a page never loads it."""

    __tablename__ = "landing_image"

    page_id: int = Field(foreign_key="landing_page.id", primary_key=True, ondelete="CASCADE")
    content_type: str = Field(max_length=40)
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
