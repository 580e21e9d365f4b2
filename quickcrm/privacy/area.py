"""The privacy area (issue 29): opt-outs, what is held about a person, retention and its
daily purge. Last in the list: it reads every other area's tables."""

from quickcrm.area import Area, Job

AREA = Area(
    name="privacy",
    groups={"privacy": "quickcrm.cli.privacy"},
    commands=("quickcrm.cli.audit",),  # audit trail (item 1): `quickcrm audit`
    jobs=(Job("purge", run="quickcrm.privacy.jobs:purge", every="daemon.purge_every",
              order=50, once_per="day"),),
    actions={
        "handle privacy requests": ("admin",),
        "record opt-outs": ("admin", "coordinator"),  # and the client's own RM (OwnClient)
        "purge personal data": ("admin", "coordinator"),
        # audit trail (item 1, beyond the seed)
        "read the audit trail": ("admin", "coordinator"),
    },
)
