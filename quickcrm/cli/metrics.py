"""`quickcrm metrics ...`: the checklist's metrics (seed 004): RFM, NPS, channels."""


import typer

app = typer.Typer(help="Metrics from seed 004's checklist: RFM, NPS, contact moments per "
                       "channel.", no_args_is_help=True)
