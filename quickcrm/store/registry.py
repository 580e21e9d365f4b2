"""Imports every module that defines tables, so ``SQLModel.metadata`` is complete.

Alembic's env.py and the schema test import this; add each new area's models here.
"""

from sqlmodel import SQLModel

import quickcrm.campaigns.invitation  # noqa: F401
import quickcrm.campaigns.models  # noqa: F401
import quickcrm.landing.models  # noqa: F401
import quickcrm.mail.models  # noqa: F401
import quickcrm.quickscans.models  # noqa: F401
import quickcrm.store.models  # noqa: F401

metadata = SQLModel.metadata
