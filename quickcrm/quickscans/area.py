"""The QuickScans area: the respondent core below the invited client's pages (web) and the
landing visitor's pages (landing): QuickScan definitions, their answers, the shared page
steps, the report documents and e-mails."""

from quickcrm.area import Area

AREA = Area(
    name="quickscans",
    models=("quickcrm.quickscans.models",),
    groups={"quickscan": "quickcrm.cli.quickscan"},
    actions={"load quickscans": ("admin", "coordinator")},
)
