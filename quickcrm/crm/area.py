"""The crm area: users and their rights, the client file (relations and their campaign
contacts): import, export, list, and the sample client file."""

from quickcrm.area import Area

AREA = Area(
    name="crm",
    groups={
        "user": "quickcrm.cli.user",
        "export": "quickcrm.cli.export",
        "clients": "quickcrm.cli.clients",
        "sample": "quickcrm.cli.sample",
    },
    importers=("quickcrm.cli.importing",),
    actions={
        "manage users": ("admin",),
        "import clients": ("admin", "coordinator"),
    },
)
