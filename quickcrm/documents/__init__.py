"""Documents in and out: spreadsheets (tabular). A filled QuickScan's PDF, PowerPoint and
answer sheet are the respondent core's (``quickcrm.quickscans``)."""
