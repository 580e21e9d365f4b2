"""The crm area: users and their rights, the client file (relations and their campaign
contacts): import, export, list, and the sample client file."""

from quickcrm.area import Area

AREA = Area(
    name="crm",
    models=("quickcrm.crm.models",),  # the person CRM (issue 26)
    groups={
        "user": "quickcrm.cli.user",
        "export": "quickcrm.cli.export",
        "clients": "quickcrm.cli.clients",
        "sample": "quickcrm.cli.sample",
        # the person CRM (issue 26, seed 001)
        "person": "quickcrm.cli.person",
        "dossier": "quickcrm.cli.dossier",
    },
    commands=("quickcrm.cli.worklist",),
    importers=("quickcrm.cli.importing", "quickcrm.cli.person", "quickcrm.cli.dossier"),
    actions={
        "manage users": ("admin",),
        "import clients": ("admin", "coordinator"),
        # the person CRM (issue 26): the seed's admin-only parts, exports beyond the seed
        "import persons": ("admin",),
        "import dossiers": ("admin", "coordinator"),
        "edit persons": ("admin", "coordinator", "relationship-manager"),
        "delete persons": ("admin",),
        "define persons": ("admin",),
        "export persons": ("admin", "coordinator"),
        "add clients": ("admin", "coordinator"),
    },
)
