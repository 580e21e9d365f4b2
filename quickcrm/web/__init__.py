"""The respondent web app: the invited client's QuickScan pages and the relationship
manager's read-only preview (``create_app`` in ``quickcrm.web.app``, which also mounts
the landing pages). What both flows share is ``quickcrm.quickscans``."""
