"""The mail area: the outbox, its delivery (the daemon's ``deliver`` job, last in every
run so what the other jobs queued goes out) and bounce mailboxes."""

from quickcrm.area import Area, Job

AREA = Area(
    name="mail",
    models=("quickcrm.mail.models",),
    groups={"outbox": "quickcrm.cli.mail"},
    jobs=(Job("deliver", run="quickcrm.mail.jobs:deliver", every="daemon.deliver_every",
              order=100),),
    actions={"manage the outbox": ("admin", "coordinator")},
)
