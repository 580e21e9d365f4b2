"""Tables of the collective action: faces, campaigns, selections, exclusions.

The QuickScan definitions and the answers are the respondent core's
(``quickcrm.quickscans.models``); the invitation record is in ``invitation``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column


class Face(SQLModel, table=True):
    """The three Happy Faces of one client for one QuickScan: '1' positive, '2' neutral,
    '3' negative, None when nobody set it. Each carries the time it was written, and the
    profile face whether QuickCRM computed it (else it was imported or set by a person),
    so that the face written last counts: a computation replaces a profile face only when
    the client's segments changed after it was written, or, for a computed face, the
    rules did (``quickcrm.campaigns.faces``). ``received_at`` records an imported "Datum
    verzonden": the client got this QuickScan before QuickCRM."""

    __tablename__ = "face"
    __table_args__ = (
        # covering the selection's join (step 1 reads only these columns, a million times)
        Index("ix_face_selection", "relation_id", "quickscan_id", "received_at",
              "profile_face", "update_face", "rm_face"),
        # compute_profile_faces' pre-check: the oldest profile face (computed or not) is
        # one seek each, and the faces of a QuickScan are one narrow range count
        Index("ix_face_profile", "quickscan_id", "profile_computed", "profile_at",
              "profile_face"),
        # ... and whether there is a profile face nobody set is one seek (partial: there
        # are few; a query repeats the condition so both databases may use it)
        Index("ix_face_profile_unset", "quickscan_id",
              sqlite_where=text("profile_face IS NULL"),
              postgresql_where=text("profile_face IS NULL")),
    )

    relation_id: int = Field(foreign_key="relation.id", primary_key=True, ondelete="CASCADE")
    quickscan_id: int = Field(foreign_key="quickscan.id", primary_key=True, ondelete="CASCADE")
    profile_face: str | None = Field(default=None, max_length=1)
    profile_at: datetime | None = Field(default=None, sa_column=utc_column())
    profile_computed: bool = False  # written by compute_profile_faces, not by a person
    update_face: str | None = Field(default=None, max_length=1)
    update_at: datetime | None = Field(default=None, sa_column=utc_column())
    rm_face: str | None = Field(default=None, max_length=1)
    rm_at: datetime | None = Field(default=None, sa_column=utc_column())
    received_at: datetime | None = Field(default=None, sa_column=utc_column())


class Campaign(SQLModel, table=True):
    """A collective action; status moves draft -> final -> sent -> closed."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    quickscan_id: int = Field(foreign_key="quickscan.id", index=True)
    coordinator_id: int = Field(foreign_key="app_user.id")
    status: str = Field(default="draft", max_length=20)
    policy: str = Field(default="default", max_length=20)  # default | strict
    criteria: str = Field(default="{}", sa_type=Text)  # the last select's refinements, JSON
    counts: str = Field(default="{}", sa_type=Text)  # the last select's counts, JSON
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    selected_at: datetime | None = Field(default=None, sa_column=utc_column())
    finalized_at: datetime | None = Field(default=None, sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class CampaignClient(SQLModel, table=True):
    """A client in a campaign's selection after steps 1 and 2 (exclusions are kept apart,
    by relation number). ``campaign finalize`` fills the snapshot columns, so later
    changes to the client do not change who gets the invitation or from whom."""

    __tablename__ = "campaign_client"
    __table_args__ = (
        UniqueConstraint("campaign_id", "relation_id", name="uq_campaign_client"),
        Index("ix_campaign_client_number", "campaign_id", "relation_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    relation_id: int = Field(foreign_key="relation.id", index=True)
    relation_number: str = Field(max_length=50)
    # snapshot at finalize
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=150)
    email: str = Field(default="", max_length=320)
    company: str = Field(default="", max_length=300)
    team_name: str = Field(default="", max_length=200)
    rm_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    profile_face: str | None = Field(default=None, max_length=1)
    update_face: str | None = Field(default=None, max_length=1)
    rm_face: str | None = Field(default=None, max_length=1)


class Exclusion(SQLModel, table=True):
    """Step 3: a client left out of a campaign by relation number (kept across re-selects).
    ``after_finalize``: made on a final, unsent campaign (the coordinator's way out
    before sending); the client's frozen row stays, shown as excluded, and gets no
    invitation."""

    __tablename__ = "exclusion"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    relation_number: str = Field(max_length=50, primary_key=True)
    reason: str = Field(default="", max_length=500)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    after_finalize: bool = False
