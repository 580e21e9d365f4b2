"""Documents in and out: spreadsheets (tabular), and later PDF, PowerPoint and iCalendar."""
