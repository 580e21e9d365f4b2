"""The landing area: public QuickScan pages at /l/{slug} that turn a confirmed visitor
into a prospect."""

from quickcrm.area import Area

AREA = Area(
    name="landing",
    models=("quickcrm.landing.models",),
    groups={"landing": "quickcrm.cli.landing"},
    web=("quickcrm.landing.web:routes",),
    actions={"manage landing pages": ("admin", "coordinator")},
)
