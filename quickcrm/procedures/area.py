"""The procedures area: projects, project roles, procedure steps and the per-role
authorization matrix (seed 002); suspects imported into a project, steps taken with
them (e-mails and appointments with an iCalendar invitation) and the agenda."""

from quickcrm.area import Area

AREA = Area(
    name="procedures",
    models=("quickcrm.procedures.models",),
    groups={
        "procedure": "quickcrm.cli.procedure",
        "project": "quickcrm.cli.project",
        "agenda": "quickcrm.cli.agenda",
    },
    importers=("quickcrm.cli.project",),
    actions={
        "manage procedures": ("admin", "coordinator"),
        "manage projects": ("admin", "coordinator"),
        "import suspects": ("admin", "coordinator"),
        # no firm-wide right: project membership plus the matrix (procedures.matrix.TakeStep)
        "take step": (),
    },
)
