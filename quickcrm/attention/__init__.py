"""The attention monitor (seed 003) and the checklist's metrics (seed 004)."""
