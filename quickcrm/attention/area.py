"""The attention area (seed 003's Aandachtsmonitor, seed 004's metrics): contact
moments per relation from the event log, buckets, the sales view, timelines, relation
groups, their nightly recomputation, and `import activities` from other systems."""

from quickcrm.area import Area, Job

AREA = Area(
    name="attention",
    models=("quickcrm.attention.models",),
    groups={"attention": "quickcrm.cli.attention", "metrics": "quickcrm.cli.metrics"},
    importers=("quickcrm.cli.attention",),
    jobs=(Job("attention", run="quickcrm.attention.jobs:nightly",
              every="daemon.attention_every", order=5, once_per="day"),),
    actions={
        # seed 003: "voor iedereen met de juiste machtiging"
        "use the attention monitor": ("admin", "coordinator", "relationship-manager",
                                      "sales-monitor"),
        "import activities": ("admin", "coordinator"),
    },
)
