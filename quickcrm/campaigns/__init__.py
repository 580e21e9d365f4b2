"""The collective action of seed 000: QuickScans, Happy Faces, the three-step selection,
sending, reminders, responses and reports."""
