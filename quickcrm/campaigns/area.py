"""The campaigns area (seed 000): Happy Faces, the three-step selection,
sending, reminders, bounces and the reports."""

from quickcrm.area import Area, Job

AREA = Area(
    name="campaigns",
    models=(
        "quickcrm.campaigns.models",
        "quickcrm.campaigns.invitation",
    ),
    groups={
        "faces": "quickcrm.cli.faces",
        "campaign": "quickcrm.cli.campaign",
        "bounces": "quickcrm.cli.bounces",
    },
    commands=(
        "quickcrm.cli.select",
        "quickcrm.cli.exclude",
        "quickcrm.cli.send",
        "quickcrm.cli.report",
    ),
    importers=("quickcrm.cli.faces",),
    jobs=(
        Job("remind", run="quickcrm.campaigns.jobs:remind", every="daemon.remind_every",
            order=10),
        Job("bounces", run="quickcrm.campaigns.jobs:bounces", every="daemon.bounces_every",
            order=20),
    ),
    mail_hooks=("quickcrm.campaigns.mail_hooks",),
    actions={
        "import faces": ("admin", "coordinator"),
        "compute faces": ("admin", "coordinator"),
        "set faces": ("admin", "coordinator"),  # and the client's own RM (OwnClient)
        "manage campaigns": ("admin", "coordinator"),
        "send campaigns": ("admin", "coordinator"),
        "process bounces": ("admin", "coordinator"),
        "run reminders": ("admin", "coordinator"),
        "export campaign data": ("admin", "coordinator"),
        "read client reports": ("admin", "coordinator"),  # and the client's own RM
    },
)
